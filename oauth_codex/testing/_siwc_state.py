"""State, switches and RS256 signing of the SIWC emulator (SIWC.md §17.1).

One RSA-2048 key per emulator, made with ``cryptography`` at start; ID and access tokens are real RS256 JWTs
signed with PyJWT, so the client verifies them exactly as it verifies OpenAI's.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from ._state import Clock

__all__ = [
    "PLAN_SCOPES",
    "SIWC_MODELS",
    "AccessGrant",
    "Code",
    "RefreshGrant",
    "Registration",
    "SiwcAccount",
    "SiwcQuirks",
    "SiwcState",
]

RESOURCE = "https://api.openai.com/v1"
ALL_SCOPES = ("chatgpt.tokens.use.direct", "email", "offline_access", "openid", "profile", "resource.invoke")
PLAN_SCOPES = ("chatgpt.tokens.use.direct", "resource.invoke")
IDENTITY_SCOPES = ("email", "openid", "profile")

_LEVELS = [{"effort": e, "description": f"{e} effort"} for e in ("low", "medium", "high", "xhigh", "max")]
#: the §17.3 default catalog, in server order
SIWC_MODELS: list[dict[str, Any]] = [
    {"slug": "gpt-6-astra", "display_name": "GPT-6 Astra", "visibility": "list", "supported_in_api": True,
     "priority": 1, "minimal_client_version": "0.150.0", "context_window": 272000,
     "input_modalities": ["text", "image"], "default_reasoning_level": "medium",
     "supported_reasoning_levels": _LEVELS},
    {"slug": "gpt-6.1-sol", "display_name": "GPT-6.1 Sol", "visibility": "list", "supported_in_api": True,
     "priority": 2, "minimal_client_version": "0.158.0", "context_window": 272000,
     "input_modalities": ["text", "image"], "default_reasoning_level": "medium",
     "supported_reasoning_levels": _LEVELS},
    {"slug": "gpt-5.6-luna", "display_name": "GPT-5.6 Luna", "visibility": "list", "supported_in_api": True,
     "priority": 5, "minimal_client_version": "0.120.0", "context_window": 272000,
     "input_modalities": ["text", "image"], "default_reasoning_level": "medium",
     "supported_reasoning_levels": _LEVELS[:3]},
    {"slug": "gpt-reserve", "display_name": "Reserve", "visibility": "hide", "supported_in_api": False,
     "priority": 99, "minimal_client_version": "0.0.0", "context_window": 272000, "input_modalities": ["text"]},
]  # fmt: skip


# The dataclasses below repeat field shapes, not logic (duplicates lists them): each is its own SIWC.md record.
@dataclass
class SiwcQuirks:
    """Switches for every [U]/[X] behaviour of SIWC.md (defaults: the documented or the stricter one)."""

    legacy_localhost_registration: bool = False
    host_id_optional: bool = False
    force_reconsent_deployed: bool = False
    callback_client_id_on_reauth: bool = False
    callback_iss: bool = False
    aud_string: bool = False
    earliest_refresh_at: Literal["int", "null", "absent", "iso", "ms"] = "int"
    earliest_refresh_offset: float = 3000.0
    refresh_returns_scope: bool = False
    refresh_returns_id_token: bool = False
    refresh_returns_id_token_other_sub: bool = False
    refresh_drops_plan_scope: bool = False
    oauth_string_errors: bool = False
    reuse_revokes_family: bool = True
    early_refresh: Literal["allow", "reject", "same_tokens"] = "allow"
    dead_refresh_code: str = "invalid_grant"
    identity_only_keeps_offline_access: bool = True
    expired_as_error_object: bool = False
    scope_error_as_403: bool = False
    validation_as_400: bool = False
    flat_tools_allowed: bool = False
    web_search_allowed: bool = True
    reject_structured_outputs: bool = False
    no_content_type: bool = False
    completed_includes_output: bool = False
    item_reference_allowed: bool = False


@dataclass
class SiwcAccount:
    sub: str
    email: str
    name: str
    plan: str = "plus"
    workspace: str = "personal"

    @classmethod
    def derive(cls, email: str, plan: str = "plus") -> SiwcAccount:
        digest = hashlib.sha256(email.encode()).hexdigest()
        name = email.split("@")[0].replace(".", " ").title()
        return cls(sub=f"user-{digest[:24]}", email=email, name=name, plan=plan)


@dataclass
class Registration:
    client_id: str
    sub: str
    redirect_base: tuple[str, str, str]  # scheme, host, path
    agent_name: str
    host_ids: set[str] = field(default_factory=set)
    plan_granted: bool = True
    disconnected: bool = False


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    scopes: tuple[str, ...]
    sub: str
    expires_at: float
    used: bool = False


@dataclass
class RefreshGrant:
    client_id: str
    sub: str
    scopes: tuple[str, ...]
    family: str
    expires_at: float
    state: Literal["live", "rotated", "revoked"] = "live"
    successor: str | None = None
    earliest_refresh_at: float | None = None
    access_token: str | None = None


@dataclass
class AccessGrant:
    client_id: str
    sub: str
    scopes: tuple[str, ...]
    expires_at: float
    family: str
    revoked: bool = False


@dataclass
class SiwcState:
    """All mutable state; hold :attr:`lock` while reading or writing several fields together."""

    clock: Clock
    account: SiwcAccount
    quirks: SiwcQuirks = field(default_factory=SiwcQuirks)
    lock: threading.RLock = field(default_factory=threading.RLock)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    kid: str = "emu-1"
    registrations: dict[str, Registration] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    refresh: dict[str, RefreshGrant] = field(default_factory=dict)
    access: dict[str, AccessGrant] = field(default_factory=dict)
    scenario: str = "consent_all"
    faults: dict[str, deque[dict[str, Any]]] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
    models: list[dict[str, Any]] = field(default_factory=lambda: [dict(m) for m in SIWC_MODELS])
    usage_cap: int | None = None
    usage_used: int = 0
    region_blocked: bool = False
    direct_routing_off: bool = False
    not_eligible: bool = False
    counter: int = 0

    def __post_init__(self) -> None:
        self.keys[self.kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    # -- ids and counters ------------------------------------------------------------------------------
    def next_id(self, prefix: str, length: int = 24) -> str:
        with self.lock:
            self.counter += 1
            n = self.counter
        return prefix + hashlib.sha256(self.secret[:8] + f":{n}".encode()).hexdigest()[:length]

    def count(self, name: str, by: int = 1) -> None:
        with self.lock:
            self.stats[name] = self.stats.get(name, 0) + by

    # -- faults ----------------------------------------------------------------------------------------
    def add_fault(self, where: str, kind: str, times: int, **params: Any) -> None:
        with self.lock:
            queue = self.faults.setdefault(where, deque())
            for _ in range(times):
                queue.append({"kind": kind, **params})

    def take_fault(self, where: str) -> dict[str, Any] | None:
        with self.lock:
            queue = self.faults.get(where)
            return queue.popleft() if queue else None

    # -- signing ---------------------------------------------------------------------------------------
    def rotate_key(self) -> str:
        """Sign with a new key (``emu-2``, ``emu-3``, ...); the JWKS publishes every key."""
        with self.lock:
            self.kid = f"emu-{len(self.keys) + 1}"
            self.keys[self.kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self.kid

    def sign(self, claims: dict[str, Any]) -> str:
        with self.lock:
            key, kid = self.keys[self.kid], self.kid
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})

    def jwks(self) -> dict[str, Any]:
        from jwt.algorithms import RSAAlgorithm

        keys = []
        with self.lock:
            items = list(self.keys.items())
        for kid, key in items:
            jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}
