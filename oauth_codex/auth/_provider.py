"""``OAuthTokenProvider``: valid access tokens for the client, refreshed once, however many callers race.

Refresh before expiry (``exp - now <= skew``; without ``exp``, the 8-day ``last_refresh`` rule) and after a
401 (:meth:`force_refresh`). All refreshing happens under :class:`~._locks.RefreshLock` (threads, asyncio
tasks and other processes) and starts with a re-read of the store, because another process may already
have rotated the refresh token. The same flow (:meth:`_refresh_flow`) runs under the sync and the async
driver.

Failure rules (docs/protocol.md "Refresh"): ``refresh_token_reused`` re-reads the store and adopts what another process
saved, else raises :class:`~oauth_codex.errors.RefreshTokenError`; expired/invalidated/other 401 raise it
too, and the same dead refresh token is never sent again by this provider. Network errors and 5xx are
transient: the stored tokens are kept (nothing but :func:`~oauth_codex.auth.logout` deletes a refresh
token); a still-valid access token is used meanwhile, else the error is raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx

from ..errors import APIConnectionError, AuthError, NotAuthenticatedError, RefreshTokenError, TokenStoreError
from ._config import OAuthConfig
from ._env import is_interactive
from ._locks import RefreshLock, lock_path_for
from ._log import get_logger
from ._profiles import login_command, with_profile
from ._refresh import DEFAULT_SKEW_SECONDS, needs_refresh, still_valid
from ._tokens import AccessToken, TokenData, TokenStore

if TYPE_CHECKING:
    # The refresh machinery (discovery, wire formats, the flow driver) loads on the first refresh: a process
    # whose stored login is fresh never needs it (first-call latency).
    from ._discovery import Endpoints
    from ._flow import Flow

__all__ = ["OAuthTokenProvider"]

log = get_logger(__name__)
_REASONS = {"ensure": "it expires soon", "rejected": "the backend rejected it", "force": "forced"}

Reason = Literal["ensure", "rejected", "force"]
_T = TypeVar("_T")


class OAuthTokenProvider:
    """A :class:`~oauth_codex.auth.TokenProvider` backed by a token store and the OAuth refresh grant.

    Args:
        store: where the login lives (default :func:`~oauth_codex.auth.default_token_store` of the profile).
        config: endpoints and client id (default :meth:`OAuthConfig.from_env`).
        interactive: log in when there is no usable login. ``None``: only when stdin is a TTY or in a
            notebook. Otherwise :class:`~oauth_codex.errors.NotAuthenticatedError` names the command to run.
        http_client / async_http_client: used for auth-server calls when given (never closed here).
        skew_seconds: refresh this long before the access token expires (default 300).
        clock: seconds since the epoch (default :func:`time.time`); for tests.
        lock_timeout: how long to wait for another refresh to finish before giving up.
        profile_name: which login to use (``[a-z0-9][a-z0-9_-]{0,31}``); beats ``CODEX_OAUTH_PROFILE`` and
            the current profile (``oauth-codex profile use``), which beat ``default``. With an explicit
            ``store`` it is only a label (:attr:`profile_name`).

    Thread-safe and asyncio-safe; share one provider per store.
    """

    def __init__(
        self,
        store: TokenStore | None = None,
        config: OAuthConfig | None = None,
        *,
        interactive: bool | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        skew_seconds: float = DEFAULT_SKEW_SECONDS,
        clock: Callable[[], float] | None = None,
        lock_timeout: float = 120.0,
        profile_name: str | None = None,
    ) -> None:
        from ._auto_store import default_token_store

        self.config = with_profile(config or OAuthConfig.from_env(), profile_name)
        self.store: TokenStore = store if store is not None else default_token_store(self.config)
        #: the profile whose login this provider uses (``None``: a custom store without a profile name)
        self.profile_name: str | None = getattr(self.store, "profile_name", None) or self.config.profile_name
        self.interactive = interactive
        self.skew_seconds = skew_seconds
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._clock = clock or time.time
        self._lock = RefreshLock(lock_path_for(self.store, self.config), timeout=lock_timeout)
        self._tokens: TokenData | None = None
        self._endpoints: Endpoints | None = None
        self._dead: tuple[str, RefreshTokenError] | None = None

    def __repr__(self) -> str:
        return (
            f"OAuthTokenProvider(profile_name={self.profile_name!r}, store={self.store!r}, "
            f"logged_in={self._tokens is not None})"
        )

    # -- public ----------------------------------------------------------------------------------------
    @property
    def tokens(self) -> TokenData | None:
        """The tokens in use (``None`` before the first call or without a login); secrets hidden in repr."""
        return self._tokens

    def get_token(self) -> AccessToken:
        """A token valid for at least ``skew_seconds`` (refreshing, or logging in when interactive)."""
        fresh = self._fresh_cached()
        if fresh is not None:
            return fresh
        return self._run("ensure", None)

    async def aget_token(self) -> AccessToken:
        """Async twin of :meth:`get_token`."""
        fresh = self._fresh_cached()
        if fresh is not None:
            return fresh
        return await self._arun("ensure", None)

    def force_refresh(self, rejected: AccessToken) -> AccessToken:
        """After a 401 for ``rejected``: use the store's newer token if any, else refresh once."""
        return self._run("rejected", rejected.token)

    async def aforce_refresh(self, rejected: AccessToken) -> AccessToken:
        """Async twin of :meth:`force_refresh`."""
        return await self._arun("rejected", rejected.token)

    def refresh(self) -> TokenData:
        """Refresh now, whatever the expiry (under the same locks); returns the new tokens."""
        self._run("force", None, allow_login=False)
        assert self._tokens is not None
        return self._tokens

    # -- helpers ---------------------------------------------------------------------------------------
    @staticmethod
    def _access(tokens: TokenData) -> AccessToken:
        return AccessToken(tokens.access_token, tokens.resolved_account_id(), tokens.is_fedramp)

    def _fresh_cached(self, rejected: str | None = None) -> AccessToken | None:
        tokens = self._tokens
        if tokens is None:
            return None
        if rejected is not None:
            return self._access(tokens) if tokens.access_token != rejected else None
        if needs_refresh(tokens, self._clock(), self.skew_seconds):
            return None
        return self._access(tokens)

    def _interactive_now(self) -> bool:
        return self.interactive if self.interactive is not None else is_interactive()

    def _location(self) -> str:
        return str(getattr(self.store, "location", None) or repr(self.store))

    def _not_authenticated(self) -> NotAuthenticatedError:
        return NotAuthenticatedError(
            f"No ChatGPT login found (looked in {self._location()}): run `{login_command(self.profile_name)}` "
            "in a terminal (on a machine without a browser: add `--paste` or `--device`)."
        )

    def _no_refresh_token(self) -> NotAuthenticatedError:
        return NotAuthenticatedError(
            f"The stored ChatGPT login ({self._location()}) has no refresh token and its access token has "
            f"expired: run `{login_command(self.profile_name)}` again."
        )

    def _load(self) -> TokenData | None:
        return self.store.load()

    def _save(self, tokens: TokenData) -> None:
        try:
            self.store.save(tokens)
        except TokenStoreError as exc:
            # The old refresh token is spent already: keep the new one in memory rather than lose the login.
            log.error(
                "oauth-codex: could not save the refreshed login (%s); using it for this process only.", exc
            )

    def _endpoints_flow(self) -> Flow[Endpoints]:
        from ._discovery import resolve_endpoints

        if self._endpoints is None:
            self._endpoints = yield from resolve_endpoints(self.config, purpose="refresh")
        return self._endpoints

    # -- the refresh, written once ---------------------------------------------------------------------
    def _refresh_flow(self, reason: Reason, rejected: str | None) -> Flow[TokenData]:
        """Runs with the refresh lock held: re-read, decide, refresh, save."""
        from ._flow import Http
        from ._wire import refresh_failure, refresh_request, tokens_from_refresh_reply

        stored = self._load()
        current = stored if stored is not None else self._tokens
        if current is None:
            raise self._not_authenticated()
        now = self._clock()
        if reason == "ensure" and not needs_refresh(current, now, self.skew_seconds):
            return current
        if reason == "rejected" and current.access_token != rejected:
            log.debug("oauth-codex: the rejected access token was already replaced; using the stored one")
            return current  # someone (this process or another) already replaced the rejected token
        refresh_token = current.refresh_token
        if not refresh_token:
            if reason == "ensure" and still_valid(current, now, 0):
                return current
            raise self._no_refresh_token()
        if self._dead is not None and self._dead[0] == refresh_token:
            log.debug("oauth-codex: this refresh token was refused before (%s); not sent again", self._dead[1].code)
            raise self._dead[1]  # known dead: no new network attempt until the credentials change
        endpoints = yield from self._endpoints_flow()
        log.debug("oauth-codex: refreshing the access token (%s)", _REASONS[reason])
        try:
            reply = yield Http(refresh_request(self.config, endpoints.token_endpoint, refresh_token))
        except httpx.TransportError as exc:
            if reason == "ensure" and still_valid(current, now):
                log.warning(
                    "oauth-codex: token refresh failed (%s); the current token is still valid.",
                    type(exc).__name__,
                )
                return current
            raise APIConnectionError(
                f"Could not reach the auth server to refresh the access token ({type(exc).__name__}); your "
                "stored login is unchanged. Check your network and try again."
            ) from None
        if reply.status == 200:
            tokens = tokens_from_refresh_reply(current, reply)
            self._save(tokens)  # saved before anyone uses the rotated tokens
            log.debug("oauth-codex: access token refreshed")
            return tokens
        failure = refresh_failure(reply)
        if isinstance(failure, RefreshTokenError):
            if failure.code == "refresh_token_reused":
                again = self._load()
                if again is not None and again.refresh_token != refresh_token:
                    log.debug("oauth-codex: refresh_token_reused, but a newer login was saved meanwhile: using it")
                    return again  # another process rotated it and saved the result: adopt it
            self._dead = (refresh_token, failure)
            raise failure
        if reason == "ensure" and still_valid(current, now):
            log.warning(
                "oauth-codex: token refresh failed (HTTP %d); the current token is still valid.", reply.status
            )
            return current
        raise failure

    # -- drivers ---------------------------------------------------------------------------------------
    def _stored_fresh(self, reason: Reason) -> AccessToken | None:
        """A fresh login straight from the store, without the file lock (the first call of a process).

        Stores replace their content atomically, so an unlocked read sees a whole login; anything short of a
        fresh token (none, expiring, unreadable) goes the locked way, which reads again.
        """
        if reason != "ensure":
            return None
        try:
            stored = self._load()
        except TokenStoreError:
            return None
        if stored is None or needs_refresh(stored, self._clock(), self.skew_seconds):
            return None
        self._tokens = stored
        return self._access(stored)

    def _run(self, reason: Reason, rejected: str | None, *, allow_login: bool = True) -> AccessToken:
        with self._lock.hold_thread():
            if reason != "force":
                fresh = self._fresh_cached(rejected) or self._stored_fresh(reason)
                if fresh is not None:
                    return fresh
            from ._flow import run_sync

            try:
                with self._lock.hold_file():
                    self._tokens = run_sync(self._refresh_flow(reason, rejected), client=self._http_client)
            except (NotAuthenticatedError, RefreshTokenError) as exc:
                if not (allow_login and self._interactive_now()):
                    raise
                self._tokens = self._login(exc)
            return self._access(self._tokens)

    async def _arun(self, reason: Reason, rejected: str | None) -> AccessToken:
        async with self._lock.ahold_thread():
            fresh = self._fresh_cached(rejected) or self._stored_fresh(reason)
            if fresh is not None:
                return fresh
            from ._flow import run_async

            try:
                async with self._lock.ahold_file():
                    flow = self._refresh_flow(reason, rejected)
                    self._tokens = await _finish_despite_cancel(run_async(flow, client=self._async_http_client))
            except (NotAuthenticatedError, RefreshTokenError) as exc:
                if not self._interactive_now():
                    raise
                self._tokens = await self._alogin(exc)
            return self._access(self._tokens)

    def _login_notice(self, exc: AuthError) -> None:
        reason = "no login found" if isinstance(exc, NotAuthenticatedError) else exc.message
        sys.stderr.write(f"oauth-codex: {reason}; signing in with ChatGPT.\n")

    def _login(self, exc: AuthError) -> TokenData:
        from ._login import login

        self._login_notice(exc)
        self._dead = None
        return login(self.config, store=self.store, http_client=self._http_client)

    async def _alogin(self, exc: AuthError) -> TokenData:
        from ._login import alogin

        self._login_notice(exc)
        self._dead = None
        return await alogin(self.config, store=self.store, http_client=self._async_http_client)


async def _finish_despite_cancel(work: Coroutine[Any, Any, _T]) -> _T:
    """Await ``work`` to the end even when the caller is cancelled, then re-raise the cancellation.

    Once a refresh request is sent the server may already have rotated the refresh token: abandoning the
    reply (``asyncio.wait_for`` timing out, a task cancelled) would lose the only valid refresh token. The
    refresh finishes and saves under the locks still held, and the caller is cancelled right after.
    """
    task = asyncio.ensure_future(work)
    task.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "exception was never retrieved"
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await asyncio.shield(task)
        raise
