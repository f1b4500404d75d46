"""OAuth and backend configuration: explicit arguments > ``CODEX_OAUTH_*`` environment variables > defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from ..errors import ConfigError
from ._profiles import validate_profile_name

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_CLIENT_ID", "ENV_VARS", "OAuthConfig", "is_loopback_host", "url_problem"]

DEFAULT_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
DEFAULT_BASE_URL = "https://chatgpt.com/backend-api/codex"

#: field name -> environment variable
ENV_VARS: dict[str, str] = {
    "client_id": "CODEX_OAUTH_CLIENT_ID",
    "scope": "CODEX_OAUTH_SCOPE",
    "audience": "CODEX_OAUTH_AUDIENCE",
    "redirect_uri": "CODEX_OAUTH_REDIRECT_URI",
    "discovery_url": "CODEX_OAUTH_DISCOVERY_URL",
    "authorization_endpoint": "CODEX_OAUTH_AUTHORIZATION_ENDPOINT",
    "token_endpoint": "CODEX_OAUTH_TOKEN_ENDPOINT",
    "originator": "CODEX_OAUTH_ORIGINATOR",
    "base_url": "CODEX_OAUTH_BASE_URL",
    "home": "CODEX_OAUTH_HOME",
    "storage": "CODEX_OAUTH_STORAGE",
    "profile_name": "CODEX_OAUTH_PROFILE",
}


def is_loopback_host(host: str | None) -> bool:
    """``localhost`` or a loopback IP address (``127.0.0.0/8``, ``::1``)."""
    from ipaddress import ip_address

    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a server URL, or ``None``.

    It must be an absolute ``http``/``https`` URL with a host and a valid port; tokens and codes travel to it,
    so plain ``http`` is only allowed for a loopback host.
    """
    import httpx

    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError):
        return "is not a valid URL"
    if url.scheme not in ("http", "https") or not url.host:
        return "is not an absolute http(s) URL such as https://host/path"
    if url.port is not None and not 0 <= url.port < 65536:  # 0: an ephemeral loopback redirect port
        return f"has an invalid port ({url.port})"
    if url.scheme == "http" and not is_loopback_host(url.host):
        return "must use https (tokens go there, and plain http is only allowed for a loopback host such as 127.0.0.1)"
    return None


def _is_url_field(name: str) -> bool:
    """Server URLs (``*_url``, ``*_endpoint``, ``issuer``); the redirect URI is checked by the login that uses it."""
    return name.endswith(("_url", "_endpoint")) or name == "issuer"


def _config_error(exc: ValidationError, names: Mapping[str, str], values: Mapping[str, Any]) -> ConfigError:
    """One sentence for the first invalid value, naming its environment variable (or argument)."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    name = names.get(field, field or "the configuration")
    message = str(first["msg"]).removeprefix("Value error, ").rstrip(".")
    if not message.startswith(("is ", "has ", "must ")):  # pydantic's own wording, e.g. for the storage mode
        message = f"is invalid ({message[:1].lower() + message[1:]})"
    shown = str(values.get(field, ""))
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    fix = "fix or unset the variable" if name.startswith("CODEX_OAUTH_") else "fix the argument"
    return ConfigError(f"{name}={shown!r} {message}: {fix}.")


class OAuthConfig(BaseModel):
    """Where to log in, refresh and send requests.

    Build it with :meth:`from_env` so that explicit arguments beat ``CODEX_OAUTH_*`` variables, which beat
    the defaults (the Codex CLI's public client on ``auth.openai.com``). ``issuer`` is the origin of the auth
    server (revoke and device-code endpoints hang off it); by default it is the origin of
    ``authorization_endpoint``. ``profile_name`` (``CODEX_OAUTH_PROFILE``) picks the login among several;
    ``None`` means the current profile (``oauth-codex profile use``), else ``default``.
    """

    model_config = ConfigDict(frozen=True)

    client_id: str = DEFAULT_CLIENT_ID
    scope: str = "openid profile email offline_access"
    audience: str | None = None
    redirect_uri: str = "http://localhost:1455/auth/callback"
    discovery_url: str | None = None
    authorization_endpoint: str = "https://auth.openai.com/oauth/authorize"
    token_endpoint: str = "https://auth.openai.com/oauth/token"
    originator: str = "codex_cli_rs"
    base_url: str = DEFAULT_BASE_URL
    home: Path = Path("~/.oauth_codex")
    storage: Literal["auto", "keyring", "file"] = "auto"
    issuer: str | None = None
    profile_name: str | None = None

    @field_validator("profile_name")
    @classmethod
    def _valid_profile(cls, value: str | None) -> str | None:
        return None if value is None else validate_profile_name(value)

    @field_validator("*")
    @classmethod
    def _check_url(cls, value: Any, info: ValidationInfo) -> Any:
        """Every server URL: absolute http(s) with a host and valid port; https unless the host is loopback."""
        name = info.field_name or ""
        if isinstance(value, str) and _is_url_field(name):
            problem = url_problem(value)
            if problem is not None:
                raise ValueError(problem)
        return value

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> OAuthConfig:
        """Defaults, then ``CODEX_OAUTH_*`` from ``env`` (default ``os.environ``), then ``overrides``.

        Empty variables and ``None`` overrides count as unset. An invalid value raises
        :class:`~oauth_codex.errors.ConfigError` in one sentence naming the variable (or the argument).
        """
        source = os.environ if env is None else env
        values: dict[str, Any] = {}
        names: dict[str, str] = {}
        for name, var in ENV_VARS.items():
            raw = source.get(var)
            if raw is not None and raw.strip():
                values[name] = raw.strip()
                names[name] = var
        given = {k: v for k, v in overrides.items() if v is not None}
        values.update(given)
        for name in given:
            names.pop(name, None)
        if "profile_name" in values:  # a clear error rather than pydantic's report
            try:
                validate_profile_name(values["profile_name"], source=names.get("profile_name", "profile_name"))
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if "storage" in values:
            values["storage"] = str(values["storage"]).lower()
        try:
            return cls(**values)
        except ValidationError as exc:
            raise _config_error(exc, names, values) from None

    @property
    def issuer_url(self) -> str:
        """The auth server's origin, e.g. ``https://auth.openai.com``."""
        if self.issuer:
            return self.issuer.rstrip("/")
        parts = urlsplit(self.authorization_endpoint)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def revoke_endpoint(self) -> str:
        return f"{self.issuer_url}/oauth/revoke"

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def responses_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/responses"
