"""The "Sign in with ChatGPT" (SIWC) route's auth wire format, as plain data (SIWC.md §1-§9; no I/O).

Configuration (:class:`SiwcConfig`), discovery validation, the authorize URL, callback checks, the form
bodies of the code exchange, refresh and revocation, and the token-reply parser. The flows in
``_siwc_login`` and ``_siwc_provider`` yield the :class:`~._wire.HttpRequest` s built here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ..errors import ConfigError, IdentityVerificationUnavailableError, LoginError
from ._config import url_problem
from ._pkce import state_matches
from ._wire import HttpReply, HttpRequest, error_code, error_message

__all__ = [
    "BOOTSTRAP_CLIENT_ID",
    "DEFAULT_API_BASE",
    "DEFAULT_ISSUER",
    "PLAN_SCOPE",
    "RESOURCE",
    "SCOPES",
    "SiwcConfig",
    "SiwcEndpoints",
    "TokenReply",
    "authorize_url",
    "callback_client_id",
    "endpoints_from_discovery",
    "parse_earliest_refresh_at",
    "parse_token_reply",
]

DEFAULT_ISSUER = "https://auth.openai.com"
DEFAULT_API_BASE = "https://api.openai.com/v1"
RESOURCE = "https://api.openai.com/v1"
BOOTSTRAP_CLIENT_ID = "dynamic_agent_client"
PLAN_SCOPE = "chatgpt.tokens.use.direct"
SCOPES = ("openid", "profile", "email", "offline_access", "resource.invoke", PLAN_SCOPE)
CALLBACK_PATH = "/auth/callback"
DEFAULT_AGENT_NAME = "oauth-codex"
#: the Codex CLI version sent as ``client_version`` to ``/v1/models`` (the catalog hides newer models)
CLIENT_VERSION = "0.160.0"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")

ENV_VARS = {
    "issuer": "CODEX_OAUTH_SIWC_ISSUER",
    "api_base": "CODEX_OAUTH_SIWC_BASE_URL",
    "agent_name": "CODEX_OAUTH_SIWC_AGENT_NAME",
    "home": "CODEX_OAUTH_HOME",
}


@dataclass(frozen=True)
class SiwcConfig:
    """Where the SIWC route signs in and sends requests: explicit arguments > environment > defaults.

    ``issuer`` (``CODEX_OAUTH_SIWC_ISSUER``, default ``https://auth.openai.com``; discovery is read from it),
    ``api_base`` (``CODEX_OAUTH_SIWC_BASE_URL``, default ``https://api.openai.com/v1``), ``agent_name``
    (``CODEX_OAUTH_SIWC_AGENT_NAME``, default ``oauth-codex``: the name shown when the user approves the
    app; an app embedding this SDK should pass its own), ``home`` (``CODEX_OAUTH_HOME``; SIWC files live in
    ``<home>/siwc/``).
    """

    issuer: str = DEFAULT_ISSUER
    api_base: str = DEFAULT_API_BASE
    agent_name: str = DEFAULT_AGENT_NAME
    home: Path = Path("~/.oauth_codex")
    client_version: str = CLIENT_VERSION

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> SiwcConfig:
        source = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, var in ENV_VARS.items():
            raw = source.get(var)
            if raw is not None and raw.strip():
                values[name] = raw.strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "home" in values:
            values["home"] = Path(values["home"])
        for key in ("issuer", "api_base"):
            if key in values:
                values[key] = str(values[key]).rstrip("/")
                problem = url_problem(values[key])
                if problem is not None:
                    raise ConfigError(f"{ENV_VARS[key]} ({values[key]!r}) {problem}: fix it and run again.")
        return cls(**values)

    @property
    def siwc_dir(self) -> Path:
        return self.home.expanduser() / "siwc"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


@dataclass(frozen=True)
class SiwcEndpoints:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    revocation_endpoint: str | None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def discovery_request(config: SiwcConfig) -> HttpRequest:
    return HttpRequest("GET", config.discovery_url, headers={"Accept": "application/json"}, timeout=15.0)


def endpoints_from_discovery(config: SiwcConfig, reply: HttpReply) -> SiwcEndpoints:
    """Validate the discovery document (§1): fail closed on a wrong issuer or a foreign endpoint.

    An unreachable or malformed document raises the retryable :class:`IdentityVerificationUnavailableError`.
    """
    doc = reply.body
    if reply.status != 200 or not isinstance(doc, dict):
        raise IdentityVerificationUnavailableError(
            f"The sign-in service's discovery document could not be read (HTTP {reply.status}); your login is "
            "kept. Try again in a moment."
        )
    if doc.get("issuer") != config.issuer:
        raise LoginError(
            f"The discovery document at {config.discovery_url} names another issuer, so it is not trusted. "
            "Check CODEX_OAUTH_SIWC_ISSUER.",
            code="issuer_mismatch",
        )
    origin = _origin(config.issuer)
    found: dict[str, str | None] = {}
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "revocation_endpoint"):
        value = doc.get(key)
        if value is None and key == "revocation_endpoint":
            found[key] = None
            continue
        secure = isinstance(value, str) and (value.startswith("https://") or _is_loopback(value))
        if not secure or _origin(str(value)) != origin:
            raise LoginError(
                f"The discovery document's {key} is not on the issuer's origin {origin}, so it is not trusted. "
                "Check CODEX_OAUTH_SIWC_ISSUER.",
                code="untrusted_endpoint",
            )
        found[key] = str(value)
    return SiwcEndpoints(
        issuer=config.issuer,
        authorization_endpoint=str(found["authorization_endpoint"]),
        token_endpoint=str(found["token_endpoint"]),
        jwks_uri=str(found["jwks_uri"]),
        revocation_endpoint=found["revocation_endpoint"],
    )


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def authorize_url(
    endpoints: SiwcEndpoints,
    *,
    client_id: str | None,
    host_id: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    challenge: str,
    agent_name: str,
    id_token_hint: str | None = None,
    login_hint: str | None = None,
    consent: bool = False,
) -> str:
    """The §3.1 URL: registration (``client_id=None``: ``dynamic_agent_client`` + ``agent_name_hint``) or
    reauthorization with the issued client id (no ``agent_name_hint``; ``id_token_hint``/``login_hint``)."""
    params: list[tuple[str, str]] = [("client_id", client_id or BOOTSTRAP_CLIENT_ID)]
    if client_id is None:
        params.append(("agent_name_hint", agent_name))
    params += [
        ("ext_agent_host_id", host_id),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
        ("scope", " ".join(SCOPES)),
        ("resource", RESOURCE),
        ("state", state),
        ("nonce", nonce),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
    if client_id is not None and id_token_hint:
        params.append(("id_token_hint", id_token_hint))
    if client_id is not None and login_hint:
        params.append(("login_hint", login_hint))
    if consent:
        params.append(("prompt", "consent"))
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params)
    return f"{endpoints.authorization_endpoint}?{query}"


def callback_client_id(
    params: Mapping[str, Sequence[str]], *, registering: bool, saved_client_id: str | None, issuer: str
) -> str:
    """The client id to exchange with (§3.4 steps 3-5); ``state``/``error``/``code`` were checked already."""
    values = params.get("client_id") or []
    if len(values) > 1:
        raise LoginError(
            "The sign-in callback carries more than one client_id. Sign in again.", code="invalid_callback"
        )
    iss = params.get("iss") or []
    if iss and (len(iss) > 1 or not state_matches(iss[0], issuer)):
        raise LoginError("The sign-in callback names another issuer (iss). Sign in again.", code="issuer_mismatch")
    received = values[0] if values else None
    if registering:
        if not received or received == BOOTSTRAP_CLIENT_ID or not _CLIENT_ID.fullmatch(received):
            raise LoginError(
                "The sign-in finished without issuing this app a client id, so the registration is incomplete. "
                "Run `oauth-codex login --route siwc` again.",
                code="registration_incomplete",
            )
        return received
    assert saved_client_id is not None
    if received is not None and received != saved_client_id:
        raise LoginError(
            "The sign-in returned a different app connection (client id) than this profile's; nothing was "
            "changed. Run `oauth-codex login --route siwc` again, or sign in to a new profile.",
            code="connection_changed",
        )
    return saved_client_id


def _form_request(url: str, form: dict[str, str], *, timeout: float = 30.0) -> HttpRequest:
    return HttpRequest("POST", url, headers={"Accept": "application/json"}, form=form, timeout=timeout)


def exchange_request(
    endpoints: SiwcEndpoints, *, client_id: str, code: str, verifier: str, redirect_uri: str
) -> HttpRequest:
    return _form_request(
        endpoints.token_endpoint,
        {
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            "resource": RESOURCE,
        },
    )


def refresh_request(endpoints: SiwcEndpoints, *, client_id: str, refresh_token: str) -> HttpRequest:
    """§7.1: form-encoded, the issued client id, ``resource``, and no ``scope`` (keeps the grant)."""
    return _form_request(
        endpoints.token_endpoint,
        {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token, "resource": RESOURCE},
    )


def revoke_request(revocation_endpoint: str, *, client_id: str, refresh_token: str) -> HttpRequest:
    return _form_request(
        revocation_endpoint,
        {"token": refresh_token, "token_type_hint": "refresh_token", "client_id": client_id},
        timeout=10.0,
    )


@dataclass(frozen=True)
class TokenReply:
    access_token: str
    expires_in: float
    refresh_token: str | None
    id_token: str | None
    scopes: tuple[str, ...] | None
    earliest_refresh_at: float | None


def parse_earliest_refresh_at(value: Any) -> float | None:
    """Unix seconds (a number; values above 1e11 are milliseconds), an ISO-8601 string, ``None`` or absent."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) / 1000.0 if value > 1e11 else float(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def parse_token_reply(reply: HttpReply, *, require_id_token: bool, require_refresh: bool) -> TokenReply:
    """The fields of a 200 token reply, validated (§4); a malformed one raises :class:`LoginError`."""
    body = reply.body if isinstance(reply.body, dict) else {}
    problems: list[str] = []
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        problems.append("access_token")
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        problems.append("token_type")
    expires_in = body.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or not expires_in > 0:
        problems.append("expires_in")
    scope = body.get("scope")
    if scope is not None and not isinstance(scope, str):
        problems.append("scope")
    id_token = body.get("id_token")
    if require_id_token and (not isinstance(id_token, str) or not id_token):
        problems.append("id_token")
    refresh = body.get("refresh_token")
    if require_refresh and (not isinstance(refresh, str) or not refresh):
        problems.append("refresh_token")
    if problems:
        raise LoginError(
            f"The sign-in service's token reply is invalid ({', '.join(problems)}); nothing was saved. Try again.",
            code="invalid_token_response",
        )
    return TokenReply(
        access_token=str(access),
        expires_in=float(expires_in),  # type: ignore[arg-type]
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        id_token=id_token if isinstance(id_token, str) and id_token else None,
        scopes=tuple(sorted(scope.split())) if isinstance(scope, str) else None,
        earliest_refresh_at=parse_earliest_refresh_at(body.get("earliest_refresh_at")),
    )


def oauth_error(reply: HttpReply) -> tuple[str | None, str | None]:
    """(code, description) of a token/revoke error body: RFC 6749 ``{"error": "..."}`` or OpenAI nested."""
    return error_code(reply.body), error_message(reply.body)
