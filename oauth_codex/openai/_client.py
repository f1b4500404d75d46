"""``OpenAI`` / ``AsyncOpenAI``: genuine ``openai`` SDK clients that run on a ChatGPT login, in process."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import httpx2
import openai

from ..auth._config import OAuthConfig
from ..auth._tokens import TokenProvider, TokenStore
from ..client import DEFAULT_TIMEOUT, CodexOAuthLLM
from ._errors import StatusErrorFactory
from ._transport import AsyncCodexTransport, CodexTransport

__all__ = ["AsyncOpenAI", "OpenAI"]

#: what the SDK sees as its API key: the transport replaces it with the ChatGPT login's bearer token
API_KEY_PLACEHOLDER = "chatgpt-oauth"


class _HTTPClient(httpx2.Client):
    """The SDK's HTTP client, marked so that ``client.copy()`` / ``with_options()`` reuse its transport."""

    def __init__(self, llm: CodexOAuthLLM, *, status_error: StatusErrorFactory, owns_llm: bool) -> None:
        self.codex_transport = CodexTransport(llm, status_error=status_error, owns_llm=owns_llm)
        super().__init__(transport=self.codex_transport)


class _AsyncHTTPClient(httpx2.AsyncClient):
    def __init__(self, llm: CodexOAuthLLM, *, status_error: StatusErrorFactory, owns_llm: bool) -> None:
        self.codex_transport = AsyncCodexTransport(llm, status_error=status_error, owns_llm=owns_llm)
        super().__init__(transport=self.codex_transport)


_HTTP = TypeVar("_HTTP", _HTTPClient, _AsyncHTTPClient)


def _sdk_http_client(
    given: httpx2.Client | httpx2.AsyncClient | None,
    kind: type[_HTTP],
    status_error: StatusErrorFactory,
    llm: CodexOAuthLLM | None,
    *,
    base_url: str | httpx2.URL | None,
    token_store: TokenStore | None,
    token_provider: TokenProvider | None,
    interactive: bool | None,
    oauth_config: OAuthConfig | None,
    instructions: str | None,
    max_retries: int,
    timeout: float | httpx.Timeout,
) -> _HTTP:
    """The SDK client's ``http_client``, shared by :class:`OpenAI` and :class:`AsyncOpenAI`.

    The one ``copy()`` / ``with_options()`` hand back (same transport, same login), else a new one on the core
    client carrying the login: ``llm``, or one built from the options and owned (closed) by this SDK client.
    """
    if isinstance(given, kind):  # copy() / with_options(): same transport, same login
        return given
    if given is not None:
        raise TypeError(
            "oauth_codex.openai builds its own http_client (its transport carries the ChatGPT login); to tune "
            "connections pass llm=CodexOAuthLLM(http_client=httpx.Client(...), async_http_client=...) instead."
        )
    if llm is not None:
        login = {
            "base_url": base_url,
            "token_store": token_store,
            "token_provider": token_provider,
            "interactive": interactive,
            "oauth_config": oauth_config,
            "instructions": instructions,
        }
        named = [name for name, value in login.items() if value is not None]
        if named:
            raise ValueError(
                f"pass either llm= or {', '.join(named)}: the CodexOAuthLLM given as llm= already carries its "
                "login and settings."
            )
        return kind(llm, status_error=status_error, owns_llm=False)
    core = CodexOAuthLLM(
        base_url=str(base_url) if base_url is not None else None,
        token_store=token_store,
        token_provider=token_provider,
        interactive=interactive,
        oauth_config=oauth_config,
        instructions=instructions,
        max_retries=max_retries,
        timeout=timeout,
    )
    return kind(core, status_error=status_error, owns_llm=True)


class OpenAI(openai.OpenAI):
    """An ``openai.OpenAI`` client whose requests run on your ChatGPT login (the Codex backend), in process.

    >>> from oauth_codex.openai import OpenAI
    >>> client = OpenAI()                                                        # doctest: +SKIP
    >>> client.responses.create(model="gpt-5.5", input="Say hi").output_text     # doctest: +SKIP

    It is a real ``openai.OpenAI`` (``isinstance`` holds; pass it wherever one is expected). Its httpx
    transport sends ``responses.create`` / ``parse`` / ``stream``, ``chat.completions.create`` / ``parse``
    and ``models.list`` / ``retrieve`` to ``base_url`` (default: ``CODEX_OAUTH_BASE_URL`` or
    ``https://chatgpt.com/backend-api/codex``) with the bearer token and ``ChatGPT-Account-ID`` of the login,
    refreshing once and retrying once on a 401, and applies the backend's rules: ``store: false``, system and
    developer input items lifted into ``instructions`` (a default when there are none), non-streaming calls
    sent as a stream and answered with the aggregated ``Response``, and rejected parameters
    (``temperature``, ``max_output_tokens``, ...) dropped with one warning each. Chat Completions requests are
    translated to the Responses API and back; what cannot be translated raises ``openai.BadRequestError``.

    Errors are the SDK's own exception types (``openai.RateLimitError`` for a usage limit, ...), with this
    project's error (e.g. :class:`~oauth_codex.UsageLimitError` with ``resets_at``) as ``__cause__``.
    Retries follow this project's policy (``max_retries``, 5xx and dropped connections before any output,
    never usage limits); the SDK's own retry loop never sees a retryable answer.

    ``llm`` shares an existing :class:`~oauth_codex.CodexOAuthLLM` (its login, connections and settings);
    otherwise one is built from ``base_url``, ``token_store``, ``token_provider``, ``interactive``,
    ``oauth_config``, ``instructions`` (the default instructions), ``max_retries`` and ``timeout``, and closed
    with this client. Other keyword arguments go to ``openai.OpenAI`` (``default_headers`` reach the
    transport but are not sent to the backend).
    """

    llm: CodexOAuthLLM

    def __init__(
        self,
        *,
        llm: CodexOAuthLLM | None = None,
        base_url: str | httpx2.URL | None = None,
        token_store: TokenStore | None = None,
        token_provider: TokenProvider | None = None,
        interactive: bool | None = None,
        oauth_config: OAuthConfig | None = None,
        instructions: str | None = None,
        max_retries: int = 4,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        http_client: httpx2.Client | None = None,
        **options: Any,
    ) -> None:
        # The same lines as in AsyncOpenAI.__init__ on purpose: the signature is spelled out for help() and
        # type checkers; the construction itself is written once, in _sdk_http_client.
        http_client = _sdk_http_client(
            http_client,
            _HTTPClient,
            self._make_status_error,
            llm,
            base_url=base_url,
            token_store=token_store,
            token_provider=token_provider,
            interactive=interactive,
            oauth_config=oauth_config,
            instructions=instructions,
            max_retries=max_retries,
            timeout=timeout,
        )
        self.llm = http_client.codex_transport.llm
        options.setdefault("api_key", API_KEY_PLACEHOLDER)
        super().__init__(
            base_url=http_client.codex_transport.base_url, max_retries=max_retries, http_client=http_client, **options
        )


class AsyncOpenAI(openai.AsyncOpenAI):
    """An ``openai.AsyncOpenAI`` client on your ChatGPT login: the async twin of :class:`OpenAI`.

    Pass it wherever an ``AsyncOpenAI`` is expected, e.g. the OpenAI Agents SDK's
    ``OpenAIResponsesModel(model="gpt-5.5", openai_client=AsyncOpenAI())``.
    """

    llm: CodexOAuthLLM

    def __init__(
        self,
        *,
        llm: CodexOAuthLLM | None = None,
        base_url: str | httpx2.URL | None = None,
        token_store: TokenStore | None = None,
        token_provider: TokenProvider | None = None,
        interactive: bool | None = None,
        oauth_config: OAuthConfig | None = None,
        instructions: str | None = None,
        max_retries: int = 4,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        http_client: httpx2.AsyncClient | None = None,
        **options: Any,
    ) -> None:
        # The same lines as in OpenAI.__init__ on purpose: the signature is spelled out for help() and
        # type checkers; the construction itself is written once, in _sdk_http_client.
        http_client = _sdk_http_client(
            http_client,
            _AsyncHTTPClient,
            self._make_status_error,
            llm,
            base_url=base_url,
            token_store=token_store,
            token_provider=token_provider,
            interactive=interactive,
            oauth_config=oauth_config,
            instructions=instructions,
            max_retries=max_retries,
            timeout=timeout,
        )
        self.llm = http_client.codex_transport.llm
        options.setdefault("api_key", API_KEY_PLACEHOLDER)
        super().__init__(
            base_url=http_client.codex_transport.base_url, max_retries=max_retries, http_client=http_client, **options
        )
