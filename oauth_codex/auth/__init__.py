"""Authentication: OAuth PKCE login, token stores, refresh.

Importing this package is cheap; keyring and the login flows load on first use.
"""

from __future__ import annotations

from ._config import OAuthConfig
from ._tokens import (
    AccessToken,
    MemoryTokenStore,
    StaticTokenProvider,
    TokenData,
    TokenProvider,
    TokenStore,
    decode_jwt_claims,
)

__all__ = [
    "AccessToken",
    "MemoryTokenStore",
    "OAuthConfig",
    "StaticTokenProvider",
    "TokenData",
    "TokenProvider",
    "TokenStore",
    "decode_jwt_claims",
]
