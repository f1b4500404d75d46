"""``CodexOAuthLLM``: the ChatGPT Codex backend with a ChatGPT login, sync and async, streaming or not.

The request builder (:mod:`._request`), SSE decoder (:mod:`._sse`), accumulator (:mod:`._accumulate`) and
retry/refresh decisions (:mod:`._call`) are pure and shared; the methods here are thin loops that send,
sleep and feed bytes, once with ``httpx.Client`` and once with ``httpx.AsyncClient``.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import threading
import time
import uuid
import warnings
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Unpack, cast, overload
from urllib.parse import urlsplit

import httpx

from . import _usage
from ._call import Action, CallState, Mode
from ._catalog import (
    CLIENT_VERSION_ENV,
    CODEX_CLIENT_VERSION,
    MODEL_ENV,
    builtin_catalog,
    clamp_effort,
    model_error_message,
    parse_catalog,
    visible,
)
from ._catalog_cache import CachedCatalog, cache_file, cached_model_info, load_cache, save_cache
from ._options import GenerateOptions, RequestOptions, check_options, with_options
from ._ratelimits import parse_rate_limits
from ._request import build_body, build_headers, user_agent
from .auth._config import OAuthConfig, url_problem
from .auth._log import get_logger
from .auth._profiles import with_profile
from .auth._tokens import AccessToken, TokenProvider, TokenStore
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    CodexError,
    ConfigError,
    ModelNotSupportedError,
    ToolCallRequiredError,
    UsageLimitError,
)
from .types import GenerateResult, ModelInfo, RateLimits, StreamEvent, UsageSnapshot

if TYPE_CHECKING:
    from .auth._siwc_wire import SiwcConfig

__all__ = ["DEFAULT_MODEL", "DEFAULT_TIMEOUT", "CodexOAuthLLM", "GenerateOptions", "cached_model_info"]

#: used when neither ``model=``, ``$CODEX_OAUTH_MODEL`` nor a cached model catalog names one. gpt-5.5 is
#: still served and is the one slug every plan (free included) lists in September 2026 (audit §7); once a
#: catalog is cached its first listed model wins, and a default the backend rejects falls back to it.
DEFAULT_MODEL = "gpt-5.5"
#: the SIWC route's default when no model is given (the docs' example; pick one from ``list_models()``)
SIWC_DEFAULT_MODEL = "gpt-6.1-sol"
#: connect 10 s; read 300 s between chunks (the CLI's idle timeout)
DEFAULT_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
_TRUSTED_HOSTS = ("chatgpt.com", "api.openai.com")
Route = Literal["codex", "siwc", "auto"]
log = get_logger(__name__)
_MEMORY_SIZE = 256


class CodexOAuthLLM:
    """Client for ``POST {base_url}/responses`` on the ChatGPT Codex backend, with a ChatGPT login.

    >>> llm = CodexOAuthLLM()                                  # doctest: +SKIP
    >>> llm.generate(prompt="Explain OAuth PKCE in 3 bullets.")  # doctest: +SKIP

    Construction does no I/O: the token provider is built and asked for a token on the first request.
    ``token_provider`` overrides the OAuth login (e.g. :class:`~oauth_codex.StaticTokenProvider`); otherwise
    ``oauth_codex.auth.OAuthTokenProvider`` with ``token_store`` (default: keyring, file fallback) is used,
    logging in interactively when ``interactive`` allows it (``None``: only when stdin is a TTY).
    ``profile_name`` picks one of several logins (beats ``CODEX_OAUTH_PROFILE`` and ``oauth-codex profile
    use``; default ``default``).

    Retries: connection errors, timeouts, 5xx answers, 429 rate limits and retryable ``response.failed``
    events are re-sent up to ``max_retries`` times (backoff ``retry_backoff * 2**(n-1)`` with ±10 %
    jitter, ``Retry-After`` honoured up to 60 s) as long as nothing has reached the caller (no text delta
    yet; with ``raw_events=True``, no event yet: ``response.created`` and other bookkeeping or empty
    skeleton events are held back until the first content-bearing event); other 4xx answers, usage limits
    and context-length errors never are. A 401 triggers
    one token refresh and one retry.

    ``verify`` is passed to the HTTP clients this instance creates: an :class:`ssl.SSLContext` trusting a
    private CA (a corporate proxy, ``CodexEmulator(tls=True).ssl_context()``), or ``True`` for the default.

    ``tool_results`` continuations replay the previous turn's output (function calls and reasoning with
    ``encrypted_content``) before the tool outputs, because ``store`` is false: pass ``previous_output=``
    (``result.output_items``) or let the client use the turn it remembers for those call ids (the last 256
    tool-calling turns of this instance), or include the assistant ``tool_calls`` in ``messages``.

    Usage limits: ``usage()`` reports how full the plan's windows are. ``usage_budget`` (a share such as
    0.9; default env ``CODEX_OAUTH_USAGE_BUDGET``) raises :class:`UsageBudgetExceededError` instead of
    sending while the latest known usage of a window is at or over it. ``on_usage_limit="wait"`` (with
    ``max_wait`` seconds) waits for a usage limit's reset and re-sends, calling ``on_wait(seconds_left,
    error)`` at least once a second; the default ``"raise"`` never waits.
    """

    last_rate_limits: RateLimits | None
    #: the ChatGPT account id of the login that sent the last answered request (``None`` before one)
    last_account_id: str | None

    def __init__(
        self,
        *,
        model: str | None = None,
        base_url: str | None = None,
        token_store: TokenStore | None = None,
        interactive: bool | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 4,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        api_mode: str = "responses",
        validate_model: bool = False,
        token_provider: TokenProvider | None = None,
        oauth_config: OAuthConfig | None = None,
        originator: str | None = None,
        instructions: str | None = None,
        retry_backoff: float = 0.2,
        verify: ssl.SSLContext | bool = True,
        usage_budget: float | None = None,
        on_usage_limit: _usage.OnUsageLimit = "raise",
        max_wait: float | None = None,
        on_wait: _usage.OnWait | None = None,
        profile_name: str | None = None,
        client_version: str | bool | None = None,
        route: Route | None = None,
        siwc_config: SiwcConfig | None = None,
    ) -> None:
        if api_mode != "responses":
            raise ValueError(
                f"api_mode={api_mode!r} is not supported: the Codex backend only speaks the Responses API; "
                "use api_mode='responses' (the default)."
            )
        if validate_model:
            raise ValueError(
                "validate_model=True is unsupported in codex-backend mode: the backend has no stable model "
                "catalog for ChatGPT logins. Leave it False; an unknown model fails with "
                "ModelNotSupportedError."
            )
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError("max_retries must be an integer >= 0")
        config = with_profile(oauth_config or OAuthConfig.from_env(base_url=base_url), profile_name)
        self._config = config
        self._route = _route_choice(route)
        self._siwc_config = siwc_config
        if self._route == "siwc" and token_store is not None:
            raise ConfigError(
                "token_store= holds Codex-route logins and cannot serve route='siwc': drop it (SIWC sign-ins live "
                "in $CODEX_OAUTH_HOME/siwc), or pass token_provider=oauth_codex.auth.SiwcTokenProvider(...)."
            )
        self._siwc_prompt_json: set[str] = set()  # SIWC models that refused text.format (asked in instructions)
        self._base_url_arg = base_url
        self.base_url = (base_url or config.base_url).rstrip("/")
        if self._route == "siwc":
            self.base_url = (base_url or self.siwc_config.api_base).rstrip("/")
        if self._route != "auto":
            _check_base_url(self.base_url)
        # explicit model > $CODEX_OAUTH_MODEL > the cached catalog's first model > DEFAULT_MODEL
        self.model = model or os.environ.get(MODEL_ENV, "").strip() or None
        self.client_version = _advertised_version(client_version)
        self.max_retries = max_retries
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.originator = originator or config.originator
        self.instructions = instructions
        self.retry_backoff = retry_backoff
        self.last_rate_limits = None
        self.last_account_id = None
        self.session_id = str(uuid.uuid4())
        self._token_store = token_store
        self._interactive = interactive
        self._token_provider = token_provider
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._owns_http = http_client is None
        self._owns_async_http = async_http_client is None
        self._verify = verify
        self._async_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._async_closer: asyncio.Task[None] | None = None
        self._lock = threading.Lock()
        self._turns: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self.usage_budget = (
            _usage.check_budget(usage_budget) if usage_budget is not None else _usage.budget_from_env(os.environ)
        )
        self.max_wait = _usage.check_policy(on_usage_limit, max_wait)
        self.on_usage_limit = on_usage_limit
        self.on_wait = on_wait
        self._limits_at = datetime.now(UTC)
        self._usage_snapshot: UsageSnapshot | None = None
        self._catalogs: dict[str, CachedCatalog | None] = {}
        self._agent = user_agent(self.client_version, self.originator)

    def __repr__(self) -> str:
        return f"CodexOAuthLLM(model={self.model!r}, base_url={self.base_url!r})"

    # ------------------------------------------------------------------------------ plumbing
    @property
    def profile_name(self) -> str | None:
        """The profile whose login this client uses (``profile_name=``, else ``CODEX_OAUTH_PROFILE``, else the
        current profile, else ``default``; ``None`` for a custom token provider or store without one)."""
        provider = self.token_provider
        return getattr(provider, "profile_name", None) or self._config.profile_name

    @property
    def route(self) -> Literal["codex", "siwc"]:
        """The route this client uses: ``"codex"`` (the Codex backend) or ``"siwc"`` ("Sign in with ChatGPT"
        plan usage on ``/v1/responses``). ``route="auto"`` is decided here, once, on first use: ``"siwc"``
        when the profile has a SIWC login with plan usage, else ``"codex"``. It never changes afterwards, and no
        error ever switches it (no failover between routes or accounts)."""
        if self._route == "auto":
            with self._lock:
                if self._route == "auto":
                    from .auth._siwc_store import SiwcStore

                    record = SiwcStore(self.siwc_config).load(self._siwc_profile())
                    usable = record is not None and record.status == "connected" and record.plan_enabled
                    chosen: Route = "siwc" if usable else "codex"
                    if chosen == "siwc":
                        self.base_url = (self._base_url_arg or self.siwc_config.api_base).rstrip("/")
                    _check_base_url(self.base_url)
                    self._route = chosen
        return "siwc" if self._route == "siwc" else "codex"

    def _siwc_profile(self) -> str:
        """The profile whose SIWC login this client uses (the same resolution as the Codex route's)."""
        from .auth._profiles import resolve_profile_name

        return resolve_profile_name(self._config)

    @property
    def siwc_config(self) -> SiwcConfig:
        """Where the ``siwc`` route signs in and sends requests (``CODEX_OAUTH_SIWC_*``)."""
        if self._siwc_config is None:
            from .auth._siwc_wire import SiwcConfig

            self._siwc_config = SiwcConfig.from_env(home=self._config.home)
        return self._siwc_config

    @property
    def responses_url(self) -> str:
        self.route  # noqa: B018 - resolves route="auto" (and so base_url) once
        return f"{self.base_url}/responses"

    @property
    def token_provider(self) -> TokenProvider:
        """The token provider (built on first use from the token store and OAuth config)."""
        provider = self._token_provider
        if provider is None:
            with self._lock:
                provider = self._token_provider
                if provider is None and self._route == "siwc":
                    from .auth._siwc_provider import SiwcTokenProvider

                    provider = SiwcTokenProvider(
                        self.siwc_config, profile=self._siwc_profile(), interactive=self._interactive
                    )
                    self._token_provider = provider
                elif provider is None:
                    provider = _oauth_provider(self._config, self._token_store, self._interactive)
                    self._token_provider = provider
        assert provider is not None
        return provider

    def _client(self) -> httpx.Client:
        if self._http_client is None:
            with self._lock:
                if self._http_client is None:
                    self._http_client = httpx.Client(timeout=self.timeout, verify=self._verify)
        return self._http_client

    def _aclient(self) -> httpx.AsyncClient:
        client = self._async_http_client
        if self._owns_async_http:
            # an AsyncClient's pooled connections belong to the event loop that opened them: a new
            # asyncio.run() (a new loop) gets a new client instead of reusing dead connections
            loop = asyncio.get_running_loop()
            if client is None or self._async_loop is None or self._async_loop() is not loop:
                client = self._async_http_client = httpx.AsyncClient(timeout=self.timeout, verify=self._verify)
                self._async_loop = weakref.ref(loop)
                # closed on its own loop when asyncio.run() (or pytest-asyncio) ends it by cancelling its tasks;
                # closing it from the next loop would leave its sockets open
                self._async_closer = closer = loop.create_task(_close_when_cancelled(client))
                # a loop that is never shut down (run_until_complete without close) just drops the task at exit:
                # nothing to report, the process is ending and takes the sockets with it
                closer._log_destroy_pending = False  # type: ignore[attr-defined]
        assert client is not None
        return client

    def _headers(self, token: AccessToken, session_id: str | None = None) -> dict[str, str]:
        if self.route == "siwc":
            from ._siwc_request import siwc_headers

            return siwc_headers(token, agent=self._agent)
        return build_headers(
            token,
            session_id=session_id or self.session_id,
            originator=self.originator,
            agent=self._agent,
            client_version=self.client_version,
        )

    def _note_rate_limits(self, headers: Mapping[str, str]) -> RateLimits | None:
        limits = parse_rate_limits(headers)
        if limits is not None:
            self.last_rate_limits = limits
            self._limits_at = datetime.now(UTC)
        return limits

    def _prepare(self, method: str, mode: Mode, prompt: str | None, options: GenerateOptions) -> CallState:
        check_options(method, options)
        explicit = options.get("model") or self.model
        default = SIWC_DEFAULT_MODEL if self.route == "siwc" else DEFAULT_MODEL
        request: RequestOptions = {**options, "prompt": prompt, "model": explicit or default}
        tool_results = request.get("tool_results")
        if tool_results and request.get("previous_output") is None:
            request["previous_output"] = self._recall(tool_results)
        body = build_body(request, default_instructions=self.instructions, session_id=self.session_id)
        return self._start_call(mode, body, defaulted_model=not explicit, options=options)

    def _start_call(
        self,
        mode: Mode,
        body: dict[str, Any],
        *,
        defaulted_model: bool = False,
        options: GenerateOptions | None = None,
    ) -> CallState:
        """The :class:`CallState` of a built body (checked, encoded once); ``oauth_codex.openai`` uses it too.

        ``defaulted_model``: the caller gave no model (the catalog may pick the default at send time).
        ``options``: the call's options (the SIWC route names the ones it cannot send).
        """
        _check_tool_pairs(body["input"])
        if self.route == "siwc":
            return self._siwc_call(body, mode, options or {})
        pending = defaulted_model or isinstance(body.get("reasoning"), dict)
        call = CallState(
            # encoded once: now, or by _resolve_defaults once the catalog had its say
            b"" if pending else json.dumps(body, ensure_ascii=False).encode("utf-8"),
            mode,
            session_id=body["prompt_cache_key"],
            max_retries=self.max_retries,
            backoff=self.retry_backoff,
        )
        if pending:
            call.pending = (body, defaulted_model)
        return call

    def _siwc_call(self, body: dict[str, Any], mode: Mode, args: GenerateOptions) -> CallState:
        """The SIWC route's step on the shared body, and its error mapping (``_siwc_request``, ``_siwc_errors``)."""
        from ._siwc_errors import classify_siwc, map_siwc_failure
        from ._siwc_request import SiwcCallState, prompt_json_body, siwc_body

        body = siwc_body(body, explicit={"store": args.get("store"), "include": args.get("include")})
        if body.get("model") in self._siwc_prompt_json:
            body = prompt_json_body(body) or body
        return SiwcCallState(
            json.dumps(body, ensure_ascii=False).encode("utf-8"),
            mode,
            session_id=self.session_id,
            max_retries=self.max_retries,
            backoff=self.retry_backoff,
            classify=classify_siwc,
            map_failure=map_siwc_failure,
            prompt_json_models=self._siwc_prompt_json,
        )

    def _recall(self, tool_results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]] | None:
        if not isinstance(tool_results, list | tuple):
            return None  # not a list of results: the request builder says what is wrong
        with self._lock:
            for result in tool_results:
                if isinstance(result, Mapping):
                    call_id = result.get("tool_call_id") or result.get("call_id")
                    items = self._turns.get(str(call_id)) if call_id else None
                    if items is not None:
                        return items
        return None

    def _remember(self, result: GenerateResult) -> None:
        if not result.tool_calls:
            return
        with self._lock:
            for call in result.tool_calls:
                self._turns[call.id] = result.output_items
                self._turns.move_to_end(call.id)
            while len(self._turns) > _MEMORY_SIZE:
                self._turns.popitem(last=False)

    def _finish(self, call: CallState, *, return_details: bool) -> str | GenerateResult:
        result = call.acc.result(allow_incomplete=return_details)
        self._remember(result)
        if return_details:
            return result
        if result.tool_calls:
            raise _tool_call_required(result)
        return result.text

    # ------------------------------------------------------------------------------ sync loop
    # _run and _arun are deliberate line-for-line twins (duplicates reports them): Python cannot share one body
    # between blocking and awaiting I/O, so each holds only the I/O and every decision lives in CallState.
    def _run(self, call: CallState) -> Iterator[str | StreamEvent]:
        provider = self.token_provider
        token = provider.get_token()
        self._resolve_defaults(call, token)
        client = self._client()
        waited = 0.0
        while True:
            outcome: tuple[Action, float] | CodexError | None
            try:
                self._check_budget()
                with client.stream(
                    "POST",
                    self.responses_url,
                    content=call.body,
                    headers=self._headers(token, call.session_id),
                ) as resp:
                    limits = self._note_rate_limits(resp.headers)
                    if resp.status_code != 200:
                        outcome = call.on_status(resp.status_code, resp.read(), resp.headers)
                    else:
                        self.last_account_id = token.account_id
                        call.start(limits, profile_name=self.profile_name, account_id=token.account_id)
                        chunks = resp.iter_bytes()
                        for chunk in chunks:
                            for out in call.feed(chunk):
                                if call.finished:  # before the caller, who may stop here, sees the end
                                    _drain(chunks)
                                yield out
                            if call.finished:
                                _drain(chunks)  # generate(): the terminal event yields nothing
                                break
                        else:
                            for out in call.flush():
                                yield out
                        outcome = call.on_end()
            except httpx.HTTPError as exc:
                outcome = call.on_transport_error(exc)
                if isinstance(outcome, CodexError):
                    raise outcome from exc
            except UsageLimitError as exc:  # the budget guard
                outcome = exc
            if outcome is None:
                if call.mode is not Mode.COLLECT:
                    self._finish_stream(call)
                return
            pause = self._usage_pause(call, outcome, waited)
            if pause is not None and isinstance(outcome, UsageLimitError):
                waited += pause
                self._wait_for_reset(pause, outcome)
                continue
            if isinstance(outcome, ModelNotSupportedError):
                if self._default_model_fallback(call, outcome):
                    try:
                        fetched: CachedCatalog | None = self._load_catalog(refresh=True)
                    except CodexError:
                        fetched = None
                    if self._retry_with_catalog(call, fetched):
                        continue
                raise self._explain_model_error(outcome, token)
            if isinstance(outcome, CodexError):
                raise outcome
            action, delay = outcome
            _log_decision(call, action, delay)
            if action is Action.REFRESH:
                token = provider.force_refresh(token)
            else:
                time.sleep(delay)

    # ------------------------------------------------------------------------------ async loop
    async def _arun(self, call: CallState) -> AsyncIterator[str | StreamEvent]:
        provider = self.token_provider
        token = await provider.aget_token()
        self._resolve_defaults(call, token)
        client = self._aclient()
        waited = 0.0
        while True:
            outcome: tuple[Action, float] | CodexError | None
            try:
                self._check_budget()
                async with client.stream(
                    "POST",
                    self.responses_url,
                    content=call.body,
                    headers=self._headers(token, call.session_id),
                ) as resp:
                    limits = self._note_rate_limits(resp.headers)
                    if resp.status_code != 200:
                        outcome = call.on_status(resp.status_code, await resp.aread(), resp.headers)
                    else:
                        self.last_account_id = token.account_id
                        call.start(limits, profile_name=self.profile_name, account_id=token.account_id)
                        achunks = resp.aiter_bytes()
                        async for chunk in achunks:
                            for out in call.feed(chunk):
                                if call.finished:  # before the caller, who may stop here, sees the end
                                    await _adrain(achunks)
                                yield out
                            if call.finished:
                                await _adrain(achunks)  # generate(): the terminal event yields nothing
                                break
                        else:
                            for out in call.flush():
                                yield out
                        outcome = call.on_end()
            except httpx.HTTPError as exc:
                outcome = call.on_transport_error(exc)
                if isinstance(outcome, CodexError):
                    raise outcome from exc
            except UsageLimitError as exc:  # the budget guard
                outcome = exc
            if outcome is None:
                if call.mode is not Mode.COLLECT:
                    self._finish_stream(call)
                return
            pause = self._usage_pause(call, outcome, waited)
            if pause is not None and isinstance(outcome, UsageLimitError):
                waited += pause
                await self._await_reset(pause, outcome)
                continue
            if isinstance(outcome, ModelNotSupportedError):
                if self._default_model_fallback(call, outcome):
                    try:
                        fetched: CachedCatalog | None = await self._aload_catalog(refresh=True)
                    except CodexError:
                        fetched = None
                    if self._retry_with_catalog(call, fetched):
                        continue
                raise self._explain_model_error(outcome, token)
            if isinstance(outcome, CodexError):
                raise outcome
            action, delay = outcome
            _log_decision(call, action, delay)
            if action is Action.REFRESH:
                token = await provider.aforce_refresh(token)
            else:
                await asyncio.sleep(delay)

    # ------------------------------------------------------------------------------ public: generate
    # The overloads of the sync and async methods repeat each other on purpose: a type checker needs each one
    # spelled out (the options themselves are declared once, in _options.GenerateOptions).
    @overload
    def generate(
        self,
        prompt: str | None = None,
        *,
        return_details: Literal[False] = False,
        **options: Unpack[GenerateOptions],
    ) -> str: ...

    @overload
    def generate(
        self,
        prompt: str | None = None,
        *,
        return_details: Literal[True],
        **options: Unpack[GenerateOptions],
    ) -> GenerateResult: ...

    @overload
    def generate(
        self,
        prompt: str | None = None,
        *,
        return_details: bool,
        **options: Unpack[GenerateOptions],
    ) -> str | GenerateResult: ...

    @with_options
    def generate(
        self,
        prompt: str | None = None,
        *,
        return_details: bool = False,
        **options: Unpack[GenerateOptions],
    ) -> str | GenerateResult:
        """Send one request; return the answer text (the :class:`GenerateResult` with ``return_details``).

        ``prompt`` and/or ``messages`` (chat-completions style dicts; raw Responses items pass through) give
        the input; system/developer messages and ``instructions`` become the ``instructions`` field.
        ``tools`` takes callables, pydantic classes or function-tool dicts; ``tool_results``
        (``[{"tool_call_id", "name", "output"}]``) continues after tool calls. ``response_format`` goes to
        ``text.format`` (a pydantic class becomes a strict JSON schema), ``text`` is merged into ``text``
        (e.g. ``{"verbosity": "low"}``);
        ``tool_choice``, ``reasoning``, ``store``, ``include`` and ``prompt_cache_key`` are sent as given;
        ``include`` defaults to ``["reasoning.encrypted_content"]`` on every request (so reasoning can be
        replayed with ``store: false``), ``prompt_cache_key`` to this client's ``session_id``.

        Raises :class:`ToolCallRequiredError` when the model asks for tools and ``return_details`` is False,
        :class:`StreamError` for failed or truncated responses (``response.incomplete`` too, unless
        ``return_details=True``, which returns ``finish_reason="length"``), and the
        :mod:`oauth_codex.errors` HTTP errors (``BadRequestError``, ``UsageLimitError``, ...).
        """
        call = self._prepare("generate", Mode.COLLECT, prompt, options)
        for _ in self._run(call):
            pass
        return self._finish(call, return_details=return_details)

    @overload
    async def agenerate(
        self,
        prompt: str | None = None,
        *,
        return_details: Literal[False] = False,
        **options: Unpack[GenerateOptions],
    ) -> str: ...

    @overload
    async def agenerate(
        self,
        prompt: str | None = None,
        *,
        return_details: Literal[True],
        **options: Unpack[GenerateOptions],
    ) -> GenerateResult: ...

    @overload
    async def agenerate(
        self,
        prompt: str | None = None,
        *,
        return_details: bool,
        **options: Unpack[GenerateOptions],
    ) -> str | GenerateResult: ...

    @with_options
    async def agenerate(
        self,
        prompt: str | None = None,
        *,
        return_details: bool = False,
        **options: Unpack[GenerateOptions],
    ) -> str | GenerateResult:
        """Async :meth:`generate` (same parameters, results and errors)."""
        call = self._prepare("agenerate", Mode.COLLECT, prompt, options)
        async for _ in self._arun(call):
            pass
        return self._finish(call, return_details=return_details)

    # ------------------------------------------------------------------------------ public: streams
    @overload
    def generate_stream(
        self,
        prompt: str | None = None,
        *,
        raw_events: Literal[False] = False,
        **options: Unpack[GenerateOptions],
    ) -> Iterator[str]: ...

    @overload
    def generate_stream(
        self,
        prompt: str | None = None,
        *,
        raw_events: Literal[True],
        **options: Unpack[GenerateOptions],
    ) -> Iterator[StreamEvent]: ...

    @overload
    def generate_stream(
        self,
        prompt: str | None = None,
        *,
        raw_events: bool,
        **options: Unpack[GenerateOptions],
    ) -> Iterator[str | StreamEvent]: ...

    @with_options
    def generate_stream(
        self,
        prompt: str | None = None,
        *,
        raw_events: bool = False,
        **options: Unpack[GenerateOptions],
    ) -> Iterator[str | StreamEvent]:
        """Stream the answer: text deltas, or every event as :class:`StreamEvent` with ``raw_events=True``.

        Same options as :meth:`generate` (``return_details`` is not one of them: it raises ``TypeError``). Input
        errors raise here; network and backend errors raise while iterating. Text mode ends with
        :class:`StreamError` (``partial_text`` = what was yielded) when the response failed, was cut off or is
        incomplete, and with :class:`ToolCallRequiredError` when the model asked for tools (use
        ``raw_events=True`` for tool-enabled streaming). With ``raw_events=True`` the last event is
        ``response.completed`` (its ``response["output"]`` holds the collected output items) or
        ``response.incomplete``; failures after output raise after their event was yielded, failures before
        it are retried or raised without yielding anything (bookkeeping events such as ``response.created``
        wait for the first content-bearing event). Feed the events to a
        :class:`~oauth_codex.ResponseAccumulator` to get a :class:`GenerateResult`.
        """
        call = self._prepare("generate_stream", Mode.RAW if raw_events else Mode.TEXT, prompt, options)
        return self._run(call)

    @overload
    def agenerate_stream(
        self,
        prompt: str | None = None,
        *,
        raw_events: Literal[False] = False,
        **options: Unpack[GenerateOptions],
    ) -> AsyncIterator[str]: ...

    @overload
    def agenerate_stream(
        self,
        prompt: str | None = None,
        *,
        raw_events: Literal[True],
        **options: Unpack[GenerateOptions],
    ) -> AsyncIterator[StreamEvent]: ...

    @overload
    def agenerate_stream(
        self,
        prompt: str | None = None,
        *,
        raw_events: bool,
        **options: Unpack[GenerateOptions],
    ) -> AsyncIterator[str | StreamEvent]: ...

    @with_options
    def agenerate_stream(
        self,
        prompt: str | None = None,
        *,
        raw_events: bool = False,
        **options: Unpack[GenerateOptions],
    ) -> AsyncIterator[str | StreamEvent]:
        """Async :meth:`generate_stream` (use ``async for``; same parameters, events and errors)."""
        call = self._prepare("agenerate_stream", Mode.RAW if raw_events else Mode.TEXT, prompt, options)
        return self._arun(call)

    def _finish_stream(self, call: CallState) -> None:
        if call.mode is Mode.RAW:
            result = call.acc.result(allow_incomplete=True)
            self._remember(result)
            return
        result = call.acc.result()  # raises StreamError for response.incomplete
        self._remember(result)
        if result.tool_calls:
            raise _tool_call_required(result, streaming=True)

    # ------------------------------------------------------------------------------ models
    def list_models(self, include_hidden: bool = False, *, refresh: bool = False) -> list[ModelInfo]:
        """The models this login can use, in the backend's order (``GET {base_url}/models``).

        Only ``visibility == "list"`` entries unless ``include_hidden``. The catalog is cached per account in
        ``$CODEX_OAUTH_HOME/models/`` for an hour (``refresh=True`` asks the backend now; a cached copy is
        revalidated with its ``x-models-etag``). When the backend cannot be asked (network, 5xx, HTML,
        unexpected JSON) the cached catalog, else a built-in list, is returned with a ``UserWarning``.
        Login problems (:class:`~oauth_codex.errors.AuthError`, a 401 after a refresh) are raised.
        """
        if self.route == "siwc":
            return visible(parse_catalog(self._siwc_catalog(self._siwc_models_reply())), include_hidden)
        try:
            catalog = self._load_catalog(refresh=refresh)
        except (APIError, APIConnectionError) as exc:
            catalog = self._catalog_fallback(exc)
        return visible(parse_catalog(catalog.models), include_hidden)

    async def alist_models(self, include_hidden: bool = False, *, refresh: bool = False) -> list[ModelInfo]:
        """Async :meth:`list_models`."""
        if self.route == "siwc":
            return visible(parse_catalog(self._siwc_catalog(await self._asiwc_models_reply())), include_hidden)
        try:
            catalog = await self._aload_catalog(refresh=refresh)
        except (APIError, APIConnectionError) as exc:
            catalog = self._catalog_fallback(exc)
        return visible(parse_catalog(catalog.models), include_hidden)

    def cached_model_info(self, model: str | None = None) -> ModelInfo | None:
        """The catalog entry of ``model`` (default: this client's model) as far as it is known without a
        request: this client's catalogs, else the newest cache file; ``None`` when it was never fetched."""
        slug = model or self.model or DEFAULT_MODEL
        with self._lock:
            catalogs = [c for c in self._catalogs.values() if c is not None]
        for catalog in catalogs:
            found = next((m for m in parse_catalog(catalog.models) if m.slug == slug), None)
            if found is not None:
                return found
        return cached_model_info(slug, self._config)

    def _siwc_models_reply(self) -> httpx.Response:
        """``GET /v1/models`` on the SIWC route (never cached: the catalog belongs to the signed-in account)."""
        provider = self.token_provider
        token = provider.get_token()
        try:
            resp = self._client().get(self._models_url, headers=self._models_headers(token))
            if resp.status_code == 401:
                token = provider.force_refresh(token)
                resp = self._client().get(self._models_url, headers=self._models_headers(token))
        except httpx.HTTPError as exc:
            raise _unreachable(exc, "models") from exc
        return resp

    async def _asiwc_models_reply(self) -> httpx.Response:
        provider = self.token_provider
        token = await provider.aget_token()
        try:
            resp = await self._aclient().get(self._models_url, headers=self._models_headers(token))
            if resp.status_code == 401:
                token = await provider.aforce_refresh(token)
                resp = await self._aclient().get(self._models_url, headers=self._models_headers(token))
        except httpx.HTTPError as exc:
            raise _unreachable(exc, "models") from exc
        return resp

    @staticmethod
    def _siwc_catalog(resp: httpx.Response) -> list[dict[str, Any]]:
        """The ``models`` rows of a SIWC ``/v1/models`` answer (server order kept), or the mapped error."""
        from ._siwc_errors import classify_siwc

        if resp.status_code != 200:
            raise classify_siwc(resp.status_code, resp.content, resp.headers)
        try:
            data = resp.json()
        except ValueError:
            data = None
        rows = data.get("models") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise APIError(
                "The SIWC models endpoint answered without a models list; check CODEX_OAUTH_SIWC_BASE_URL.",
                status_code=resp.status_code,
                body=resp.text[:500],
            )
        return [row for row in rows if isinstance(row, dict)]

    def _load_catalog(self, *, refresh: bool) -> CachedCatalog:
        provider = self.token_provider
        token = provider.get_token()
        cached = self._cached_catalog(token)
        if not refresh and self._catalog_usable(cached):
            assert cached is not None
            return cached
        try:
            resp = self._client().get(self._models_url, headers=self._models_headers(token, cached))
            if resp.status_code == 401:
                token = provider.force_refresh(token)
                resp = self._client().get(self._models_url, headers=self._models_headers(token, cached))
        except httpx.HTTPError as exc:
            raise _unreachable(exc, "models") from exc
        return self._take_catalog(token, resp, cached)

    async def _aload_catalog(self, *, refresh: bool) -> CachedCatalog:
        provider = self.token_provider
        token = await provider.aget_token()
        cached = self._cached_catalog(token)
        if not refresh and self._catalog_usable(cached):
            assert cached is not None
            return cached
        try:
            resp = await self._aclient().get(self._models_url, headers=self._models_headers(token, cached))
            if resp.status_code == 401:
                token = await provider.aforce_refresh(token)
                resp = await self._aclient().get(self._models_url, headers=self._models_headers(token, cached))
        except httpx.HTTPError as exc:
            raise _unreachable(exc, "models") from exc
        return self._take_catalog(token, resp, cached)

    @property
    def _catalog_version(self) -> str:
        """The ``client_version`` sent to ``/models``: the advertised one, else the built-in CLI version."""
        return self.client_version or CODEX_CLIENT_VERSION

    @property
    def _models_url(self) -> str:
        if self.route == "siwc":  # the SIWC catalog hides models newer than client_version: send the pinned one
            return f"{self.base_url}/models?client_version={self.siwc_config.client_version}"
        # audit §7 / ranked mismatch 3: a real Codex CLI version (our own 1.x would gate the list)
        return f"{self.base_url}/models?client_version={self._catalog_version}"

    def _models_headers(self, token: AccessToken, cached: CachedCatalog | None = None) -> dict[str, str]:
        headers = self._headers(token)
        headers["Accept"] = "application/json"
        if cached is not None and cached.etag and cached.client_version == self._catalog_version:
            headers["If-None-Match"] = cached.etag
        return headers

    # ------------------------------------------------------------------------------ usage limits
    @property
    def usage_url(self) -> str:
        """``GET .../backend-api/wham/usage``, derived from ``base_url``."""
        return _usage.usage_url(self.base_url)

    def usage(self) -> UsageSnapshot:
        """How much of the plan's usage windows is used (``GET .../backend-api/wham/usage``).

        When the endpoint fails, the snapshot comes from the ``x-codex-*`` headers of this client's last
        response (``source="headers"``); with no response yet, the endpoint's error is raised. The ``siwc``
        route has no usage API: :class:`UnsupportedOnRouteError` points to ChatGPT's usage settings.
        """
        self._check_usage_route()
        try:
            provider = self.token_provider
            token = provider.get_token()
            resp = self._client().get(self.usage_url, headers=self._models_headers(token))
            if resp.status_code == 401:
                token = provider.force_refresh(token)
                resp = self._client().get(self.usage_url, headers=self._models_headers(token))
        except httpx.HTTPError as exc:
            return self._usage_fallback(_unreachable(exc))
        return self._usage_answer(resp)

    async def ausage(self) -> UsageSnapshot:
        """Async :meth:`usage`."""
        self._check_usage_route()
        try:
            provider = self.token_provider
            token = await provider.aget_token()
            resp = await self._aclient().get(self.usage_url, headers=self._models_headers(token))
            if resp.status_code == 401:
                token = await provider.aforce_refresh(token)
                resp = await self._aclient().get(self.usage_url, headers=self._models_headers(token))
        except httpx.HTTPError as exc:
            return self._usage_fallback(_unreachable(exc))
        return self._usage_answer(resp)

    def _check_usage_route(self) -> None:
        if self.route == "siwc":  # SIWC.md §13: no usage API there, and wham/usage is off limits
            from .errors import MANAGE_USAGE_URL, UnsupportedOnRouteError

            raise UnsupportedOnRouteError(
                "The siwc route has no usage API (its limits are not reported to apps): see and manage your "
                f"plan usage at {MANAGE_USAGE_URL}.",
                field="usage",
            )

    def _usage_answer(self, resp: httpx.Response) -> UsageSnapshot:
        self._note_rate_limits(resp.headers)
        if resp.status_code != 200:
            from ._failures import classify

            return self._usage_fallback(classify(resp.status_code, resp.content, resp.headers))
        try:
            snapshot = _usage.parse_usage(resp.json(), fetched_at=datetime.now(UTC))
        except ValueError:
            return self._usage_fallback(
                APIError(
                    "The usage endpoint answered with something that is not a JSON object; check base_url.",
                    status_code=resp.status_code,
                    body=resp.text[:500],
                )
            )
        self._usage_snapshot = snapshot
        return snapshot

    def _usage_fallback(self, error: CodexError) -> UsageSnapshot:
        snapshot = self._headers_snapshot()
        if snapshot is None:
            raise error
        return snapshot

    def _headers_snapshot(self) -> UsageSnapshot | None:
        limits = self.last_rate_limits
        if limits is None:
            return None
        return _usage.snapshot_from_rate_limits(limits, fetched_at=self._limits_at)

    def _known_usage(self) -> UsageSnapshot | None:
        """The newest usage knowledge: the last usage() snapshot or the last response's headers."""
        snapshot = self._usage_snapshot
        if snapshot is not None and (self.last_rate_limits is None or snapshot.fetched_at >= self._limits_at):
            return snapshot
        return self._headers_snapshot()

    def _check_budget(self) -> None:
        if self.usage_budget is None:
            return
        error = _usage.budget_error(self._known_usage(), self.usage_budget, now=datetime.now(UTC))
        if error is not None:
            raise error

    def _usage_pause(self, call: CallState, error: object, waited: float) -> float | None:
        """Seconds to wait for a usage reset before re-sending ``call`` (``None``: do not wait)."""
        if not isinstance(error, UsageLimitError) or call.yielded:
            return None
        return _usage.wait_seconds(error, max_wait=self.max_wait, waited=waited, now=datetime.now(UTC))

    def _wait_for_reset(self, seconds: float, error: UsageLimitError) -> None:
        """Sleep ``seconds`` in steps of at most 1 s (Ctrl-C interrupts at once), then re-check usage."""
        deadline = time.monotonic() + seconds
        while True:
            left = max(0.0, deadline - time.monotonic())
            if self.on_wait is not None:
                self.on_wait(left, error)
            if left <= 0:
                break
            time.sleep(min(1.0, left))
        try:
            self.usage()
        except CodexError:
            pass  # the re-sent request will tell

    async def _await_reset(self, seconds: float, error: UsageLimitError) -> None:
        """Async :meth:`_wait_for_reset` (task cancellation interrupts at once)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            left = max(0.0, deadline - loop.time())
            if self.on_wait is not None:
                self.on_wait(left, error)
            if left <= 0:
                break
            await asyncio.sleep(min(1.0, left))
        try:
            await self.ausage()
        except CodexError:
            pass  # the re-sent request will tell

    def _cache_path(self, account_id: str | None) -> Path:
        """``<profile dir>/models/<account>.json``: each profile (and account) has its own catalog."""
        from .auth._profiles import profile_dir

        return cache_file(profile_dir(self._config), account_id)

    def _cached_catalog(self, token: AccessToken) -> CachedCatalog | None:
        """This account's catalog: remembered by this instance, else read once from the cache file."""
        key = token.account_id or ""
        with self._lock:
            if key in self._catalogs:
                return self._catalogs[key]
        cached = load_cache(self._cache_path(token.account_id))
        with self._lock:
            return self._catalogs.setdefault(key, cached)

    def _catalog_usable(self, cached: CachedCatalog | None) -> bool:
        return (
            cached is not None
            and cached.client_version == self._catalog_version
            and cached.fresh(time.time())
        )

    def _take_catalog(self, token: AccessToken, resp: httpx.Response, cached: CachedCatalog | None) -> CachedCatalog:
        """A ``/models`` answer -> the catalog to use (saved to the cache), or the mapped error."""
        from ._failures import classify

        self._note_rate_limits(resp.headers)
        etag = resp.headers.get("x-models-etag")
        if resp.status_code == 304 and cached is not None:
            catalog = CachedCatalog(time.time(), etag or cached.etag, self._catalog_version, cached.models)
        elif resp.status_code == 200:
            try:
                data = resp.json()
            except ValueError as exc:
                raise APIError(
                    "The models endpoint answered with something that is not JSON; check base_url.",
                    status_code=resp.status_code,
                    body=resp.text[:500],
                ) from exc
            entries = data.get("models", data.get("data")) if isinstance(data, dict) else data
            if not isinstance(entries, list):
                raise APIError(
                    "The models endpoint answered JSON without a models list; the backend may have changed.",
                    status_code=resp.status_code,
                    body=data,
                )
            raw = [e if isinstance(e, dict) else {"slug": e} for e in entries if isinstance(e, dict | str)]
            catalog = CachedCatalog(time.time(), etag, self._catalog_version, raw)
        else:
            raise classify(resp.status_code, resp.content, resp.headers)
        save_cache(self._cache_path(token.account_id), catalog)
        with self._lock:
            self._catalogs[token.account_id or ""] = catalog
        return catalog

    def _catalog_fallback(self, error: CodexError) -> CachedCatalog:
        """The cached catalog (any age), else the built-in list, with a warning; auth errors are raised."""
        if isinstance(error, AuthenticationError):
            raise error
        with self._lock:
            cached = next((c for c in self._catalogs.values() if c is not None), None)
        if cached is not None:
            source = f"the cached catalog from {int(cached.age(time.time()) // 60)} min ago"
        else:
            source = "the built-in model list"
            cached = CachedCatalog(0.0, None, self._catalog_version, [m.raw for m in builtin_catalog()])
        warnings.warn(f"Could not fetch the model catalog ({error}); using {source}.", UserWarning, stacklevel=3)
        return cached

    def _known_models(self, token: AccessToken) -> tuple[list[ModelInfo], bool]:
        """(models, from a real catalog?): the cached catalog of this account, else the built-in list."""
        cached = self._cached_catalog(token)
        if cached is not None and cached.models:
            return cached.infos, True
        return builtin_catalog(), False

    def _resolve_defaults(self, call: CallState, token: AccessToken) -> None:
        """Default model and effort clamping from the catalog, once the account is known (no network)."""
        if call.pending is None:
            return
        body, defaulted = call.pending
        models, real = self._known_models(token)
        listed = visible(models)
        if defaulted and real and listed:
            body["model"] = listed[0].slug
        reasoning = body.get("reasoning")
        effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
        if isinstance(reasoning, dict) and isinstance(effort, str):
            info = next((m for m in models if m.slug == body["model"]), None)
            clamped = clamp_effort(effort, info)
            if clamped != effort:
                warnings.warn(
                    f"reasoning effort {effort!r} is not supported by {body['model']!r} (it takes "
                    f"{', '.join(info.supported_reasoning_efforts) if info else '?'}); sending {clamped!r}.",
                    UserWarning,
                    stacklevel=4,
                )
                body["reasoning"] = {**reasoning, "effort": clamped}
        call.body = json.dumps(body, ensure_ascii=False).encode("utf-8")

    def _default_model_fallback(self, call: CallState, error: ModelNotSupportedError) -> bool:
        """Whether a rejected *default* model may be swapped for the catalog's first one (once per call)."""
        return call.pending is not None and call.pending[1] and not call.yielded and not error.gated

    def _retry_with_catalog(self, call: CallState, catalog: CachedCatalog | None) -> bool:
        """Point the call at the freshly fetched catalog's first listed model; ``False`` when that changes nothing."""
        if call.pending is None or catalog is None:
            return False
        body, _ = call.pending
        listed = visible(parse_catalog(catalog.models))
        call.pending = None  # one fallback per call
        if not listed or listed[0].slug == body["model"]:
            return False
        body["model"] = listed[0].slug
        call.body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return True

    def _explain_model_error(self, error: ModelNotSupportedError, token: AccessToken) -> ModelNotSupportedError:
        """Name the slugs this login can use (cached catalog, else built-in list) in the error."""
        models, _ = self._known_models(token)
        slugs = [m.slug for m in visible(models)]
        detail = error.body.get("detail") if isinstance(error.body, dict) else None
        error.available_models = slugs
        error.message = model_error_message(
            error.model, gated=error.gated, available=slugs, detail=detail if isinstance(detail, str) else None
        )
        error.args = (error.message,)
        return error

    # ------------------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the HTTP client this instance created (an injected one is left open)."""
        if self._owns_http and self._http_client is not None:
            self._http_client.close()
            self._http_client = None

    async def aclose(self) -> None:
        """Close the HTTP clients this instance created (injected ones are left open)."""
        if self._owns_async_http and self._async_http_client is not None:
            await self._async_http_client.aclose()
            self._async_http_client = None
            if self._async_closer is not None:
                self._async_closer.cancel()
                self._async_closer = None
        self.close()

    def __enter__(self) -> CodexOAuthLLM:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> CodexOAuthLLM:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


# ---------------------------------------------------------------------------------- helpers


async def _close_when_cancelled(client: httpx.AsyncClient) -> None:
    """Wait until the event loop shuts down (its tasks are cancelled), then close ``client`` on that loop.

    Only on cancellation: a task discarded with its loop (garbage collection at exit) must not await anything.
    """
    try:
        await asyncio.get_running_loop().create_future()
    except asyncio.CancelledError:
        await client.aclose()
        raise


def _log_decision(call: CallState, action: Action, delay: float) -> None:
    """DEBUG line for a re-send (like openai-python's retry messages); ``call.cause`` holds no secret."""
    if action is Action.REFRESH:
        log.debug("%s from the backend: refreshing the access token and sending again", call.cause)
    else:
        log.debug("%s: retry %d of %d in %.2f s", call.cause, call.attempt, call.max_retries, delay)


def _tool_call_required(result: GenerateResult, *, streaming: bool = False) -> ToolCallRequiredError:
    names = ", ".join(c.name for c in result.tool_calls)
    hint = "use raw_events=True for tool-enabled streaming" if streaming else "pass return_details=True"
    return ToolCallRequiredError(
        f"The model asked for tool calls ({names}): run them and continue with tool_results=[...], "
        f"or {hint}.",
        tool_calls=list(result.tool_calls),
        result=result,
    )


def _drain(chunks: Iterator[bytes]) -> None:
    """Read a finished stream to its end, so its connection goes back to the pool instead of being closed.

    Runs before the terminal event reaches the caller (who may stop iterating right after it). The answer
    is complete at this point: a transport error while reading the tail only costs the connection.
    """
    try:
        for _ in chunks:
            pass
    except httpx.HTTPError:
        pass


async def _adrain(chunks: AsyncIterator[bytes]) -> None:
    """Async :func:`_drain`."""
    try:
        async for _ in chunks:
            pass
    except httpx.HTTPError:
        pass


def _check_tool_pairs(items: list[dict[str, Any]]) -> None:
    calls = {i.get("call_id") for i in items if i.get("type") in ("function_call", "custom_tool_call")}
    for item in items:
        if item.get("type") in ("function_call_output", "custom_tool_call_output") and item.get("call_id") not in calls:
            raise ValueError(
                f"tool result for call_id {item.get('call_id')!r} has no matching function call in the "
                "input. "
                "Continue on the same CodexOAuthLLM instance, pass previous_output=result.output_items, or "
                "include the assistant message with its tool_calls in messages."
            )


def _oauth_provider(config: OAuthConfig, store: TokenStore | None, interactive: bool | None) -> TokenProvider:
    """The OAuth token provider (imported here: ``import oauth_codex`` must not load the login flows)."""
    from .auth import OAuthTokenProvider, default_token_store

    resolved = store if store is not None else default_token_store(config)
    return OAuthTokenProvider(store=resolved, config=config, interactive=interactive)


def _unreachable(exc: httpx.HTTPError, endpoint: str = "usage") -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"The {endpoint} endpoint did not answer in time ({type(exc).__name__}); check your network "
            "connection or raise `timeout`."
        )
    return APIConnectionError(
        f"Could not reach the {endpoint} endpoint ({type(exc).__name__}); check your network connection and "
        "base_url."
    )


def _advertised_version(client_version: str | bool | None) -> str | None:
    """The Codex version to advertise in ``version``/User-Agent, or ``None`` (the default: advertise none).

    ``client_version=True`` -> the built-in CLI version; a string -> itself; ``False`` -> never;
    ``None`` -> ``$CODEX_OAUTH_CLIENT_VERSION`` when set. Off by default on purpose (audit §7, ranked
    mismatch 1): the backend gates models by the version a client advertises, and clients that advertise
    none pass today, whereas a stale advertised version fails every call with "requires a newer version".
    """
    if client_version is False:
        return None
    if client_version is True:
        return os.environ.get(CLIENT_VERSION_ENV, "").strip() or CODEX_CLIENT_VERSION
    if isinstance(client_version, str) and client_version.strip():
        return client_version.strip()
    return os.environ.get(CLIENT_VERSION_ENV, "").strip() or None


def _check_base_url(base_url: str) -> None:
    """Refuse a base_url the bearer token must not go to (plain http off loopback); warn on an unknown host."""
    problem = url_problem(base_url)
    if problem is not None:
        raise ConfigError(f"base_url={base_url!r} {problem}: fix the argument or CODEX_OAUTH_BASE_URL.")
    _warn_untrusted_host(base_url)


def _warn_untrusted_host(base_url: str) -> None:
    host = (urlsplit(base_url).hostname or "").lower()
    if host in _TRUSTED_HOSTS or host == "localhost" or host.endswith(".localhost"):
        return
    try:
        if ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    warnings.warn(
        f"base_url {base_url!r} is not chatgpt.com or a loopback address: your ChatGPT access token will be "
        "sent to that host. Only use a base_url you trust.",
        UserWarning,
        stacklevel=3,
    )


def _route_choice(route: str | None) -> Route:
    """``route=`` (or ``CODEX_OAUTH_ROUTE``, default ``codex``), checked."""
    import os

    chosen = (route or os.environ.get("CODEX_OAUTH_ROUTE", "").strip() or "codex").lower()
    if chosen not in ("codex", "siwc", "auto"):
        source = "route=" if route else "CODEX_OAUTH_ROUTE"
        raise ConfigError(f"{source} must be 'codex', 'siwc' or 'auto', not {chosen!r}: fix it and run again.")
    return cast(Route, chosen)
