"""``SiwcTokenProvider``: access tokens for the SIWC route, refreshed by SIWC's rules (SIWC.md §7).

* 1-hour tokens, refreshed when at most 60 s remain, but never before ``earliest_refresh_at``: a token that
  expired earlier than that raises :class:`RefreshNotReadyError` (``retry_at``); a still-valid one is used.
* One refresh at a time across threads, asyncio tasks and processes (the same :class:`RefreshLock` as the
  Codex route, on ``<profile>.json.lock``); inside the lock the store is re-read and a rotation another
  process saved is adopted.
* The record is marked ``in_flight`` before the POST; the rotation is saved atomically before it is used and
  before a returned ID token is verified (``pending_verification`` until then), so a JWKS outage cannot
  lose the only valid refresh token.
* A refresh sent without a usable answer (connection dropped after sending, read timeout) marks the record
  ``uncertain`` and raises :class:`RefreshOutcomeUnknownError`; that refresh token is never sent again
  automatically (``refresh(retry_uncertain=True)`` is the one explicit retry).
* Terminal codes (``invalid_grant``, ``refresh_token_*``) clear the tokens and keep the registration (the
  issued client id, ``sub``, host id): sign in again. Network errors and 5xx keep everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

import httpx

from ..errors import (
    AccountMismatchError,
    APIConnectionError,
    AuthError,
    InvalidIdTokenError,
    LoginError,
    NotAuthenticatedError,
    PlanUsageNotGrantedError,
    RefreshNotReadyError,
    RefreshOutcomeUnknownError,
    RefreshTokenError,
    ServerError,
)
from ._env import is_interactive
from ._flow import Flow, Http, run_async, run_sync
from ._locks import RefreshLock
from ._provider import _finish_despite_cancel
from ._siwc_idtoken import JwksCache, verify_id_token
from ._siwc_login import discover
from ._siwc_store import SiwcCredentials, SiwcStore
from ._siwc_wire import SiwcConfig, SiwcEndpoints, oauth_error, parse_token_reply, refresh_request
from ._tokens import AccessToken

__all__ = ["SiwcTokenProvider"]

REFRESH_WINDOW = 60.0
TERMINAL_CODES = frozenset(
    {"invalid_grant", "invalid_refresh_token", "token_expired", "refresh_token_expired",
     "refresh_token_invalidated", "refresh_token_reused"}
)  # fmt: skip
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)
Reason = Literal["ensure", "rejected", "force", "retry_uncertain"]
_RELOGIN = "Sign in again with `oauth-codex login --route siwc`."


class SiwcTokenProvider:
    """A :class:`~oauth_codex.auth.TokenProvider` for the SIWC route, backed by a :class:`SiwcStore` profile.

    ``interactive``: sign in when there is no usable login (``None``: only in a terminal or notebook).
    ``clock``: seconds since the epoch (default :func:`time.time`). Thread-safe and asyncio-safe.
    """

    def __init__(
        self,
        config: SiwcConfig | None = None,
        *,
        profile: str = "default",
        store: SiwcStore | None = None,
        interactive: bool | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] | None = None,
        lock_timeout: float = 120.0,
    ) -> None:
        self.config = config or SiwcConfig.from_env()
        self.profile = profile
        self.store = store or SiwcStore(self.config)
        self.interactive = interactive
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._clock = clock or time.time
        self._lock = RefreshLock(self.store.lock_path(profile), timeout=lock_timeout)
        self._record: SiwcCredentials | None = None
        self._endpoints: SiwcEndpoints | None = None
        self._jwks = JwksCache()

    def __repr__(self) -> str:
        return f"SiwcTokenProvider(profile={self.profile!r}, store={self.store!r})"

    @property
    def profile_name(self) -> str:
        """The profile whose SIWC login this provider serves."""
        return self.profile

    @property
    def credentials(self) -> SiwcCredentials | None:
        """The record in use (secrets hidden in its repr); ``None`` before the first call."""
        return self._record

    # -- public ----------------------------------------------------------------------------------------
    def get_token(self) -> AccessToken:
        fresh = self._fresh()
        return fresh if fresh is not None else self._run("ensure", None)

    async def aget_token(self) -> AccessToken:
        fresh = self._fresh()
        return fresh if fresh is not None else await self._arun("ensure", None)

    def force_refresh(self, rejected: AccessToken) -> AccessToken:
        """After a 401: a newer stored token if any, else one refresh (when ``earliest_refresh_at`` allows)."""
        return self._run("rejected", rejected.token)

    async def aforce_refresh(self, rejected: AccessToken) -> AccessToken:
        return await self._arun("rejected", rejected.token)

    def refresh(self, *, retry_uncertain: bool = False) -> SiwcCredentials:
        """Refresh now. ``retry_uncertain=True`` re-sends a refresh whose outcome was unknown (once, by hand)."""
        self._run("retry_uncertain" if retry_uncertain else "force", None, allow_login=False)
        assert self._record is not None
        return self._record

    # -- helpers ---------------------------------------------------------------------------------------
    def _due(self, record: SiwcCredentials, now: float) -> bool:
        return record.expires_at is None or record.expires_at - now <= REFRESH_WINDOW

    def _fresh(self) -> AccessToken | None:
        record = self._record
        if record is None or not record.access_token or record.refresh_state != "ok" or not record.plan_enabled:
            return None
        if self._due(record, self._clock()):
            return None
        return AccessToken(record.access_token, None)

    def _not_authenticated(self, record: SiwcCredentials | None) -> NotAuthenticatedError:
        if record is not None and record.status == "reauth_required":
            why = "its refresh token is no longer valid"
        elif record is not None and record.status == "disconnected":
            why = "it was signed out"
        else:
            why = "there is no SIWC login for it"
        return NotAuthenticatedError(
            f"Profile {self.profile!r} cannot use ChatGPT plan usage: {why}. {_RELOGIN} (add --paste without a "
            "browser), or pass interactive=True."
        )

    def _save(self, record: SiwcCredentials) -> SiwcCredentials:
        return self.store.save(self.profile, record)

    def _endpoints_flow(self) -> Flow[SiwcEndpoints]:
        if self._endpoints is None:
            self._endpoints = yield from discover(self.config)
        return self._endpoints

    def _verify_pending(self, record: SiwcCredentials) -> Flow[SiwcCredentials]:
        """Verify a rotation's ID token (no nonce on refresh, same ``sub``); then mark the record ``ok``."""
        assert record.id_token is not None
        endpoints = yield from self._endpoints_flow()
        try:
            yield from verify_id_token(
                record.id_token,
                endpoints=endpoints,
                client_id=record.client_id,
                nonce=None,
                expected_sub=record.subject,
                jwks=self._jwks,
                now=self._clock(),
            )
        except (AccountMismatchError, InvalidIdTokenError):
            self._save(record.cleared("reauth_required"))
            raise
        return self._save(record.model_copy(update={"refresh_state": "ok"}))

    # -- the refresh, written once ---------------------------------------------------------------------
    def _flow(self, reason: Reason, rejected: str | None) -> Flow[SiwcCredentials]:  # noqa: C901 - §7 in order
        record = self.store.load(self.profile)
        if record is None or record.status != "connected" or not record.access_token:
            raise self._not_authenticated(record)
        if not record.plan_enabled:
            raise PlanUsageNotGrantedError(
                f"Profile {self.profile!r} is signed in, but ChatGPT plan usage is not enabled for this app. Enable "
                "it with `oauth-codex login --route siwc --enable-plan`, or use another billing path."
            )
        if record.refresh_state in ("uncertain", "in_flight") and reason != "retry_uncertain":
            raise RefreshOutcomeUnknownError(
                "The last token refresh was sent but its outcome is unknown, so its refresh token is not sent again "
                f"automatically. {_RELOGIN}"
            )
        if record.refresh_state == "pending_verification":
            record = yield from self._verify_pending(record)
        now = self._clock()
        if reason == "ensure" and not self._due(record, now):
            return record
        if reason == "rejected" and record.access_token != rejected:
            return record
        valid = record.expires_at is not None and record.expires_at > now
        earliest = record.earliest_refresh_at
        if earliest is not None and earliest > now and reason != "retry_uncertain":
            if reason == "ensure" and valid:
                return record  # refresh not allowed yet; the current token still works
            raise RefreshNotReadyError(
                "The access token was rejected or expired, and ChatGPT allows no refresh before "
                f"{datetime.fromtimestamp(earliest, UTC):%Y-%m-%d %H:%M:%S} UTC; try again then.",
                retry_at=datetime.fromtimestamp(earliest, UTC),
            )
        if not record.refresh_token:
            if reason == "ensure" and valid:
                return record
            raise self._not_authenticated(record)
        spent = record.refresh_token
        endpoints = yield from self._endpoints_flow()
        self._save(record.model_copy(update={"refresh_state": "in_flight"}))
        try:
            reply = yield Http(refresh_request(endpoints, client_id=record.client_id, refresh_token=spent))
        except _NOT_SENT as exc:  # nothing reached the server: the refresh token is unspent
            self._save(record)
            if reason == "ensure" and valid:
                return record
            raise APIConnectionError(
                f"Could not reach the sign-in service to refresh the access token ({type(exc).__name__}); your login "
                "is unchanged. Check your network and try again."
            ) from None
        except httpx.TransportError:
            self._save(record.model_copy(update={"refresh_state": "uncertain"}))
            raise RefreshOutcomeUnknownError(
                "A token refresh was sent but no answer came back; the server may have rotated the refresh token, "
                f"so it is not sent again automatically. {_RELOGIN}"
            ) from None
        if reply.status == 200:
            try:
                tokens = parse_token_reply(reply, require_id_token=False, require_refresh=True)
            except LoginError:
                self._save(record.model_copy(update={"refresh_state": "uncertain"}))
                raise RefreshOutcomeUnknownError(
                    f"The token refresh returned an unusable reply, so its outcome is unknown. {_RELOGIN}"
                ) from None
            rotated = record.model_copy(
                update={
                    "access_token": tokens.access_token,
                    "refresh_token": tokens.refresh_token,
                    "expires_at": now + tokens.expires_in,
                    "earliest_refresh_at": tokens.earliest_refresh_at,
                    "scopes": list(tokens.scopes) if tokens.scopes is not None else record.scopes,
                    "id_token": tokens.id_token or record.id_token,
                    "refresh_state": "pending_verification" if tokens.id_token else "ok",
                }
            )
            rotated = self._save(rotated)  # persisted before any use or verification
            if tokens.id_token:
                rotated = yield from self._verify_pending(rotated)
            if not rotated.plan_enabled:
                raise PlanUsageNotGrantedError(
                    "ChatGPT plan usage is no longer granted to this app (the refreshed grant lacks it). Enable it "
                    "with `oauth-codex login --route siwc --enable-plan`."
                )
            return rotated
        code, _ = oauth_error(reply)
        if code == "refresh_token_reused":
            again = self.store.load(self.profile)
            if again is not None and again.refresh_token not in (None, spent) and again.access_token:
                return again.model_copy(update={"refresh_state": "ok"})
        if code in TERMINAL_CODES:
            self._save(record.cleared("reauth_required"))
            raise RefreshTokenError(
                f"Your ChatGPT sign-in for this app can no longer be refreshed ({code}); the app's registration is "
                f"kept. {_RELOGIN}",
                code=code,
                status_code=reply.status,
            )
        self._save(record)  # an answer that changed nothing: clear the in-flight mark
        if code == "invalid_client":
            raise AuthError(
                "The sign-in service does not accept this app's client id (invalid_client): the registration may "
                "have been removed in ChatGPT settings. Check CODEX_OAUTH_SIWC_ISSUER, then sign in again with "
                "`oauth-codex login --route siwc`."
            )
        if reason == "ensure" and valid:
            return record
        raise ServerError(
            f"The sign-in service failed to refresh the access token (HTTP {reply.status}"
            + (f", {code}" if code else "")
            + "); your login is unchanged. Try again in a moment.",
            status_code=reply.status,
            code=code,
        )

    # -- drivers ---------------------------------------------------------------------------------------
    @staticmethod
    def _access(record: SiwcCredentials | None) -> AccessToken:
        assert record is not None and record.access_token is not None
        return AccessToken(record.access_token, None)

    def _interactive_now(self) -> bool:
        return self.interactive if self.interactive is not None else is_interactive()

    def _run(self, reason: Reason, rejected: str | None, *, allow_login: bool = True) -> AccessToken:
        with self._lock.hold_thread():
            if reason == "ensure":
                fresh = self._fresh()
                if fresh is not None:
                    return fresh
            try:
                with self._lock.hold_file():
                    self._record = run_sync(self._flow(reason, rejected), client=self._http_client)
            except NotAuthenticatedError:
                if not (allow_login and self._interactive_now()):
                    raise
                from ._siwc_login import siwc_login

                self._record = siwc_login(
                    self.config, profile=self.profile, store=self.store, http_client=self._http_client
                )
            assert self._record.access_token is not None
            return AccessToken(self._record.access_token, None)

    async def _arun(self, reason: Reason, rejected: str | None) -> AccessToken:
        async with self._lock.ahold_thread():
            if reason == "ensure":
                fresh = self._fresh()
                if fresh is not None:
                    return fresh
            try:
                async with self._lock.ahold_file():
                    flow = self._flow(reason, rejected)
                    self._record = await _finish_despite_cancel(run_async(flow, client=self._async_http_client))
            except NotAuthenticatedError:
                if not self._interactive_now():
                    raise
                from ._siwc_login import asiwc_login

                self._record = await asiwc_login(
                    self.config, profile=self.profile, store=self.store, http_client=self._async_http_client
                )
            return self._access(self._record)
