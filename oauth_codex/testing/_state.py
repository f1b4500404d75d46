"""In-memory state of one emulator: clock, accounts, issued tokens, codes, device logins, counters.

Everything lives in a :class:`EmulatorState` instance guarded by one re-entrant lock (no globals).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Account",
    "AccessRecord",
    "AuthCode",
    "Clock",
    "DeviceLogin",
    "EmulatorState",
    "RefreshRecord",
]

RefreshStatus = Literal["active", "spent", "revoked", "expired"]


class Clock:
    """Wall-clock seconds from ``source`` (default :func:`time.time`) plus an offset (:meth:`advance`)."""

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        self._source = source or time.time
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._source() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


@dataclass(frozen=True)
class Account:
    """Who a token belongs to (the claims of ``https://api.openai.com/auth``).

    ``workspace`` is the title of a Team/Enterprise workspace the user signed in to (``None``: the personal
    account, titled "Personal" in the id token's ``organizations``).
    """

    email: str
    plan_type: str
    account_id: str
    user_id: str
    organization_id: str
    project_id: str
    fedramp: bool = False
    workspace: str | None = None

    @classmethod
    def derive(
        cls,
        email: str,
        plan_type: str,
        account_id: str | None = None,
        fedramp: bool = False,
        *,
        workspace: str | None = None,
    ) -> Account:
        """Stable ids derived from the e-mail address, so one e-mail is one user; each workspace of that user
        is another account (another ``chatgpt_account_id`` and organization)."""
        digest = hashlib.sha256(email.lower().encode()).hexdigest()
        place = digest if workspace is None else hashlib.sha256(f"{email.lower()}|{workspace}".encode()).hexdigest()
        return cls(
            email=email,
            plan_type=plan_type,
            account_id=account_id or str(uuid.UUID(place[:32])),
            user_id=f"user-{digest[:24]}",
            organization_id=f"org-{place[24:48]}",
            project_id=f"proj_{place[40:64]}",
            fedramp=fedramp,
            workspace=workspace,
        )


@dataclass
class AccessRecord:
    jti: str
    family: str
    account: Account
    exp: float
    expired: bool = False
    revoked: bool = False


@dataclass
class RefreshRecord:
    token: str
    family: str
    account: Account
    issued_at: float
    status: RefreshStatus = "active"


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    account: Account
    expires_at: float
    scope: str = ""
    used: bool = False


@dataclass
class DeviceLogin:
    device_auth_id: str
    user_code: str
    client_id: str
    expires_at: float
    approved: bool = False
    consumed: bool = False
    code_verifier: str = ""
    authorization_code: str | None = None


@dataclass
class EmulatorState:
    """Mutable state; hold :attr:`lock` while reading or writing several fields together."""

    clock: Clock
    secret: bytes
    lock: threading.RLock = field(default_factory=threading.RLock)
    access: dict[str, AccessRecord] = field(default_factory=dict)
    refresh: dict[str, RefreshRecord] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    devices: dict[str, DeviceLogin] = field(default_factory=dict)
    grant_counts: dict[str, int] = field(default_factory=dict)
    cache_keys: dict[str, int] = field(default_factory=dict)
    responses_served: int = 0
    counter: int = 0

    def next_id(self, prefix: str, length: int = 24) -> str:
        """``prefix`` + a hex id unique within this emulator (deterministic per emulator and sequence)."""
        with self.lock:
            self.counter += 1
            n = self.counter
        return prefix + hashlib.sha256(self.secret[:8] + f":{n}".encode()).hexdigest()[:length]

    def new_secret_token(self, prefix: str) -> str:
        """An unguessable token (refresh tokens, codes)."""
        return prefix + secrets.token_urlsafe(32)

    def count_grant(self, grant: str) -> None:
        with self.lock:
            self.grant_counts[grant] = self.grant_counts.get(grant, 0) + 1


DEFAULT_MODELS: tuple[str, ...] = (
    "gpt-5",
    "gpt-5-codex",
    "gpt-5-codex-mini",
    "codex-mini-latest",
    "gpt-5.1",
    "gpt-5.1-codex",
    "gpt-5.1-codex-mini",
    "gpt-5.1-codex-max",
    "gpt-5.2-codex",
    "gpt-5.3-codex-spark",
    "gpt-5.4",
    "gpt-5.4-mini",
    "gpt-5.5",
    "gpt-5.6-sol",
    "gpt-5.6-terra",
    "gpt-5.6-luna",
    "gpt-6-astra",
    "gpt-6-sol",
    "gpt-6-luna",
)
"""The slugs of docs/protocol.md "Model slugs" minus the retired ``gpt-5.2`` and ``gpt-5.3-codex``, plus the gpt-6
family (audit
CODEX-2026-12 §7; their metadata, gating and visibility are in :mod:`._catalog`)."""

FREE_PLAN_MODELS: tuple[str, ...] = ("gpt-5.5", "gpt-5.4-mini")
"""What the free plan is reported to allow (use with ``plan_models={"free": FREE_PLAN_MODELS}``)."""

DEFAULT_REDIRECT_URIS: tuple[str, ...] = (
    "http://localhost:1455/auth/callback",
    "http://localhost:1457/auth/callback",
)


@dataclass
class Settings:
    """Behaviour switches shared by the auth server and the backend (mutable at run time)."""

    client_id: str
    models: list[str]
    plan_models: dict[str, list[str]] | None = None
    redirect_uris: set[str] = field(default_factory=lambda: set(DEFAULT_REDIRECT_URIS))
    auto_approve: bool = True
    deny_login: bool = False
    access_token_ttl: float = 864000.0
    refresh_token_ttl: float | None = None
    code_ttl: float = 600.0
    device_ttl: float = 900.0
    device_interval: str = "1"
    device_login_enabled: bool = True
    revoke_family_on_reuse: bool = False
    require_account_id: bool = False
    official_instructions: list[str] | None = None
    token_delay: float = 0.0
    usage_percent_step: float = 1.0
    #: per-slug fields merged over the built-in catalog entries (``/models`` and gating)
    model_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
