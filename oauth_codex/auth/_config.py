"""OAuth and backend configuration: explicit arguments > ``CODEX_OAUTH_*`` environment variables > defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, field_validator

from ._profiles import validate_profile_name

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_CLIENT_ID", "ENV_VARS", "OAuthConfig"]

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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> OAuthConfig:
        """Defaults, then ``CODEX_OAUTH_*`` from ``env`` (default ``os.environ``), then ``overrides``.

        Empty variables and ``None`` overrides count as unset.
        """
        source = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, var in ENV_VARS.items():
            raw = source.get(var)
            if raw is not None and raw.strip():
                values[name] = raw.strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "profile_name" in values:  # a clear ValueError rather than pydantic's report
            explicit = overrides.get("profile_name") is not None
            validate_profile_name(
                values["profile_name"], source="profile_name" if explicit else ENV_VARS["profile_name"]
            )
        if "storage" in values:
            values["storage"] = str(values["storage"]).lower()
        return cls(**values)

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
