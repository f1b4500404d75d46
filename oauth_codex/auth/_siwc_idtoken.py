"""ID-token verification for the SIWC route (SIWC.md §5), with PyJWT: never hand-written crypto.

RS256 only, the key chosen by ``kid`` from the discovered JWKS (fetched again once on an unknown ``kid``),
``iss`` exactly the issuer, ``aud`` containing the issued client id, ``azp`` (when present, or when ``aud`` has
several values) equal to it, ``exp``/``iat`` with 5 s tolerance on the caller's clock, the attempt's ``nonce``,
and a non-empty ``sub`` (equal to the profile's when one is expected). An unreachable or unusable JWKS is not
an invalid identity: it raises the retryable :class:`IdentityVerificationUnavailableError`.

PyJWT is imported here only, so ``import oauth_codex`` stays light (install the ``siwc`` extra).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..errors import AccountMismatchError, IdentityVerificationUnavailableError, InvalidIdTokenError
from ._flow import Flow, Http
from ._siwc_wire import SiwcEndpoints
from ._wire import HttpRequest

__all__ = ["JwksCache", "verify_id_token"]

LEEWAY = 5.0


def _jwt() -> Any:
    try:
        import jwt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("The 'siwc' route verifies ID tokens with PyJWT: pip install 'oauth-codex[siwc]'") from None
    return jwt


@dataclass
class JwksCache:
    """The JWKS of one issuer, keyed by ``kid`` (kept in memory, refetched on an unknown ``kid``)."""

    keys: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fetch(self, endpoints: SiwcEndpoints) -> Flow[None]:
        try:
            reply = yield Http(HttpRequest("GET", endpoints.jwks_uri, headers={"Accept": "application/json"}))
        except httpx.TransportError:
            raise _unavailable("the key set could not be reached") from None
        body = reply.body
        keys = body.get("keys") if isinstance(body, dict) else None
        if reply.status != 200 or not isinstance(keys, list):
            raise _unavailable(f"the key set answered HTTP {reply.status} without keys")
        self.keys = {k["kid"]: k for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)}


def _unavailable(why: str) -> IdentityVerificationUnavailableError:
    return IdentityVerificationUnavailableError(
        f"Your ChatGPT identity cannot be verified right now ({why}); nothing was lost. Try again in a moment."
    )


def _invalid(why: str) -> InvalidIdTokenError:
    return InvalidIdTokenError(
        f"The sign-in returned an ID token that failed verification ({why}); it was discarded. Run "
        "`oauth-codex login --route siwc` again.",
        code="invalid_id_token",
    )


def verify_id_token(
    token: str,
    *,
    endpoints: SiwcEndpoints,
    client_id: str,
    nonce: str | None,
    expected_sub: str | None,
    jwks: JwksCache,
    now: float,
) -> Flow[dict[str, Any]]:
    """The verified claims of ``token`` (a flow: it may fetch the JWKS)."""
    jwt = _jwt()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _invalid("not a JWT") from None
    if header.get("alg") != "RS256":
        raise _invalid(f"algorithm {header.get('alg')!r} is not RS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or kid not in jwks.keys:
        yield from jwks.fetch(endpoints)
        if not isinstance(kid, str) or kid not in jwks.keys:
            raise _unavailable("the key set lacks the token's signing key")
    try:
        key = jwt.PyJWK(jwks.keys[kid], algorithm="RS256").key
    except jwt.PyJWTError:
        raise _unavailable("the key set's signing key is unusable") from None
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=client_id,
            issuer=endpoints.issuer,
            options={
                "require": ["iss", "aud", "exp", "iat", "sub"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidAudienceError:
        raise _invalid("aud is not this app's client id") from None
    except jwt.InvalidIssuerError:
        raise _invalid("iss is not the issuer") from None
    except jwt.PyJWTError as exc:
        raise _invalid(type(exc).__name__) from None
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp + LEEWAY < now:
        raise _invalid("expired")
    if not isinstance(iat, int | float) or iat - LEEWAY > now:
        raise _invalid("issued in the future")
    aud = claims["aud"]
    audiences = aud if isinstance(aud, list) else [aud]
    azp = claims.get("azp")
    if (azp is not None or len(audiences) > 1) and azp != client_id:
        raise _invalid("azp is not this app's client id")
    if nonce is not None:
        received = claims.get("nonce")
        if not isinstance(received, str) or not hmac.compare_digest(received, nonce):
            raise _invalid("nonce does not match this sign-in")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise _invalid("no subject")
    if expected_sub is not None and sub != expected_sub:
        raise AccountMismatchError(
            "You signed in with a different ChatGPT account than this profile's; its saved login is unchanged. "
            "Sign in with the same account, or use another profile (--profile NAME) for the other account.",
            code="account_mismatch",
        )
    return claims
