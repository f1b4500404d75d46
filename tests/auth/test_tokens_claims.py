"""TokenData claim helpers tolerate odd but decodable JWTs (never raise on claims)."""

from __future__ import annotations

import base64
import json

from oauth_codex.auth import TokenData


def jwt(claims: dict[str, object]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"e30.{payload}.c2ln"


def test_non_object_auth_claims_and_absurd_exp_are_ignored() -> None:
    token = jwt({"exp": 10**30, "https://api.openai.com/auth": "oops", "https://api.openai.com/profile": 3})
    data = TokenData(access_token=token, id_token=token)
    assert data.resolved_account_id() is None
    assert data.plan_type is None and data.email is None
    assert data.expires_at is None


def test_claims_are_read_from_either_token() -> None:
    id_token = jwt({"email": "u@example.com", "https://api.openai.com/auth": {"chatgpt_account_id": "acct"}})
    access = jwt({"exp": 1_760_000_000, "https://api.openai.com/auth": {"chatgpt_plan_type": "plus"}})
    data = TokenData(access_token=access, id_token=id_token)
    assert (data.resolved_account_id(), data.plan_type, data.email) == ("acct", "plus", "u@example.com")
    assert data.expires_at is not None and data.expires_at.year == 2025
