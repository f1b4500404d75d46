"""``CodexEmulator``: the offline auth server and Codex backend on a loopback port (see the package doc)."""

from __future__ import annotations

import secrets
import shutil
import ssl
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import httpx

from ..auth._config import DEFAULT_CLIENT_ID, OAuthConfig
from ..auth._tokens import MemoryTokenStore, TokenData
from ._auth_server import AuthServer
from ._backend import Backend
from ._events import StreamOptions
from ._faults import FaultQueue
from ._inprocess import EmulatorTransport
from ._model import AnswerSettings
from ._server import EmulatorHTTPServer, RecordedRequest, Router, ServedEmulator, serve_in_thread, shut_down
from ._state import DEFAULT_MODELS, Account, Clock, EmulatorState, Settings
from ._tls import ThrowawayCA

if TYPE_CHECKING:
    from ..client import CodexOAuthLLM

__all__ = ["CodexEmulator"]

RESPONSES_PATH = "/backend-api/codex/responses"
#: the origin of an emulator used only in-process (``transport()`` without ``start()``); nothing resolves it
IN_PROCESS_URL = "http://codex-emulator.localhost"
USAGE_PATH = "/backend-api/wham/usage"


class CodexEmulator(ServedEmulator):
    """A strict offline stand-in for ``auth.openai.com`` and ``chatgpt.com/backend-api/codex``.

    A real HTTP/1.1 server on ``host:port`` (``port=0``: an ephemeral port), one thread per connection.
    Use it as a context manager (``with`` or ``async with``) or call :meth:`start` / :meth:`stop`::

        with CodexEmulator() as emu:
            llm = emu.client()
            print(llm.generate(prompt="hi"))
            emu.usage_limit()                  # the next backend request gets a 429 usage_limit_reached
            assert emu.responses_requests[-1].json["store"] is False

    Constructor switches: ``models`` (the allow-list, default :data:`DEFAULT_MODELS`), ``plan_models``
    (per-plan allow-lists, e.g. ``{"free": FREE_PLAN_MODELS}``), ``email``/``plan_type`` of the account
    that logs in, ``auto_approve`` (``/oauth/authorize`` redirects at once, else shows a consent page),
    token lifetimes, ``revoke_family_on_reuse``, ``require_account_id``, ``official_instructions``
    (docs/protocol.md "Rejected requests": official instructions), ``clock`` (a ``time.time``-like callable),
    the SSE shape switches (``completed_output``, ``include_usage``, ``null_usage_details``, ``sequence_numbers``,
    ``obfuscation``) and ``usage_percent_step`` (how much ``x-codex-primary-used-percent`` rises per request).
    ``tls=True`` serves HTTPS with a throwaway CA (needs ``trustme``): see :attr:`ca_bundle` and
    :meth:`ssl_context`. :attr:`connections_opened` counts accepted TCP connections.
    ``model_catalog`` sets per-slug ``/models`` fields (``minimal_client_version``, ``visibility``,
    ``supported_reasoning_levels``, ...) over the built-in entries; see :meth:`update_model`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Iterable[str] | None = None,
        plan_models: Mapping[str, Iterable[str]] | None = None,
        email: str = "user@example.com",
        plan_type: str = "plus",
        auto_approve: bool = True,
        client_id: str = DEFAULT_CLIENT_ID,
        access_token_ttl: float = 864000.0,
        refresh_token_ttl: float | None = None,
        code_ttl: float = 600.0,
        device_interval: str = "1",
        revoke_family_on_reuse: bool = False,
        require_account_id: bool = False,
        official_instructions: Iterable[str] | None = None,
        clock: Callable[[], float] | None = None,
        secret: bytes | None = None,
        usage_percent_step: float = 1.0,
        completed_output: bool = False,
        include_usage: bool = True,
        null_usage_details: bool = False,
        sequence_numbers: bool = True,
        obfuscation: bool = False,
        tls: bool = False,
        model_catalog: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._host = host
        self._tls = tls
        self._ca: ThrowawayCA | None = None
        self._requested_port = port
        self._state = EmulatorState(clock=Clock(clock), secret=secret or secrets.token_bytes(32))
        self.settings = Settings(
            client_id=client_id,
            models=list(models) if models is not None else list(DEFAULT_MODELS),
            plan_models={k: list(v) for k, v in plan_models.items()} if plan_models is not None else None,
            auto_approve=auto_approve,
            access_token_ttl=access_token_ttl,
            refresh_token_ttl=refresh_token_ttl,
            code_ttl=code_ttl,
            device_interval=device_interval,
            revoke_family_on_reuse=revoke_family_on_reuse,
            require_account_id=require_account_id,
            official_instructions=list(official_instructions) if official_instructions is not None else None,
            usage_percent_step=usage_percent_step,
            model_overrides={k: dict(v) for k, v in (model_catalog or {}).items()},
        )
        self._auth = AuthServer(
            self._state, self.settings, lambda: self.issuer, Account.derive(email, plan_type)
        )
        self._backend = Backend(self._state, self.settings)
        self._backend.stream_options = StreamOptions(
            completed_output=completed_output,
            include_usage=include_usage,
            null_usage_details=null_usage_details,
            sequence_numbers=sequence_numbers,
            obfuscation=obfuscation,
        )
        self._log: list[RecordedRequest] = []
        self._log_lock = threading.Lock()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._home: str | None = None
        self._in_process = False
        self._router = self._build_router()

    def __repr__(self) -> str:
        return f"CodexEmulator(url={self.url if self._server else None!r})"

    def _build_router(self) -> Router:
        router = Router()
        auth, backend = self._auth, self._backend
        router.add("GET", "/.well-known/openid-configuration", auth.discovery)
        router.add("GET", "/oauth/authorize", auth.authorize)
        router.add("GET", "/oauth/authorize/approve", auth.authorize_approve)
        router.add("GET", "/oauth/authorize/deny", auth.authorize_deny)
        router.add("POST", "/oauth/token", auth.token)
        router.add("POST", "/oauth/revoke", auth.revoke)
        router.add("POST", "/api/accounts/deviceauth/usercode", auth.device_usercode)
        router.add("POST", "/api/accounts/deviceauth/token", auth.device_token)
        router.add("GET", "/codex/device", auth.device_page)
        router.add("POST", "/codex/device", auth.device_page_submit)
        router.add("GET", "/deviceauth/callback", auth.device_callback)
        router.add("POST", RESPONSES_PATH, backend.responses)
        router.add("GET", "/backend-api/codex/models", backend.models)
        router.add("GET", USAGE_PATH, backend.usage)
        return router

    # ---------------------------------------------------------------------------------- lifecycle
    def start(self) -> CodexEmulator:
        """Bind and serve in a background thread (idempotent). Returns ``self``."""
        if self._server is not None:
            return self
        context = None
        if self._tls:
            self._ca = self._ca or ThrowawayCA()
            context = self._ca.server_context()
        server = EmulatorHTTPServer(
            (self._host, self._requested_port), self._router, self._record, ssl_context=context
        )
        self._server, self._thread = server, serve_in_thread(server, "codex-emulator")
        return self

    def stop(self) -> None:
        """Stop serving, wake stalled streams and close open connections (idempotent)."""
        server, thread = self._server, self._thread
        if self._home is not None:
            self._home_cleanup()  # runs once; also at garbage collection or exit when stop() is never called
            self._home = None
        if self._ca is not None:
            self._ca.cleanup()
            self._ca = None
        if server is None:
            return
        shut_down(server, thread)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with ``tls=True``): the issuer and origin of every endpoint.

        Before :meth:`start`, once :meth:`transport` was called: ``http://codex-emulator.localhost``, which
        only the in-process transport serves.
        """
        if self._server is None and self._in_process:
            return IN_PROCESS_URL
        return f"{'https' if self._tls else 'http'}://{self._host}:{self.port}"

    @property
    def ca_bundle(self) -> str:
        """With ``tls=True``: the path of a PEM file holding the emulator's throwaway CA (removed by ``stop``).

        Point a client at it with ``CodexOAuthLLM(verify=emu.ssl_context())`` or
        ``httpx.Client(verify=ssl.create_default_context(cafile=emu.ca_bundle))``.
        """
        if self._ca is None:
            raise RuntimeError("ca_bundle exists only for a running CodexEmulator(tls=True)")
        return self._ca.bundle

    def ssl_context(self) -> ssl.SSLContext:
        """With ``tls=True``: a client SSL context that trusts the emulator's throwaway CA (and nothing else)."""
        if self._ca is None:
            raise RuntimeError("ssl_context() exists only for a running CodexEmulator(tls=True)")
        return self._ca.client_context()

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted since :meth:`start` (a client that reuses its connection opens one)."""
        return self._server.connections_opened if self._server is not None else 0

    @property
    def issuer(self) -> str:
        """:attr:`url`; before :meth:`start`, the in-process origin (so tokens can be minted for the transport)."""
        return self.url if self._server is not None else IN_PROCESS_URL

    @property
    def base_url(self) -> str:
        """The Codex base URL (``.../backend-api/codex``); requests go to ``{base_url}/responses``."""
        return f"{self.url}/backend-api/codex"

    # ------------------------------------------------------------------------------------ wiring
    def env(self) -> dict[str, str]:
        """The ``CODEX_OAUTH_*`` variables that point a client (or the CLI) at this emulator.

        They include a private ``CODEX_OAUTH_HOME`` (a temporary directory removed by :meth:`stop`, or when the
        emulator is garbage-collected or the interpreter exits) with
        ``CODEX_OAUTH_STORAGE=file``, so that a login made against the emulator never replaces the real one
        in the keyring or in ``~/.oauth_codex``.
        """
        if self._home is None:
            self._home = tempfile.mkdtemp(prefix="oauth-codex-emulator-")
            # the home holds (emulator) tokens: never leave it in the temp dir, even without stop()
            self._home_cleanup = weakref.finalize(self, shutil.rmtree, self._home, ignore_errors=True)
        return {
            "CODEX_OAUTH_AUTHORIZATION_ENDPOINT": f"{self.url}/oauth/authorize",
            "CODEX_OAUTH_TOKEN_ENDPOINT": f"{self.url}/oauth/token",
            "CODEX_OAUTH_BASE_URL": self.base_url,
            "CODEX_OAUTH_CLIENT_ID": self.settings.client_id,
            "CODEX_OAUTH_HOME": self._home,
            "CODEX_OAUTH_STORAGE": "file",
        }

    def oauth_config(self, **overrides: Any) -> OAuthConfig:
        """An :class:`OAuthConfig` for this emulator (``overrides`` win; ``os.environ`` is ignored)."""
        overrides.setdefault("issuer", self.issuer)
        return OAuthConfig.from_env(env=self.env(), **overrides)

    def login_tokens(
        self,
        email: str | None = None,
        plan_type: str | None = None,
        account_id: str | None = None,
        fedramp: bool | None = None,
        workspace: str | None = None,
    ) -> TokenData:
        """Tokens issued as by a real login (refresh token registered), for the login account by default.

        ``fedramp=True`` sets the id token's ``chatgpt_account_is_fedramp`` claim. Any other ``email`` /
        ``plan_type`` / ``workspace`` is another account: call it once per profile to hold several logins
        (distinct account ids, e-mails and plans).
        """
        base = self._auth.login_account
        if email is None and workspace is None:
            workspace = base.workspace
        account = Account.derive(
            email or base.email,
            plan_type or base.plan_type,
            account_id,
            base.fedramp if fedramp is None else fedramp,
            workspace=workspace,
        )
        tokens = self._auth.mint(account)
        return TokenData(
            id_token=tokens["id_token"],
            access_token=tokens["access_token"],
            refresh_token=tokens.get("refresh_token"),
            account_id=account.account_id,
            last_refresh=datetime.fromtimestamp(self._state.clock.now(), UTC),
        )

    def client(self, *, in_process: bool = False, **kwargs: Any) -> CodexOAuthLLM:
        """A :class:`~oauth_codex.CodexOAuthLLM` wired to this emulator.

        Defaults: ``base_url``, ``oauth_config``, ``interactive=False`` and a ``MemoryTokenStore`` holding
        :meth:`login_tokens` (unless ``token_store`` or ``token_provider`` is given). ``kwargs`` win.
        ``in_process=True``: requests and token refreshes go through :meth:`transport` (no socket).
        """
        from ..client import CodexOAuthLLM

        if in_process:
            from ..auth import OAuthTokenProvider

            transport = self.transport()
            http, ahttp = httpx.Client(transport=transport), httpx.AsyncClient(transport=transport)
            kwargs.setdefault("http_client", http)
            kwargs.setdefault("async_http_client", ahttp)
            if "token_provider" not in kwargs:
                store = kwargs.pop("token_store", None) or MemoryTokenStore(self.login_tokens())
                kwargs["token_provider"] = OAuthTokenProvider(
                    store, self.oauth_config(), interactive=False, http_client=http, async_http_client=ahttp
                )
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("oauth_config", self.oauth_config())
        kwargs.setdefault("interactive", False)
        if self._tls and not in_process:
            kwargs.setdefault("verify", self.ssl_context())
        if "token_store" not in kwargs and "token_provider" not in kwargs:
            kwargs["token_store"] = MemoryTokenStore(self.login_tokens())
        return CodexOAuthLLM(**kwargs)

    def transport(self) -> EmulatorTransport:
        """An in-process ``httpx`` transport serving this emulator, for ``httpx.Client`` and ``AsyncClient``.

        No socket and no thread: the fastest way to run unit tests (even with sockets disabled, e.g.
        pytest-socket), like ``httpx.MockTransport``. Same routes, state, faults and request log as the
        server; it works with or without :meth:`start` (without it, :attr:`url` is
        ``http://codex-emulator.localhost``). Delays and stalls are slept in-process and end with
        ``httpx.ReadTimeout`` when longer than the request's read timeout. :meth:`client` with
        ``in_process=True`` wires a whole client (and its token refreshes) to it::

            emu = CodexEmulator()
            llm = emu.client(in_process=True)
            assert llm.generate(prompt="hi")
        """
        self._in_process = True
        return EmulatorTransport(self._router, self._record)

    # ----------------------------------------------------------------------------------- request log
    def _record(self, request: RecordedRequest) -> None:
        with self._log_lock:
            self._log.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, oldest first (a copy)."""
        with self._log_lock:
            return list(self._log)

    @property
    def responses_requests(self) -> list[RecordedRequest]:
        """Only the ``POST .../responses`` requests."""
        return [r for r in self.requests if r.method == "POST" and r.path == RESPONSES_PATH]

    @property
    def usage_requests(self) -> list[RecordedRequest]:
        """Only the ``GET /backend-api/wham/usage`` requests."""
        return [r for r in self.requests if r.method == "GET" and r.path == USAGE_PATH]

    @property
    def grant_counts(self) -> dict[str, int]:
        """Token-endpoint requests per ``grant_type`` (failed ones too), e.g. ``{"refresh_token": 1}``."""
        with self._state.lock:
            return dict(self._state.grant_counts)

    def clear_requests(self) -> None:
        """Forget the request log and the grant counts."""
        with self._log_lock:
            self._log.clear()
        with self._state.lock:
            self._state.grant_counts.clear()

    # ------------------------------------------------------------------------------ backend faults
    def usage_limit(
        self,
        times: int = 1,
        plan_type: str | None = None,
        status: int = 429,
        *,
        resets_in: float | None = None,
        window: Literal["primary", "secondary"] = "primary",
        account_id: str | None = None,
    ) -> None:
        """``usage_limit_reached`` with ``resets_at`` and 100 % headers; ``status=404`` too.

        By default the next ``times`` requests get it. With ``resets_in`` (seconds of emulator time) the
        ``window`` is used up instead: every ``/responses`` request gets the 429 and both the headers and
        ``wham/usage`` show 100 % until ``resets_at`` (now + ``resets_in``, rounded up to a whole second),
        when the limit lifts and the window starts again empty (``times`` is not used then). Usage is kept
        per account: ``account_id`` limits one account (default: every account).
        """
        if resets_in is None:
            self._backend.http_faults.add("usage_limit", times, plan_type=plan_type, status=status)
            return
        if resets_in <= 0:
            raise ValueError("resets_in must be > 0 seconds")
        self._backend.meter.exhaust(window, self.now() + resets_in, account_id)

    def set_usage(
        self, primary: float | None = None, secondary: float | None = None, *, account_id: str | None = None
    ) -> None:
        """Set the used percent of the windows now (each served response still adds ``usage_percent_step``).

        ``account_id``: only that account's windows (default: every account's).
        """
        for name, value in (("primary", primary), ("secondary", secondary)):
            if value is not None:
                if not 0 <= value <= 100:
                    raise ValueError("used percent must be between 0 and 100")
                self._backend.meter.set_used(name, value, account_id)  # type: ignore[arg-type]

    def usage_endpoint_error(self, status: int = 500, times: int = 1) -> None:
        """``GET /backend-api/wham/usage`` answers ``status`` with a JSON ``detail`` for the next requests."""
        self._backend.usage_faults.add("usage_error", times, status=status)

    def usage_not_included(self, times: int = 1, plan_type: str | None = None) -> None:
        """429 ``usage_not_included``."""
        self._backend.http_faults.add("usage_not_included", times, plan_type=plan_type, status=429)

    def rate_limit(self, times: int = 1, retry_after: float = 1.0) -> None:
        """429 ``rate_limit_exceeded`` with a ``Retry-After`` header."""
        self._backend.http_faults.add("rate_limit", times, retry_after=retry_after)

    def server_error(self, status: int = 500, times: int = 1, code: str | None = None) -> None:
        """A 5xx answer; 503 carries ``{"error": {"code": "server_is_overloaded"}}`` (or ``code``)."""
        if status < 500:
            raise ValueError("server_error() takes a 5xx status")
        self._backend.http_faults.add("server_error", times, status=status, code=code)

    def cloudflare_block(self, times: int = 1) -> None:
        """403 with a Cloudflare "Sorry, you have been blocked" HTML page."""
        self._backend.http_faults.add("cloudflare", times)

    def html_challenge(self, status: int = 403, times: int = 1) -> None:
        """A Cloudflare managed challenge: ``status`` (403 or 503) with ``text/html`` and ``cf-mitigated``."""
        if status not in (403, 503):
            raise ValueError("html_challenge() takes status 403 or 503")
        self._backend.http_faults.add("html_challenge", times, status=status)

    def update_model(self, slug: str, **fields: Any) -> None:
        """Change a model's ``/models`` entry (e.g. ``minimal_client_version="0.200.0"`` gates it for older
        clients, ``visibility="hide"`` hides it); the ``x-models-etag`` changes with it."""
        self.settings.model_overrides.setdefault(slug, {}).update(fields)

    def retire_model(self, slug: str) -> None:
        """Remove ``slug`` from the allow-list: ``/models`` drops it and ``/responses`` rejects it."""
        if slug in self.settings.models:
            self.settings.models.remove(slug)

    def policy_block(self, times: int = 1) -> None:
        """400 ``cyber_policy`` (docs/protocol.md "Rejected requests": policy block; the text is invented)."""
        self._backend.http_faults.add("policy_block", times)

    def unauthorized(self, times: int = 1, code: str | None = "token_expired") -> None:
        """401 on an otherwise valid token: the expired-token ``token_expired`` body, or ``{"detail":
        "Unauthorized"}`` when ``code=None``."""
        self._backend.http_faults.add("unauthorized", times, code=code)

    def slow(self, delay: float, times: int = 1) -> None:
        """Wait ``delay`` seconds before answering the next backend requests."""
        self._backend.delays.add("slow", times, delay=delay)

    def drop_mid_stream(self, after_events: int = 5, times: int = 1) -> None:
        """Send ``after_events`` events, then cut the connection without ending the chunked body."""
        self._backend.stream_faults.add("drop", times, after_events=after_events)

    def end_without_completed(self, after_events: int = 5, times: int = 1) -> None:
        """Send ``after_events`` events, then end the body cleanly with no terminal event."""
        self._backend.stream_faults.add("end", times, after_events=after_events)

    def response_failed(
        self,
        code: str = "server_error",
        message: str | None = None,
        times: int = 1,
        after_events: int | None = None,
    ) -> None:
        """``response.failed`` with ``code`` (real-looking default messages).

        By default it follows ``response.created``/``in_progress``; ``after_events=N`` sends the answer's
        first ``N`` events (e.g. some text deltas) before it.
        """
        self._backend.stream_faults.add(
            "failed", times, code=code, message=message, after_events=after_events
        )

    def response_incomplete(self, reason: str = "max_output_tokens", times: int = 1) -> None:
        """The answer's items, then ``response.incomplete`` with ``incomplete_details.reason``."""
        self._backend.stream_faults.add("incomplete", times, reason=reason)

    def error_event(self, times: int = 1, code: str = "server_error", message: str | None = None) -> None:
        """An ``error`` event (platform shape) instead of the answer."""
        self._backend.stream_faults.add("error_event", times, code=code, message=message)

    def hang_up(self, times: int = 1) -> None:
        """Read the request, then close the connection without sending a single byte back."""
        self._backend.http_faults.add("hang_up", times)

    def inject_raw(self, data: bytes, after_events: int = 2, times: int = 1) -> None:
        """Write ``data`` verbatim into the SSE body before event ``after_events`` (after the last event
        when past the end): malformed lines, unknown event types, bytes that are not UTF-8, ..."""
        self._backend.stream_faults.add("raw", times, data=bytes(data), after_events=after_events)

    def stall(self, seconds: float, after_events: int = 0, times: int = 1) -> None:
        """Go silent for ``seconds`` after ``after_events`` events (an idle stream), then carry on."""
        self._backend.stream_faults.add("stall", times, seconds=seconds, after_events=after_events)

    def _fault_queues(self) -> tuple[FaultQueue, ...]:
        backend = self._backend
        return backend.http_faults, backend.usage_faults, backend.stream_faults, backend.delays, self._auth.token_faults

    @property
    def pending_faults(self) -> int:
        """How many injected faults (backend, usage endpoint, stream, delays, token endpoint) are still
        waiting for a request: 0 once every one was served."""
        return sum(queue.pending() for queue in self._fault_queues())

    def reset_faults(self) -> None:
        """Drop every pending fault (backend and token endpoint) and the token-endpoint delay."""
        for queue in self._fault_queues():
            queue.clear()
        self.settings.token_delay = 0.0

    # ---------------------------------------------------------------------------- tokens and login
    def expire_tokens(self) -> None:
        """Every access token issued so far now counts as expired (``token_expired``); refresh tokens still work."""
        with self._state.lock:
            for record in self._state.access.values():
                record.expired = True

    def revoke_tokens(self) -> None:
        """Revoke every token issued so far: access: ``{"detail": "Unauthorized"}``; refresh:
        ``refresh_token_invalidated``."""
        with self._state.lock:
            for record in self._state.access.values():
                record.revoked = True
            for refresh in self._state.refresh.values():
                if refresh.status == "active":
                    refresh.status = "revoked"

    def token_endpoint_error(
        self, status: int | None = None, code: str | None = None, times: int = 1
    ) -> None:
        """Fail the next token requests: ``code`` (e.g. ``refresh_token_expired``) as 401, else ``status``."""
        self._auth.token_faults.add("token_error", times, status=status, code=code)

    def token_endpoint_delay(self, seconds: float) -> None:
        """Delay every token-endpoint answer by ``seconds`` (0 to stop), for race tests."""
        self.settings.token_delay = seconds

    def deny_login(self, enabled: bool = True) -> None:
        """``/oauth/authorize`` redirects with ``access_denied`` / ``missing_codex_entitlement``."""
        self.settings.deny_login = enabled

    def set_login_account(
        self, email: str, plan_type: str = "plus", fedramp: bool = False, *, workspace: str | None = None
    ) -> str:
        """Who signs in through ``/oauth/authorize`` and the device flow from now on; returns its account id.

        ``workspace`` names a Team/Enterprise workspace of that user: another account id and organization,
        and that title in the id token's ``organizations`` (the personal account is titled "Personal").
        """
        self._auth.login_account = Account.derive(email, plan_type, fedramp=fedramp, workspace=workspace)
        return self._auth.login_account.account_id

    def allow_redirect_uri(self, uri: str) -> None:
        """Register another ``redirect_uri`` (the real server knows only localhost:1455 and :1457)."""
        self.settings.redirect_uris.add(uri)

    def approve_device(self, user_code: str) -> None:
        """Approve a pending device login (what the user does at ``{issuer}/codex/device``)."""
        self._auth.approve_device(user_code)

    def set_device_login(self, enabled: bool) -> None:
        """Disable (404, as when an admin turns it off) or re-enable the device-code endpoints."""
        self.settings.device_login_enabled = enabled

    def advance(self, seconds: float) -> None:
        """Move the emulator clock forward (token expiry, code expiry, device-code expiry)."""
        self._state.clock.advance(seconds)

    def now(self) -> float:
        """The emulator clock, in Unix seconds."""
        return self._state.clock.now()

    # --------------------------------------------------------------------------------- the model
    def set_answer(
        self,
        text: str | None = None,
        deltas: int | None = None,
        delta_delay: float = 0.0,
        commentary: str | None = None,
    ) -> None:
        """Fix the text answer and/or its number of deltas, and the pause after each delta (persistent).

        ``commentary`` adds an assistant message with ``phase: "commentary"`` before the answer (or the tool
        calls), and the answer then carries ``phase: "final_answer"``, as gpt-5.5+ models do.
        ``set_answer()`` restores the default (a reply quoting the prompt).
        """
        self._backend.answer = AnswerSettings(
            text=text, deltas=deltas, delta_delay=delta_delay, commentary=commentary
        )

    def configure_stream(self, **switches: bool) -> None:
        """Change SSE shape switches: ``completed_output``, ``include_usage``, ``null_usage_details``,
        ``sequence_numbers``, ``obfuscation``."""
        current = self._backend.stream_options
        self._backend.stream_options = StreamOptions(**{**current.__dict__, **switches})
