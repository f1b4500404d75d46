"""Emulator JWTs: HS256-signed with a per-emulator secret, and sealed opaque blobs (``encrypted_content``).

Pure functions; no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

__all__ = ["b64url_decode", "b64url_encode", "encode_jwt", "open_sealed", "seal", "verify_jwt"]


def b64url_encode(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of :func:`b64url_encode` (padding restored). Raises ``ValueError`` on bad input."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64url") from exc


def _sign(secret: bytes, data: bytes) -> str:
    return b64url_encode(hmac.new(secret, data, hashlib.sha256).digest())


def encode_jwt(claims: dict[str, Any], secret: bytes) -> str:
    """A compact JWT (three base64url-no-pad segments) signed with HS256."""
    header = b64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url_encode(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{_sign(secret, signing_input.encode())}"


def verify_jwt(token: str, secret: bytes) -> dict[str, Any] | None:
    """The claims when ``token`` is a JWT signed by ``secret``; else ``None`` (``exp`` unchecked)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return None
    expected = _sign(secret, f"{parts[0]}.{parts[1]}".encode())
    if not hmac.compare_digest(expected, parts[2]):
        return None
    try:
        claims = json.loads(b64url_decode(parts[1]))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def seal(payload: dict[str, Any], secret: bytes) -> str:
    """An opaque, tamper-evident blob in the style of Fernet tokens (``gAAAAB...``)."""
    body = b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"gAAAAB{body}.{_sign(secret, body.encode())}"


def open_sealed(blob: str, secret: bytes) -> dict[str, Any] | None:
    """The payload of a blob made by :func:`seal` with ``secret``; ``None`` when it was not."""
    if not blob.startswith("gAAAAB") or "." not in blob:
        return None
    body, _, sig = blob[6:].rpartition(".")
    if not hmac.compare_digest(_sign(secret, body.encode()), sig):
        return None
    try:
        payload = json.loads(b64url_decode(body))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None
