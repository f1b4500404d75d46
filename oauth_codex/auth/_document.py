"""Reading stored token documents: the Codex CLI ``auth.json`` layout and the flat legacy layout.

Writes always use the Codex CLI layout (:meth:`TokenData.to_auth_json`). Reads also accept the flat document
of oauth-codex < 1.0 and codex-oauth-llm (``{"access_token", "refresh_token", "id_token", "account_id",
"last_refresh", ...}``), so their logins migrate without a new sign-in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ._tokens import TokenData

__all__ = ["dumps_document", "parse_token_document"]


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def parse_token_document(doc: Any) -> TokenData:
    """The tokens in ``doc``; raises ``ValueError`` (without echoing any value) when it holds none."""
    if not isinstance(doc, dict):
        raise ValueError("the document is not a JSON object")
    if isinstance(doc.get("tokens"), dict):
        try:
            return TokenData.from_auth_json(doc)
        except ValueError:
            raise ValueError("'tokens' lacks a usable access_token or last_refresh") from None
    access = doc.get("access_token")
    if isinstance(access, str) and access:
        refresh = doc.get("refresh_token")
        id_token = doc.get("id_token")
        account = doc.get("account_id")
        try:
            last_refresh = _parse_time(doc.get("last_refresh"))
        except ValueError:
            last_refresh = None
        return TokenData(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            id_token=id_token if isinstance(id_token, str) else "",
            account_id=account if isinstance(account, str) and account else None,
            last_refresh=last_refresh,
        )
    raise ValueError("no 'tokens.access_token' (nor a legacy 'access_token')")


def dumps_document(tokens: TokenData, *, pretty: bool = True) -> str:
    """The Codex CLI ``auth.json`` text for ``tokens``."""
    doc = tokens.to_auth_json()
    if pretty:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
