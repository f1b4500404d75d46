"""The authorization-code exchange (docs/protocol.md "Code exchange") as a flow, shared by the browser, paste and
device logins."""

from __future__ import annotations

import httpx

from ..errors import LoginError
from ._config import OAuthConfig
from ._discovery import Endpoints
from ._flow import Flow, Http
from ._tokens import TokenData
from ._wire import code_exchange_request, tokens_from_code_reply

__all__ = ["exchange_code"]


def exchange_code(
    config: OAuthConfig, endpoints: Endpoints, *, code: str, redirect_uri: str, code_verifier: str
) -> Flow[TokenData]:
    """Trade ``code`` for tokens; raises :class:`LoginError` (network or refused code)."""
    request = code_exchange_request(
        config, endpoints.token_endpoint, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
    )
    try:
        reply = yield Http(request)
    except httpx.TransportError as exc:
        raise LoginError(
            f"Could not reach the auth server at {endpoints.token_endpoint} ({type(exc).__name__}). "
            "Check your network and run the login again.",
            code="network_error",
        ) from None
    return tokens_from_code_reply(reply)
