"""``login`` / ``alogin``: sign in with ChatGPT (browser + local callback, pasted redirect URL, device code).

Every mode uses PKCE S256 and a random ``state`` checked in constant time. Nothing is stored until the whole
login succeeded; any failure raises :class:`~oauth_codex.errors.LoginError` and leaves the store untouched.
"""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Callable
from typing import Literal, TextIO

import httpx

from ..errors import LoginError
from ._auto_store import default_token_store
from ._callback_server import bind_callback_server
from ._config import OAuthConfig
from ._device import device_flow
from ._discovery import resolve_endpoints
from ._env import browser_available
from ._exchange import exchange_code
from ._flow import Flow, InputFunc, Prompt, WaitEvent, run_async, run_sync
from ._locks import RefreshLock, lock_path_for
from ._log import get_logger
from ._pkce import build_authorize_url, generate_pkce, generate_state, parse_pasted_callback
from ._profiles import ConfirmMove, settle_duplicate, with_profile
from ._tokens import TokenData, TokenStore

__all__ = ["LoginMode", "alogin", "login"]

log = get_logger(__name__)

LoginMode = Literal["auto", "browser", "paste", "device"]
BrowserOpener = Callable[[str], object]

BROWSER_TIMEOUT = 600.0
_SUCCESS_PAGE_GRACE = 3.0
_PASTE_ATTEMPTS = 3


def _say(output: TextIO, text: str) -> None:
    output.write(text + "\n")
    output.flush()


def _describe(tokens: TokenData) -> str:
    who = tokens.email or "your ChatGPT account"
    return f"{who} ({tokens.plan_type} plan)" if tokens.plan_type else who


def browser_flow(
    config: OAuthConfig, *, opener: BrowserOpener | None, output: TextIO, timeout: float
) -> Flow[TokenData]:
    """Local callback server + browser. ``opener=None`` only prints the URL (open it yourself)."""
    endpoints = yield from resolve_endpoints(config)
    pkce, state = generate_pkce(), generate_state()
    server = yield from bind_callback_server(config.redirect_uri, state)
    try:
        url = build_authorize_url(
            config, endpoints.authorization_endpoint, redirect_uri=server.redirect_uri, pkce=pkce, state=state
        )
        opened = False
        if opener is not None:
            _say(output, "Opening your browser to sign in with ChatGPT. If it does not open, visit this URL:")
            try:
                opened = opener(url) is not False
            except Exception as exc:  # any browser launcher failure: fall back to the printed URL
                log.debug("could not open a browser: %s", type(exc).__name__)
        if not opened:
            _say(output, "Open this URL in a browser on this machine to sign in with ChatGPT:")
        _say(output, f"  {url}")
        _say(output, f"Waiting for the sign-in to finish (callback on {server.redirect_uri})...")
        arrived = yield WaitEvent(server.code_ready, timeout)
        if not arrived:
            raise LoginError(
                f"No sign-in arrived within {timeout:.0f}s. Run `oauth-codex login` again; without a browser "
                "on this machine use `oauth-codex login --paste` or `--device`.",
                code="timeout",
            )
        code = server.result()
        try:
            tokens: TokenData = yield from exchange_code(
                config, endpoints, code=code, redirect_uri=server.redirect_uri, code_verifier=pkce.verifier
            )
        except LoginError as exc:
            server.complete(exc)
            raise
        server.complete(message=f"Signed in to oauth-codex as {_describe(tokens)}. You can close this tab.")
        yield WaitEvent(server.success_served, _SUCCESS_PAGE_GRACE)
        return tokens
    finally:
        server.close()


#: paste mistakes worth a second try (a denial or an auth-server error ends the login)
_REPROMPT_CODES = frozenset({"state_mismatch", "missing_authorization_code", "invalid_callback"})


def paste_flow(config: OAuthConfig, *, output: TextIO) -> Flow[TokenData]:
    """Print the URL; the user signs in anywhere and pastes the URL the browser was redirected to."""
    endpoints = yield from resolve_endpoints(config)
    pkce, state = generate_pkce(), generate_state()
    url = build_authorize_url(
        config, endpoints.authorization_endpoint, redirect_uri=config.redirect_uri, pkce=pkce, state=state
    )
    _say(output, "Sign in with ChatGPT:")
    _say(output, "  1. Open this URL in a browser (on any machine):")
    _say(output, f"     {url}")
    _say(
        output,
        "  2. After signing in, the browser goes to a localhost page that may fail to load; that is fine.\n"
        f"     Copy the full URL from the address bar (it starts with {config.redirect_uri}?code=) and paste "
        "it below.",
    )
    for attempt in range(1, _PASTE_ATTEMPTS + 1):
        try:
            pasted = yield Prompt("Paste the redirected URL (or the code): ")
        except EOFError:
            raise LoginError(
                "No input to read the pasted URL from (stdin is closed). Run the login in a terminal or "
                "notebook, or use `oauth-codex login --device`.",
                code="no_input",
            ) from None
        try:
            code = parse_pasted_callback(str(pasted), state)
            break
        except LoginError as exc:
            if exc.code not in _REPROMPT_CODES or attempt == _PASTE_ATTEMPTS:
                raise
            _say(output, f"{exc.problem} Please paste it again.")  # the problem only: one instruction
    tokens: TokenData = yield from exchange_code(
        config, endpoints, code=code, redirect_uri=config.redirect_uri, code_verifier=pkce.verifier
    )
    return tokens


def _opener(open_browser: bool | BrowserOpener | None) -> BrowserOpener | None:
    if callable(open_browser):
        return open_browser
    if open_browser is False:
        return None
    if open_browser is None and not browser_available():
        return None
    return webbrowser.open


def login_flow(
    config: OAuthConfig,
    *,
    mode: LoginMode,
    open_browser: bool | BrowserOpener | None,
    output: TextIO,
    timeout: float | None,
) -> Flow[TokenData]:
    """Run the login ``mode`` (``auto``: browser when one can be opened and the port is free, else paste)."""
    if mode == "device":
        return (yield from device_flow(config, output=output, timeout=timeout))
    if mode == "paste":
        return (yield from paste_flow(config, output=output))
    opener = _opener(open_browser)
    if mode == "browser":
        return (
            yield from browser_flow(config, opener=opener, output=output, timeout=timeout or BROWSER_TIMEOUT)
        )
    if mode != "auto":
        raise ValueError(f"mode must be 'auto', 'browser', 'paste' or 'device', not {mode!r}")
    if opener is None:
        log.debug("login mode auto: no browser can be opened; using paste")
        return (yield from paste_flow(config, output=output))
    try:
        return (
            yield from browser_flow(config, opener=opener, output=output, timeout=timeout or BROWSER_TIMEOUT)
        )
    except LoginError as exc:
        if exc.code not in {"port_in_use", "unsupported_redirect_uri"}:
            raise
        log.debug("login mode auto: no browser login (%s); using paste", exc.code)
        _say(output, f"{exc.message.split('.')[0]}; switching to paste mode.")
        return (yield from paste_flow(config, output=output))


def _save(store: TokenStore, tokens: TokenData, config: OAuthConfig) -> None:
    with RefreshLock(lock_path_for(store, config)).hold_file():
        store.save(tokens)


async def _asave(store: TokenStore, tokens: TokenData, config: OAuthConfig) -> None:
    async with RefreshLock(lock_path_for(store, config)).ahold_file():
        store.save(tokens)


def _finish(output: TextIO, store: TokenStore, tokens: TokenData) -> None:
    where = getattr(store, "location", None)
    profile = getattr(store, "profile_name", None)
    named = f" (profile {profile!r})" if profile else ""
    _say(output, f"Logged in as {_describe(tokens)}{named}." + (f" Saved to {where}." if where else ""))


def login(
    config: OAuthConfig | None = None,
    *,
    mode: LoginMode = "auto",
    store: TokenStore | None = None,
    open_browser: bool | BrowserOpener | None = None,
    input_func: InputFunc | None = None,
    output: TextIO | None = None,
    timeout: float | None = None,
    http_client: httpx.Client | None = None,
    profile_name: str | None = None,
    confirm_move: ConfirmMove | None = None,
) -> TokenData:
    """Sign in with ChatGPT and save the tokens to ``store`` (default: the profile's
    :func:`default_token_store`; ``profile_name`` beats ``CODEX_OAUTH_PROFILE`` and the current profile).

    Modes:

    * ``"browser"``: start a callback server on the redirect URI's port (127.0.0.1:1455 by default), open the
      browser (``open_browser``: ``None`` detects one, ``False`` only prints the URL, or a callable
      ``open(url)``) and wait up to ``timeout`` (600 s) for the redirect.
    * ``"paste"``: print the URL and read the redirected URL (or the bare code) with ``input_func``
      (default :func:`input`): works over SSH and in Jupyter.
    * ``"device"``: print a code to enter at ``{issuer}/codex/device`` and poll (15 minutes at most).
    * ``"auto"`` (default): browser when one can be opened here and the port is free, else paste.

    Messages go to ``output`` (default ``sys.stderr``). Raises :class:`~oauth_codex.errors.LoginError` (with
    a ``code`` such as ``access_denied``, ``port_in_use``, ``state_mismatch``, ``device_code_expired``);
    nothing is stored then. Never calls ``asyncio.run``, so it is safe in a notebook.

    One ChatGPT account lives in one profile: when another profile already holds the account that signed
    in, ``confirm_move(other_profile)`` decides; ``True`` moves the login here (the other profile is signed
    out on this machine), ``False`` or no ``confirm_move`` raises ``LoginError`` (code
    ``account_in_other_profile``) and saves nothing.

    >>> from oauth_codex.auth import login
    >>> tokens = login(mode="paste")  # doctest: +SKIP
    """
    config = with_profile(config or OAuthConfig.from_env(), profile_name)
    store = store if store is not None else default_token_store(config)
    out = output or sys.stderr
    flow = login_flow(config, mode=mode, open_browser=open_browser, output=out, timeout=timeout)
    tokens = run_sync(flow, client=http_client, input_func=input_func or input)
    refused = settle_duplicate(config, store, tokens, confirm_move)
    if refused is not None:
        raise refused
    _save(store, tokens, config)
    _finish(out, store, tokens)
    return tokens


# alogin mirrors login's parameters and steps on purpose (duplicates lists the pair): the flow generators hold
# the logic; these two only pick the sync or async driver.
async def alogin(
    config: OAuthConfig | None = None,
    *,
    mode: LoginMode = "auto",
    store: TokenStore | None = None,
    open_browser: bool | BrowserOpener | None = None,
    input_func: InputFunc | None = None,
    output: TextIO | None = None,
    timeout: float | None = None,
    http_client: httpx.AsyncClient | None = None,
    profile_name: str | None = None,
    confirm_move: ConfirmMove | None = None,
) -> TokenData:
    """Async twin of :func:`login` (HTTP with ``httpx.AsyncClient``; waiting never blocks the loop).

    Paste mode still reads the pasted line with the blocking ``input_func``: a human is typing.
    """
    config = with_profile(config or OAuthConfig.from_env(), profile_name)
    store = store if store is not None else default_token_store(config)
    out = output or sys.stderr
    flow = login_flow(config, mode=mode, open_browser=open_browser, output=out, timeout=timeout)
    tokens = await run_async(flow, client=http_client, input_func=input_func or input)
    refused = settle_duplicate(config, store, tokens, confirm_move)
    if refused is not None:
        raise refused
    await _asave(store, tokens, config)
    _finish(out, store, tokens)
    return tokens
