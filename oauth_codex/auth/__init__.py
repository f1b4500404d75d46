"""Authentication: OAuth PKCE login, token stores, refresh.

Importing this package is cheap: the stores, the provider and the login flows (and keyring, http.server,
webbrowser, filelock behind them) load on first attribute access.

>>> from oauth_codex.auth import login, default_token_store
>>> tokens = login(mode="paste")                # doctest: +SKIP
>>> default_token_store().load().email          # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr
from ._config import OAuthConfig
from ._profiles import validate_profile_name
from ._tokens import (
    AccessToken,
    MemoryTokenStore,
    StaticTokenProvider,
    TokenData,
    TokenProvider,
    TokenStore,
    decode_jwt_claims,
)

if TYPE_CHECKING:
    from ._auto_store import AutoTokenStore, default_token_store
    from ._file_store import FileTokenStore
    from ._keyring_store import KeyringTokenStore
    from ._login import LoginMode, alogin, login
    from ._manage import LogoutResult, import_codex_cli_auth, logout, refresh, remove_profile
    from ._profiles import list_profiles, profile_dir, resolve_profile_name, use_profile
    from ._provider import OAuthTokenProvider
    from ._siwc_login import SiwcLogoutResult, asiwc_login, siwc_login, siwc_logout
    from ._siwc_provider import SiwcTokenProvider
    from ._siwc_store import SiwcCredentials, SiwcStore
    from ._siwc_wire import SiwcConfig

__all__ = [
    "AccessToken",
    "AutoTokenStore",
    "FileTokenStore",
    "KeyringTokenStore",
    "LoginMode",
    "LogoutResult",
    "MemoryTokenStore",
    "OAuthConfig",
    "OAuthTokenProvider",
    "SiwcConfig",
    "SiwcCredentials",
    "SiwcLogoutResult",
    "SiwcStore",
    "SiwcTokenProvider",
    "StaticTokenProvider",
    "TokenData",
    "TokenProvider",
    "TokenStore",
    "alogin",
    "asiwc_login",
    "decode_jwt_claims",
    "default_token_store",
    "import_codex_cli_auth",
    "list_profiles",
    "login",
    "logout",
    "profile_dir",
    "refresh",
    "remove_profile",
    "resolve_profile_name",
    "siwc_login",
    "siwc_logout",
    "use_profile",
    "validate_profile_name",
]

_LAZY = {
    "AutoTokenStore": "._auto_store",
    "default_token_store": "._auto_store",
    "FileTokenStore": "._file_store",
    "KeyringTokenStore": "._keyring_store",
    "LoginMode": "._login",
    "alogin": "._login",
    "login": "._login",
    "LogoutResult": "._manage",
    "import_codex_cli_auth": "._manage",
    "logout": "._manage",
    "refresh": "._manage",
    "remove_profile": "._manage",
    "list_profiles": "._profiles",
    "profile_dir": "._profiles",
    "resolve_profile_name": "._profiles",
    "use_profile": "._profiles",
    "OAuthTokenProvider": "._provider",
    "SiwcLogoutResult": "._siwc_login",
    "asiwc_login": "._siwc_login",
    "siwc_login": "._siwc_login",
    "siwc_logout": "._siwc_login",
    "SiwcTokenProvider": "._siwc_provider",
    "SiwcCredentials": "._siwc_store",
    "SiwcStore": "._siwc_store",
    "SiwcConfig": "._siwc_wire",
}

__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
