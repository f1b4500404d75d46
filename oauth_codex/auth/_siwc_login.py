"""SIWC sign-in and sign-out ("Continue with ChatGPT"; SIWC.md §2-§5, §8, §9, §15).

Sign-in is a flow of effects (the same ``_flow`` drivers, callback server and PKCE helpers as the Codex
route): discovery, then the browser on a ``127.0.0.1`` loopback port (or ``paste``: the user pastes the
redirected URL; this route has no device-code sign-in), PKCE S256, ``state`` and ``nonce``. The first
sign-in of a profile registers the app (``client_id=dynamic_agent_client``, ``agent_name_hint``, this
installation's ``ext_agent_host_id``); the issued client id is saved **before** the code is exchanged and
reused for every later sign-in, refresh and revocation. The ID token is verified (JWKS RS256, iss, aud,
azp, exp, nonce, and the profile's ``sub`` on a re-sign-in) before anything usable is saved. A sign-in
without ``chatgpt.tokens.use.direct`` is kept, with plan usage marked disabled.
"""

from __future__ import annotations

import sys
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TextIO
from urllib.parse import parse_qs, urlsplit

import httpx

from ..errors import IdentityVerificationUnavailableError, LoginError, TokenStoreError
from ._callback_server import bind_callback_server
from ._env import browser_available
from ._flow import Flow, Http, InputFunc, Prompt, Sleep, WaitEvent, run_async, run_sync
from ._locks import RefreshLock
from ._pkce import callback_code, generate_pkce, generate_state
from ._siwc_idtoken import JwksCache, verify_id_token
from ._siwc_store import SiwcCredentials, SiwcStore
from ._siwc_wire import (
    CALLBACK_PATH,
    SiwcConfig,
    SiwcEndpoints,
    authorize_url,
    callback_client_id,
    discovery_request,
    endpoints_from_discovery,
    exchange_request,
    oauth_error,
    parse_token_reply,
    revoke_request,
)

__all__ = ["SiwcLogoutResult", "asiwc_login", "discover", "siwc_login", "siwc_logout"]

SiwcLoginMode = Literal["auto", "browser", "paste", "device"]
BrowserOpener = Callable[[str], object]

BROWSER_TIMEOUT = 600.0
PASTE_PORT = 1456
_PASTE_ATTEMPTS = 3
_SUCCESS_PAGE_GRACE = 3.0
MANAGE_USAGE = "https://chatgpt.com/settings/usage"
WELCOME = (
    "You're using your ChatGPT plan\n"
    f"Eligible usage in this app uses your ChatGPT plan. Manage usage in your ChatGPT settings: {MANAGE_USAGE}"
)
NO_DEVICE = (
    "The siwc route has no device-code sign-in. On a machine without a browser use "
    "`oauth-codex login --route siwc --paste` (open the URL anywhere, paste the redirected URL back)."
)


class _FreshAuthorization(Exception):
    """The code exchange answered ``invalid_grant``: start one fresh authorization with the issued id."""


def _say(output: TextIO, text: str) -> None:
    output.write(text + "\n")
    output.flush()


def discover(config: SiwcConfig) -> Flow[SiwcEndpoints]:
    """Read and validate the discovery document (unreachable: the retryable identity error)."""
    try:
        reply = yield Http(discovery_request(config))
    except httpx.TransportError:
        raise IdentityVerificationUnavailableError(
            f"The sign-in service at {config.issuer} cannot be reached; nothing was changed. Check your network "
            "and try again."
        ) from None
    return endpoints_from_discovery(config, reply)


def _pasted_params(text: str, redirect_uri: str, state: str) -> dict[str, list[str]]:
    """The query of the pasted redirect URL: scheme, host, port and path must be this attempt's."""
    pasted = text.strip().strip("'\"<>")
    expected = urlsplit(redirect_uri)
    try:
        got = urlsplit(pasted)
        same = (got.scheme, got.hostname, got.port, got.path) == (
            expected.scheme,
            expected.hostname,
            expected.port,
            expected.path,
        )
    except ValueError:
        same = False
    if not same or len(pasted) > 16384:
        raise LoginError(
            f"Paste the full URL your browser was redirected to; it starts with {redirect_uri}?code= (a bare "
            "code is not enough on this route).",
            code="invalid_callback",
        )
    params = parse_qs(got.query, keep_blank_values=True)
    if any(len(v) > 1 for v in params.values()):
        raise LoginError("The pasted URL repeats a parameter. Paste the URL exactly as shown.", code="invalid_callback")
    callback_code(params, state)
    return params


def _attempt(
    config: SiwcConfig,
    store: SiwcStore,
    profile: str,
    endpoints: SiwcEndpoints,
    jwks: JwksCache,
    *,
    browser: bool,
    opener: BrowserOpener | None,
    output: TextIO,
    timeout: float,
    enable_plan: bool,
    clock: Callable[[], float],
) -> Flow[SiwcCredentials]:
    existing = store.load(profile)
    host_id = store.host_id()
    saved_id = existing.client_id if existing is not None else None
    registering = saved_id is None
    pkce, state, nonce = generate_pkce(), generate_state(), generate_state()
    server = None
    if browser:
        server = yield from bind_callback_server(f"http://127.0.0.1:0{CALLBACK_PATH}", state)
        server.required_host = f"127.0.0.1:{server.port}"
        redirect_uri = server.redirect_uri
    else:
        redirect_uri = f"http://127.0.0.1:{PASTE_PORT}{CALLBACK_PATH}"
    try:
        url = authorize_url(
            endpoints,
            client_id=saved_id,
            host_id=host_id,
            redirect_uri=redirect_uri,
            state=state,
            nonce=nonce,
            challenge=pkce.challenge,
            agent_name=config.agent_name,
            id_token_hint=existing.id_token if existing is not None else None,
            login_hint=existing.email if existing is not None else None,
            consent=enable_plan,
        )
        shown = url.split("&id_token_hint=")[0] if "&id_token_hint=" in url else url  # never print the hint
        if server is not None:
            opened = False
            if opener is not None:
                _say(output, "Continue with ChatGPT: opening your browser. If it does not open, visit this URL:")
                try:
                    opened = opener(url) is not False
                except Exception:  # any launcher failure: the printed URL remains
                    opened = False
            if not opened:
                _say(output, "Continue with ChatGPT: open this URL in a browser on this machine:")
            _say(output, f"  {shown}")
            arrived = yield WaitEvent(server.code_ready, timeout)
            if not arrived:
                raise LoginError(
                    f"No sign-in arrived within {timeout:.0f}s. Run `oauth-codex login --route siwc` again, or add "
                    "--paste when the browser runs on another machine.",
                    code="timeout",
                )
            code = server.result()
            params = server.params
        else:
            _say(output, "Continue with ChatGPT:")
            _say(output, f"  1. Open this URL in a browser (on any machine):\n     {shown}")
            _say(
                output,
                f"  2. After signing in, copy the full URL from the address bar (it starts with {redirect_uri}?code=)",
            )
            for attempt in range(1, _PASTE_ATTEMPTS + 1):
                try:
                    pasted = yield Prompt("Paste the redirected URL: ")
                except EOFError:
                    raise LoginError(
                        "No input to read the pasted URL from (stdin is closed).", code="no_input"
                    ) from None
                try:
                    params = _pasted_params(str(pasted), redirect_uri, state)
                    break
                except LoginError as exc:
                    if exc.code not in ("invalid_callback", "state_mismatch") or attempt == _PASTE_ATTEMPTS:
                        raise
                    _say(output, f"{exc.problem} Please paste it again.")  # the problem only: one instruction
            code = params["code"][0]
        client_id = callback_client_id(
            params, registering=registering, saved_client_id=saved_id, issuer=endpoints.issuer
        )
        if registering:  # saved before the code is redeemed: a failed exchange never re-registers
            store.save(
                profile, SiwcCredentials(issuer=endpoints.issuer, client_id=client_id, ext_agent_host_id=host_id)
            )
        try:
            reply = yield Http(
                exchange_request(
                    endpoints, client_id=client_id, code=code, verifier=pkce.verifier, redirect_uri=redirect_uri
                )
            )
        except httpx.TransportError as exc:
            raise LoginError(
                f"The sign-in service could not be reached to finish the sign-in ({type(exc).__name__}). Try again.",
                code="token_exchange_failed",
            ) from None
        if reply.status != 200:
            error, _ = oauth_error(reply)
            if error == "invalid_grant":
                raise _FreshAuthorization
            raise LoginError(
                f"The sign-in service refused to finish the sign-in (HTTP {reply.status}, {error or 'no code'}). "
                + ("This app's registration may have been removed; " if error == "invalid_client" else "")
                + "Run `oauth-codex login --route siwc` again.",
                code=error or "token_exchange_failed",
            )
        tokens = parse_token_reply(reply, require_id_token=True, require_refresh=False)
        callback_scope = (params.get("scope") or [""])[0].split()
        granted = tokens.scopes if tokens.scopes is not None else tuple(sorted(callback_scope))
        if "offline_access" in granted and not tokens.refresh_token:
            raise LoginError(
                "The token reply lacks the refresh token; nothing was saved. Try again.", code="invalid_token_response"
            )
        assert tokens.id_token is not None
        now = clock()
        claims = yield from verify_id_token(
            tokens.id_token,
            endpoints=endpoints,
            client_id=client_id,
            nonce=nonce,
            expected_sub=existing.subject if existing is not None else None,
            jwks=jwks,
            now=now,
        )
        record = SiwcCredentials(
            issuer=endpoints.issuer,
            client_id=client_id,
            ext_agent_host_id=host_id,
            subject=claims["sub"],
            email=claims.get("email") if isinstance(claims.get("email"), str) else None,
            name=claims.get("name") if isinstance(claims.get("name"), str) else None,
            status="connected",
            id_token=tokens.id_token,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=now + tokens.expires_in,
            earliest_refresh_at=tokens.earliest_refresh_at,
            scopes=list(granted),
            welcome_seen=existing.welcome_seen if existing is not None else False,
        )
        if server is not None:
            server.complete(message="Signed in with ChatGPT. You can close this tab and return to your app.")
            yield WaitEvent(server.success_served, _SUCCESS_PAGE_GRACE)
        return record
    except LoginError as exc:
        if server is not None:
            server.complete(exc)
        raise
    except _FreshAuthorization:
        if server is not None:
            server.complete(LoginError("The sign-in code was refused; starting again.", code="invalid_grant"))
        raise
    finally:
        if server is not None:
            server.close()


def siwc_login_flow(
    config: SiwcConfig,
    store: SiwcStore,
    profile: str,
    *,
    mode: SiwcLoginMode,
    opener: BrowserOpener | None,
    output: TextIO,
    timeout: float | None,
    enable_plan: bool,
    clock: Callable[[], float] = time.time,
) -> Flow[SiwcCredentials]:
    if mode == "device":
        raise LoginError(NO_DEVICE, code="device_unsupported")
    if mode not in ("auto", "browser", "paste"):
        raise ValueError(f"mode must be 'auto', 'browser' or 'paste', not {mode!r}")
    browser = mode == "browser" or (mode == "auto" and opener is not None)
    endpoints = yield from discover(config)
    jwks = JwksCache()
    for attempt in range(2):
        try:
            return (
                yield from _attempt(
                    config, store, profile, endpoints, jwks, browser=browser, opener=opener, output=output,
                    timeout=timeout or BROWSER_TIMEOUT, enable_plan=enable_plan, clock=clock,
                )
            )  # fmt: skip
        except _FreshAuthorization:
            if attempt == 1:
                break
            _say(output, "The sign-in code was refused (invalid_grant); starting a fresh sign-in for this app.")
    raise LoginError(
        "The sign-in service refused the authorization code twice (invalid_grant). Run `oauth-codex login "
        "--route siwc` again.",
        code="invalid_grant",
    )


def _opener(open_browser: bool | BrowserOpener | None) -> BrowserOpener | None:
    if callable(open_browser):
        return open_browser
    if open_browser is False or (open_browser is None and not browser_available()):
        return None
    return webbrowser.open


def _finish(store: SiwcStore, profile: str, record: SiwcCredentials, output: TextIO) -> SiwcCredentials:
    who = record.email or "your ChatGPT account"
    first_use = record.plan_enabled and not record.welcome_seen
    if first_use:
        record = record.model_copy(update={"welcome_seen": True})
    record = store.save(profile, record)
    if not record.plan_enabled:
        _say(
            output,
            f"Signed in with ChatGPT as {who}, but ChatGPT plan usage is not enabled for this app, so it cannot "
            "send requests. Enable it with `oauth-codex login --route siwc --enable-plan` (or use another billing "
            "path such as your own API key).",
        )
    else:
        _say(output, f"Signed in with ChatGPT as {who} (profile {profile!r}). Saved to {store.path(profile)}.")
    if first_use:
        _say(output, WELCOME)
    return record


def siwc_login(
    config: SiwcConfig | None = None,
    *,
    profile: str = "default",
    mode: SiwcLoginMode = "auto",
    store: SiwcStore | None = None,
    open_browser: bool | BrowserOpener | None = None,
    input_func: InputFunc | None = None,
    output: TextIO | None = None,
    timeout: float | None = None,
    enable_plan: bool = False,
    http_client: httpx.Client | None = None,
) -> SiwcCredentials:
    """ "Continue with ChatGPT": sign in on the SIWC route and save the login of ``profile``.

    ``mode``: ``"browser"`` (a callback server on a free ``127.0.0.1`` port; ``open_browser`` as in
    :func:`~oauth_codex.auth.login`), ``"paste"`` (print the URL, read the redirected URL with
    ``input_func``), ``"auto"`` (browser when one can be opened, else paste). ``"device"`` raises
    :class:`LoginError`: this route has no device-code sign-in. ``enable_plan`` asks for consent again
    (``prompt=consent``) after plan usage was declined. Raises :class:`LoginError` (``access_denied``,
    ``state_mismatch``, ``registration_incomplete``, ...), :class:`~oauth_codex.errors.AccountMismatchError`,
    :class:`~oauth_codex.errors.InvalidIdTokenError` or the retryable
    :class:`~oauth_codex.errors.IdentityVerificationUnavailableError`; the saved login is unchanged then.
    """
    config = config or SiwcConfig.from_env()
    store = store or SiwcStore(config)
    out = output or sys.stderr
    flow = siwc_login_flow(
        config, store, profile, mode=mode, opener=_opener(open_browser), output=out, timeout=timeout,
        enable_plan=enable_plan,
    )  # fmt: skip
    record = run_sync(flow, client=http_client, input_func=input_func or input)
    with RefreshLock(store.lock_path(profile)).hold_file():
        return _finish(store, profile, record, out)


# asiwc_login mirrors siwc_login's parameters and steps on purpose (duplicates lists the pair): the flow generator
# holds the logic; these two only pick the sync or async driver and lock.
async def asiwc_login(
    config: SiwcConfig | None = None,
    *,
    profile: str = "default",
    mode: SiwcLoginMode = "auto",
    store: SiwcStore | None = None,
    open_browser: bool | BrowserOpener | None = None,
    input_func: InputFunc | None = None,
    output: TextIO | None = None,
    timeout: float | None = None,
    enable_plan: bool = False,
    http_client: httpx.AsyncClient | None = None,
) -> SiwcCredentials:
    """Async twin of :func:`siwc_login`."""
    config = config or SiwcConfig.from_env()
    store = store or SiwcStore(config)
    out = output or sys.stderr
    flow = siwc_login_flow(
        config, store, profile, mode=mode, opener=_opener(open_browser), output=out, timeout=timeout,
        enable_plan=enable_plan,
    )  # fmt: skip
    record = await run_async(flow, client=http_client, input_func=input_func or input)
    async with RefreshLock(store.lock_path(profile)).ahold_file():
        return _finish(store, profile, record, out)


# ------------------------------------------------------------------------------------------------ logout


@dataclass(frozen=True)
class SiwcLogoutResult:
    """``revoked``: the server confirmed the revocation; ``message``: what to tell the user."""

    revoked: bool
    message: str


_UNCONFIRMED = (
    "Local credentials were removed, but remote disconnection could not be confirmed. Disconnect the app in "
    "ChatGPT Settings > Security and login > Login connections."
)
_REVOKE_DELAYS = (0.3,)  # two attempts, 300 ms apart (as the DevKit)


def _revoke_flow(config: SiwcConfig, record: SiwcCredentials) -> Flow[bool]:
    if not record.refresh_token:
        return False
    try:
        endpoints = yield from discover(config)
    except (IdentityVerificationUnavailableError, LoginError):
        return False
    if endpoints.revocation_endpoint is None:
        return False
    request = revoke_request(
        endpoints.revocation_endpoint, client_id=record.client_id, refresh_token=record.refresh_token
    )
    for attempt in range(len(_REVOKE_DELAYS) + 1):
        try:
            reply = yield Http(request)
        except httpx.TransportError:
            reply = None
        if reply is not None and reply.status == 200:
            return True
        if reply is not None and reply.status < 500:
            return False  # a 4xx is an answer: not confirmed, and retrying cannot change it
        if attempt < len(_REVOKE_DELAYS):
            yield Sleep(_REVOKE_DELAYS[attempt])
    return False


def siwc_logout(
    config: SiwcConfig | None = None,
    *,
    profile: str = "default",
    store: SiwcStore | None = None,
    http_client: httpx.Client | None = None,
) -> SiwcLogoutResult:
    """Sign out of ``profile``: revoke its refresh token (retried on network errors and 5xx), then clear the
    tokens locally in any case. The registration (issued client id) and the host id are kept, so signing in
    again reuses them."""
    config = config or SiwcConfig.from_env()
    store = store or SiwcStore(config)
    with RefreshLock(store.lock_path(profile)).hold_file():
        record = store.load(profile)
        if record is None or record.status == "registering" and not record.refresh_token:
            return SiwcLogoutResult(False, f"No SIWC login for profile {profile!r}; nothing to do.")
        revoked = run_sync(_revoke_flow(config, record), client=http_client)
        try:
            store.save(profile, record.cleared("disconnected"))
        except TokenStoreError:
            raise
    if revoked:
        return SiwcLogoutResult(True, "Signed out; the app's access was revoked at ChatGPT.")
    return SiwcLogoutResult(False, _UNCONFIRMED)
