"""Token data, the token-store protocol and the token-provider seam between auth and the client.

Kept free of heavy imports: the client imports this module; keyring and the login flows load lazily.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "STORED_ROUTES",
    "AccessToken",
    "MemoryTokenStore",
    "StaticTokenProvider",
    "StoredRoute",
    "TokenData",
    "TokenProvider",
    "TokenStore",
    "decode_jwt_claims",
]

AUTH_CLAIMS = "https://api.openai.com/auth"
PROFILE_CLAIMS = "https://api.openai.com/profile"

#: how a login kept in this store reaches the model (SIWC logins have their own store, ``_siwc_store``)
StoredRoute = Literal["codex"]
STORED_ROUTES: tuple[StoredRoute, ...] = ("codex",)
#: top-level keys of the stored document that are fields (the rest is kept in ``extra``)
_RECORD_KEYS = frozenset({"tokens", "last_refresh", "route"})


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _claim_object(claims: dict[str, Any], key: str) -> dict[str, Any]:
    """A nested claims object (``{}`` when it is missing or not an object)."""
    value = claims.get(key)
    return value if isinstance(value, dict) else {}


def decode_jwt_claims(token: str | None) -> dict[str, Any]:
    """Return the claims of a JWT without verifying it (``{}`` when it is not a decodable JWT)."""
    if not token:
        return {}
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


class TokenData(BaseModel):
    """One profile's login record: the tokens of one ChatGPT login, in the Codex CLI ``auth.json`` layout.

    Secrets are excluded from ``repr``/``str``. ``extra`` keeps unknown top-level keys of ``auth.json`` so
    they survive a write-back.

    ``route`` says how the login reaches the model: ``"codex"`` (every login of oauth-codex < 5 and of the
    Codex CLI has none and reads as ``"codex"``). A record of a route this release does not know is refused
    as unreadable rather than sent to the wrong backend.
    """

    model_config = ConfigDict(frozen=True)

    id_token: str = Field(default="", repr=False)
    access_token: str = Field(repr=False)
    refresh_token: str | None = Field(default=None, repr=False)
    account_id: str | None = None
    last_refresh: datetime | None = None
    extra: dict[str, Any] = Field(default_factory=dict, repr=False)
    route: StoredRoute = "codex"

    # -- claims ---------------------------------------------------------------------------------
    @property
    def access_claims(self) -> dict[str, Any]:
        return decode_jwt_claims(self.access_token)

    @property
    def id_claims(self) -> dict[str, Any]:
        return decode_jwt_claims(self.id_token)

    @property
    def expires_at(self) -> datetime | None:
        """Expiry of the access token (its ``exp`` claim), or ``None`` when it has none."""
        exp = self.access_claims.get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            try:
                return datetime.fromtimestamp(exp, UTC)
            except (OverflowError, OSError, ValueError):
                return None  # an absurd exp: treated like a token without one
        return None

    @property
    def email(self) -> str | None:
        for claims in (self.id_claims, self.access_claims):
            email = claims.get("email") or _claim_object(claims, PROFILE_CLAIMS).get("email")
            if email:
                return str(email)
        return None

    @property
    def plan_type(self) -> str | None:
        for claims in (self.access_claims, self.id_claims):
            plan = _claim_object(claims, AUTH_CLAIMS).get("chatgpt_plan_type")
            if plan:
                return str(plan)
        return None

    @property
    def user_id(self) -> str | None:
        """The ChatGPT user: the ``chatgpt_user_id`` (or ``user_id``) claim, else the id token's ``sub``."""
        for claims in (self.id_claims, self.access_claims):
            auth = _claim_object(claims, AUTH_CLAIMS)
            user = auth.get("chatgpt_user_id") or auth.get("user_id")
            if user:
                return str(user)
        sub = self.id_claims.get("sub") or self.access_claims.get("sub")
        return str(sub) if sub else None

    @property
    def workspace(self) -> str | None:
        """The workspace title from the id token's ``organizations`` claim (the login's organization, else
        the default one), or ``None``."""
        auth = _claim_object(self.id_claims, AUTH_CLAIMS)
        listed = auth.get("organizations")
        orgs = [o for o in listed if isinstance(o, dict)] if isinstance(listed, list) else []
        mine = auth.get("organization_id")
        ranked = sorted(orgs, key=lambda o: (o.get("id") != mine, not o.get("is_default")))
        title = ranked[0].get("title") if ranked else None
        return str(title) if title else None

    def identity(self) -> tuple[str, str | None, str | None]:
        """Who this login is, for spotting one account held by two profiles: ``(route, user_id, account_id)``
        (no secret in it)."""
        return (self.route, self.user_id, self.resolved_account_id())

    @property
    def is_fedramp(self) -> bool:
        """Whether the id token (else the access token) says ``chatgpt_account_is_fedramp: true``."""
        for claims in (self.id_claims, self.access_claims):
            if _claim_object(claims, AUTH_CLAIMS).get("chatgpt_account_is_fedramp") is True:
                return True
        return False

    def resolved_account_id(self) -> str | None:
        """``account_id``, else the ``chatgpt_account_id`` claim of the id token, then of the access token."""
        if self.account_id:
            return self.account_id
        for claims in (self.id_claims, self.access_claims):
            acct = _claim_object(claims, AUTH_CLAIMS).get("chatgpt_account_id")
            if acct:
                return str(acct)
        return None

    # -- auth.json ------------------------------------------------------------------------------
    def to_auth_json(self) -> dict[str, Any]:
        """The Codex CLI ``auth.json`` document (unknown keys from ``extra`` kept)."""
        doc: dict[str, Any] = {"auth_mode": "chatgpt", "OPENAI_API_KEY": None}
        doc.update(self.extra)
        doc["tokens"] = {
            "id_token": self.id_token,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "account_id": self.resolved_account_id(),
        }
        doc["last_refresh"] = _iso(self.last_refresh)
        doc["route"] = self.route
        return doc

    @classmethod
    def from_auth_json(cls, doc: dict[str, Any]) -> TokenData:
        """Parse a Codex CLI ``auth.json`` document. Raises ``ValueError`` when it holds no tokens."""
        tokens = doc.get("tokens")
        if not isinstance(tokens, dict) or not tokens.get("access_token"):
            raise ValueError("auth.json has no 'tokens.access_token'")
        last = doc.get("last_refresh")
        last_refresh = None
        if isinstance(last, str) and last:
            last_refresh = datetime.fromisoformat(last.replace("Z", "+00:00"))
        route = doc.get("route") or "codex"
        if route not in STORED_ROUTES:
            raise ValueError(f"unknown route {route!r} (this oauth-codex knows {', '.join(STORED_ROUTES)})")
        extra = {k: v for k, v in doc.items() if k not in _RECORD_KEYS}
        return cls(
            id_token=tokens.get("id_token") or "",
            access_token=tokens["access_token"],
            refresh_token=tokens.get("refresh_token"),
            account_id=tokens.get("account_id"),
            last_refresh=last_refresh,
            extra=extra,
            route=route,
        )


@dataclass(frozen=True)
class AccessToken:
    """What a request needs: the bearer token and the ChatGPT account id (token hidden from repr).

    ``fedramp`` is true for FedRAMP workspaces (the ``X-OpenAI-Fedramp`` header is sent then).
    """

    token: str = field(repr=False)
    account_id: str | None = None
    fedramp: bool = False


@runtime_checkable
class TokenProvider(Protocol):
    """Supplies valid access tokens to :class:`~oauth_codex.CodexOAuthLLM`.

    ``get_token`` returns a token that is valid now (refreshing before expiry when needed).
    ``force_refresh(rejected)`` is called once after the backend answered 401 for ``rejected``: re-read the
    store (another process may have refreshed) and otherwise refresh. It may raise
    :class:`~oauth_codex.errors.AuthError`. The ``a``-prefixed twins are the same for asyncio.
    """

    def get_token(self) -> AccessToken: ...

    async def aget_token(self) -> AccessToken: ...

    def force_refresh(self, rejected: AccessToken) -> AccessToken: ...

    async def aforce_refresh(self, rejected: AccessToken) -> AccessToken: ...


@runtime_checkable
class TokenStore(Protocol):
    """Where tokens live. ``load`` returns ``None`` when nothing is stored."""

    def load(self) -> TokenData | None: ...

    def save(self, tokens: TokenData) -> None: ...

    def delete(self) -> None: ...


class StaticTokenProvider:
    """A fixed access token (no refresh): for tests, scripts and tokens managed elsewhere."""

    def __init__(self, access_token: str, account_id: str | None = None) -> None:
        self._token = AccessToken(access_token, account_id)

    def __repr__(self) -> str:
        return f"StaticTokenProvider(account_id={self._token.account_id!r})"

    def get_token(self) -> AccessToken:
        return self._token

    async def aget_token(self) -> AccessToken:
        return self._token

    def force_refresh(self, rejected: AccessToken) -> AccessToken:
        from ..errors import AuthenticationError

        raise AuthenticationError(
            "The backend rejected the static access token (HTTP 401) and it cannot be refreshed; "
            "supply a fresh token or log in with `oauth-codex login`.",
            status_code=401,
        )

    async def aforce_refresh(self, rejected: AccessToken) -> AccessToken:
        return self.force_refresh(rejected)


class MemoryTokenStore:
    """Keeps tokens in memory (thread-safe): for tests, notebooks and short-lived processes."""

    def __init__(self, tokens: TokenData | None = None) -> None:
        self._tokens = tokens
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryTokenStore(has_tokens={self._tokens is not None})"

    def load(self) -> TokenData | None:
        with self._lock:
            return self._tokens

    def save(self, tokens: TokenData) -> None:
        with self._lock:
            self._tokens = tokens

    def delete(self) -> None:
        with self._lock:
            self._tokens = None
