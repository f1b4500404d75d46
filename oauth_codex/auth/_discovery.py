"""Which URLs to call: from the config, or from an OpenID discovery document when ``discovery_url`` is set.

Precedence per endpoint: an explicit value (argument or ``CODEX_OAUTH_*`` variable) > the discovery document >
the built-in default. The document is fetched lazily by the flows (at login / refresh time, never at import).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import APIConnectionError, ConfigError, LoginError
from ._config import OAuthConfig, url_problem
from ._flow import Flow, Http
from ._wire import HttpRequest, auth_headers

__all__ = ["Endpoints", "endpoints_from_discovery", "resolve_endpoints", "static_endpoints"]


@dataclass(frozen=True)
class Endpoints:
    """The auth server's URLs for one login/refresh."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str

    @property
    def device_usercode_url(self) -> str:
        return f"{self.issuer}/api/accounts/deviceauth/usercode"

    @property
    def device_token_url(self) -> str:
        return f"{self.issuer}/api/accounts/deviceauth/token"

    @property
    def device_verification_url(self) -> str:
        return f"{self.issuer}/codex/device"

    @property
    def device_redirect_uri(self) -> str:
        return f"{self.issuer}/deviceauth/callback"


def static_endpoints(config: OAuthConfig) -> Endpoints:
    """The endpoints the config names, without any discovery."""
    return Endpoints(
        issuer=config.issuer_url,
        authorization_endpoint=config.authorization_endpoint,
        token_endpoint=config.token_endpoint,
        revocation_endpoint=config.revoke_endpoint,
    )


def endpoints_from_discovery(config: OAuthConfig, document: Any) -> Endpoints:
    """Merge a discovery document into the config; explicitly set config values win."""
    doc: dict[str, Any] = document if isinstance(document, dict) else {}
    explicit = config.model_fields_set

    def pick(field_name: str, doc_key: str, default: str) -> str:
        value = doc.get(doc_key)
        if field_name not in explicit and isinstance(value, str) and value:
            return value
        return default

    issuer = config.issuer_url
    if "issuer" not in explicit and "authorization_endpoint" not in explicit:
        doc_issuer = doc.get("issuer")
        if isinstance(doc_issuer, str) and doc_issuer:
            issuer = doc_issuer.rstrip("/")
    revocation = doc.get("revocation_endpoint")
    endpoints = Endpoints(
        issuer=issuer,
        authorization_endpoint=pick(
            "authorization_endpoint", "authorization_endpoint", config.authorization_endpoint
        ),
        token_endpoint=pick("token_endpoint", "token_endpoint", config.token_endpoint),
        revocation_endpoint=revocation
        if isinstance(revocation, str) and revocation
        else f"{issuer}/oauth/revoke",
    )
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "revocation_endpoint"):
        value = getattr(endpoints, name)
        problem = url_problem(value)
        if problem is not None:
            raise ConfigError(
                f"The discovery document {config.discovery_url} names {name} {value!r}, which {problem}: fix "
                "CODEX_OAUTH_DISCOVERY_URL or set the endpoints yourself."
            )
    return endpoints


def resolve_endpoints(config: OAuthConfig, *, purpose: str = "login") -> Flow[Endpoints]:
    """A flow returning the endpoints, fetching ``config.discovery_url`` first when it is set."""
    if not config.discovery_url:
        return static_endpoints(config)
    try:
        reply = yield Http(
            HttpRequest(
                "GET",
                config.discovery_url,
                headers={**auth_headers(config), "Accept": "application/json"},
                timeout=15.0,
            )
        )
    except httpx.TransportError as exc:
        message = (
            f"Could not fetch the OpenID discovery document {config.discovery_url} ({type(exc).__name__}). "
            "Check your network or CODEX_OAUTH_DISCOVERY_URL."
        )
        if purpose == "login":
            raise LoginError(message, code="discovery_failed") from None
        raise APIConnectionError(message) from None
    if reply.status != 200 or not isinstance(reply.body, dict):
        message = (
            f"The OpenID discovery document {config.discovery_url} could not be read (HTTP {reply.status}). "
            "Check CODEX_OAUTH_DISCOVERY_URL."
        )
        if purpose == "login":
            raise LoginError(message, code="discovery_failed")
        raise APIConnectionError(message)
    return endpoints_from_discovery(config, reply.body)
