"""Device-code login (docs/protocol.md "Revocation and device code"): show a code, the user enters it at
``{issuer}/codex/device``, we poll.

This is the Codex CLI's own protocol, not RFC 8628: ``interval`` is a string, 403/404 while polling mean
"pending", the code lives about 15 minutes, and the server hands back the PKCE ``code_verifier`` to use in the
final exchange with ``redirect_uri={issuer}/deviceauth/callback``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO

import httpx

from ..errors import LoginError
from ._config import OAuthConfig
from ._discovery import Endpoints, resolve_endpoints
from ._exchange import exchange_code
from ._flow import Flow, Http, Sleep
from ._log import get_logger
from ._tokens import TokenData
from ._wire import HttpReply, HttpRequest, auth_headers, error_code

__all__ = ["DeviceCode", "device_flow", "parse_device_code", "parse_device_grant"]

log = get_logger(__name__)

DEVICE_CODE_LIFETIME = 15 * 60.0
DEFAULT_INTERVAL = 5.0


@dataclass(frozen=True)
class DeviceCode:
    device_auth_id: str = field(repr=False)
    user_code: str
    interval: float


@dataclass(frozen=True)
class DeviceGrant:
    authorization_code: str = field(repr=False)
    code_verifier: str = field(repr=False)


def _interval(value: object) -> float:
    try:
        seconds = float(value) if isinstance(value, str | int | float) else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL
    return seconds if 0 <= seconds <= 600 else DEFAULT_INTERVAL


def _expired() -> LoginError:
    return LoginError(
        "The device code expired before the login was approved. Run `oauth-codex login --device` again.",
        code="device_code_expired",
    )


def parse_device_code(reply: HttpReply) -> DeviceCode:
    """The user-code reply; 404 means device login is disabled for this account or server."""
    if reply.status == 404:
        raise LoginError(
            "Device-code login is disabled on this auth server (an admin may have turned it off). Use "
            "`oauth-codex login --paste` instead.",
            code="device_login_disabled",
        )
    body = reply.body if isinstance(reply.body, dict) else {}
    device_auth_id = body.get("device_auth_id")
    user_code = body.get("user_code") or body.get("usercode")
    if reply.status != 200 or not isinstance(device_auth_id, str) or not isinstance(user_code, str):
        raise LoginError(
            f"The auth server did not start a device-code login (HTTP {reply.status}"
            + (f", {error_code(reply.body)}" if error_code(reply.body) else "")
            + "). Try `oauth-codex login --paste`.",
            code="device_code_failed",
        )
    return DeviceCode(device_auth_id, user_code, _interval(body.get("interval")))


def parse_device_grant(reply: HttpReply) -> DeviceGrant | None:
    """``None`` while pending (403/404); the grant on 200; :class:`LoginError` for anything else."""
    if reply.status in (403, 404):
        return None
    body = reply.body if isinstance(reply.body, dict) else {}
    code, verifier = body.get("authorization_code"), body.get("code_verifier")
    if reply.status == 200 and isinstance(code, str) and isinstance(verifier, str):
        return DeviceGrant(code, verifier)
    if error_code(reply.body) == "device_code_expired":
        raise _expired()
    raise LoginError(
        f"The device-code login failed (HTTP {reply.status}"
        + (f", {error_code(reply.body)}" if error_code(reply.body) else "")
        + "). Run `oauth-codex login --device` to start over.",
        code="device_auth_failed",
    )


def device_flow(
    config: OAuthConfig,
    *,
    output: TextIO,
    timeout: float | None = None,
) -> Flow[TokenData]:
    """The device-code login as a flow (see :mod:`._flow`); ``timeout`` caps the 15-minute code lifetime."""
    endpoints: Endpoints = yield from resolve_endpoints(config)
    headers = {**auth_headers(config), "Accept": "application/json"}
    try:
        reply = yield Http(
            HttpRequest(
                "POST", endpoints.device_usercode_url, headers=headers, json={"client_id": config.client_id}
            )
        )
    except httpx.TransportError as exc:
        raise LoginError(
            f"Could not reach the auth server at {endpoints.issuer} ({type(exc).__name__}). "
            "Check your network.",
            code="network_error",
        ) from None
    device = parse_device_code(reply)
    lifetime = min(timeout, DEVICE_CODE_LIFETIME) if timeout is not None else DEVICE_CODE_LIFETIME
    output.write(
        "To sign in with ChatGPT on this device:\n"
        f"  1. Open {endpoints.device_verification_url} in a browser (any device).\n"
        f"  2. Enter the code: {device.user_code}\n"
        f"Waiting for approval (the code expires in {lifetime / 60:.0f} minutes)...\n"
    )
    output.flush()
    deadline = time.monotonic() + lifetime
    poll = HttpRequest(
        "POST",
        endpoints.device_token_url,
        headers=headers,
        json={"device_auth_id": device.device_auth_id, "user_code": device.user_code},
    )
    while True:
        try:
            reply = yield Http(poll)
            grant = parse_device_grant(reply)
        except httpx.TransportError as exc:
            log.debug("device-code poll failed (%s); retrying", type(exc).__name__)
            grant = None
        if grant is not None:
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _expired()
        yield Sleep(min(device.interval, remaining))
    tokens: TokenData = yield from exchange_code(
        config,
        endpoints,
        code=grant.authorization_code,
        redirect_uri=endpoints.device_redirect_uri,
        code_verifier=grant.code_verifier,
    )
    return tokens
