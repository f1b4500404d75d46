"""The emulated auth server: discovery, authorize, PKCE code exchange, refresh rotation, revoke, JWTs."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from oauth_codex.auth import TokenData, decode_jwt_claims
from oauth_codex.testing import CodexEmulator

from .helpers import CLIENT_ID, body, post

REDIRECT = "http://localhost:1455/auth/callback"
SCOPE = "openid profile email offline_access"


def pkce(verifier: str | None = None) -> tuple[str, str]:
    verifier = verifier or base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str, **overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": SCOPE,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "id_token_add_organizations": "true",
        "codex_cli_simplified_flow": "true",
        "state": "st4te-with spaces/&=",
        "originator": "codex_cli_rs",
    }
    params.update(overrides)
    return params


def authorize(http: httpx.Client, emu: CodexEmulator, params: dict[str, str]) -> httpx.Response:
    return http.get(f"{emu.url}/oauth/authorize?{urlencode(params)}")


def redirect_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(
    http: httpx.Client, emu: CodexEmulator, code: str, verifier: str, **overrides: str
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
    }
    form.update(overrides)
    return http.post(f"{emu.url}/oauth/token", data=form)


def login(http: httpx.Client, emu: CodexEmulator) -> dict[str, Any]:
    verifier, challenge = pkce()
    code = redirect_query(authorize(http, emu, authorize_params(challenge)))["code"]
    response = exchange(http, emu, code, verifier)
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert isinstance(tokens, dict)
    return tokens


def refresh(http: httpx.Client, emu: CodexEmulator, token: str, form: bool = False) -> httpx.Response:
    payload = {"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": token}
    if form:
        return http.post(f"{emu.url}/oauth/token", data=payload)
    return http.post(f"{emu.url}/oauth/token", json=payload)


# ---------------------------------------------------------------------------------------- discovery


def test_discovery_document(emu: CodexEmulator, http: httpx.Client) -> None:
    doc = http.get(f"{emu.url}/.well-known/openid-configuration").json()
    assert doc["issuer"] == emu.issuer
    assert doc["authorization_endpoint"] == f"{emu.url}/oauth/authorize"
    assert doc["token_endpoint"] == f"{emu.url}/oauth/token"
    assert doc["revocation_endpoint"] == f"{emu.url}/oauth/revoke"
    assert doc["code_challenge_methods_supported"] == ["S256"]


# ---------------------------------------------------------------------------------------- authorize


def test_authorize_auto_approves_and_echoes_state(emu: CodexEmulator, http: httpx.Client) -> None:
    _, challenge = pkce()
    query = redirect_query(authorize(http, emu, authorize_params(challenge)))
    assert query["state"] == "st4te-with spaces/&="
    assert query["code"]


def test_authorize_accepts_the_connector_scopes(emu: CodexEmulator, http: httpx.Client) -> None:
    _, challenge = pkce()
    scope = SCOPE + " api.connectors.read api.connectors.invoke"
    assert "code" in redirect_query(authorize(http, emu, authorize_params(challenge, scope=scope)))


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"scope": "profile email"}, "invalid_scope"),
    ],
)
def test_authorize_errors_redirect_with_state(
    emu: CodexEmulator, http: httpx.Client, override: dict[str, str], error: str
) -> None:
    _, challenge = pkce()
    query = redirect_query(authorize(http, emu, authorize_params(challenge, **override)))
    assert query["error"] == error
    assert query["state"] == "st4te-with spaces/&="
    assert "code" not in query


@pytest.mark.parametrize(
    "override",
    [
        {"client_id": "app_other"},
        {"redirect_uri": "http://127.0.0.1:1455/auth/callback"},
        {"redirect_uri": "http://localhost:8080/auth/callback"},
    ],
)
def test_bad_client_or_redirect_gets_an_error_page(
    emu: CodexEmulator, http: httpx.Client, override: dict[str, str]
) -> None:
    _, challenge = pkce()
    response = authorize(http, emu, authorize_params(challenge, **override))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


def test_port_1457_and_registered_redirects(emu: CodexEmulator, http: httpx.Client) -> None:
    _, challenge = pkce()
    other = "http://localhost:1457/auth/callback"
    assert authorize(http, emu, authorize_params(challenge, redirect_uri=other)).status_code == 302
    custom = "http://localhost:5555/cb"
    assert authorize(http, emu, authorize_params(challenge, redirect_uri=custom)).status_code == 400
    emu.allow_redirect_uri(custom)
    response = authorize(http, emu, authorize_params(challenge, redirect_uri=custom))
    assert response.headers["location"].startswith(custom + "?code=")


def test_deny_login_switch(emu: CodexEmulator, http: httpx.Client) -> None:
    emu.deny_login()
    _, challenge = pkce()
    query = redirect_query(authorize(http, emu, authorize_params(challenge)))
    assert query["error"] == "access_denied"
    assert query["error_description"] == "missing_codex_entitlement"
    emu.deny_login(False)
    assert "code" in redirect_query(authorize(http, emu, authorize_params(challenge)))


def test_consent_page_with_approve_link(http: httpx.Client) -> None:
    with CodexEmulator(auto_approve=False) as emu:
        verifier, challenge = pkce()
        page = authorize(http, emu, authorize_params(challenge))
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        href = page.text.split("id='approve' href='")[1].split("'")[0]
        query = redirect_query(http.get(emu.url + href))
        assert query["state"] == "st4te-with spaces/&="
        assert exchange(http, emu, query["code"], verifier).status_code == 200
        assert http.get(emu.url + href).status_code == 400  # the approval link is single use
        deny = (
            authorize(http, emu, authorize_params(challenge)).text.split("id='deny' href='")[1].split("'")[0]
        )
        assert redirect_query(http.get(emu.url + deny))["error"] == "access_denied"


# ----------------------------------------------------------------------------------- code exchange


def test_code_exchange_returns_the_three_tokens(emu: CodexEmulator, http: httpx.Client) -> None:
    tokens = login(http, emu)
    assert {"id_token", "access_token", "refresh_token", "expires_in"} <= set(tokens)
    assert tokens["expires_in"] == 864000
    assert tokens["refresh_token"].startswith("rt_")
    assert emu.grant_counts == {"authorization_code": 1}


@pytest.mark.parametrize("length", [43, 128])
def test_any_rfc7636_verifier_length_is_accepted(emu: CodexEmulator, http: httpx.Client, length: int) -> None:
    verifier, challenge = pkce(("a1-._~" * 30)[:length])
    code = redirect_query(authorize(http, emu, authorize_params(challenge)))["code"]
    assert exchange(http, emu, code, verifier).status_code == 200


@pytest.mark.parametrize("verifier", ["x" * 42, "x" * 129, "x" * 42 + "!"])
def test_verifier_outside_rfc7636_is_rejected(emu: CodexEmulator, http: httpx.Client, verifier: str) -> None:
    _, challenge = pkce(verifier)
    code = redirect_query(authorize(http, emu, authorize_params(challenge)))["code"]
    response = exchange(http, emu, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_wrong_verifier_is_rejected(emu: CodexEmulator, http: httpx.Client) -> None:
    _, challenge = pkce()
    code = redirect_query(authorize(http, emu, authorize_params(challenge)))["code"]
    other, _ = pkce()
    response = exchange(http, emu, code, other)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_codes_are_single_use(emu: CodexEmulator, http: httpx.Client) -> None:
    verifier, challenge = pkce()
    code = redirect_query(authorize(http, emu, authorize_params(challenge)))["code"]
    assert exchange(http, emu, code, verifier).status_code == 200
    again = exchange(http, emu, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_codes_expire(emu: CodexEmulator, http: httpx.Client) -> None:
    verifier, challenge = pkce()
    code = redirect_query(authorize(http, emu, authorize_params(challenge)))["code"]
    emu.advance(601)
    response = exchange(http, emu, code, verifier)
    assert response.status_code == 400
    assert "expired" in response.json()["error_description"]


@pytest.mark.parametrize(
    "override", [{"redirect_uri": "http://localhost:1457/auth/callback"}, {"client_id": "app_other"}]
)
def test_exchange_must_match_the_authorize_request(
    emu: CodexEmulator, http: httpx.Client, override: dict[str, str]
) -> None:
    verifier, challenge = pkce()
    code = redirect_query(authorize(http, emu, authorize_params(challenge)))["code"]
    response = exchange(http, emu, code, verifier, **override)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_exchange_must_be_form_encoded(emu: CodexEmulator, http: httpx.Client) -> None:
    verifier, challenge = pkce()
    code = redirect_query(authorize(http, emu, authorize_params(challenge)))["code"]
    payload = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
    }
    response = http.post(f"{emu.url}/oauth/token", json=payload)
    assert response.status_code == 400


def test_no_refresh_token_without_offline_access(emu: CodexEmulator, http: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(challenge, scope="openid profile email")
    code = redirect_query(authorize(http, emu, params))["code"]
    assert "refresh_token" not in exchange(http, emu, code, verifier).json()


# ------------------------------------------------------------------------------------------ JWTs


def test_jwt_layout_and_claims(emu: CodexEmulator, http: httpx.Client) -> None:
    tokens = login(http, emu)
    for name in ("id_token", "access_token"):
        parts = tokens[name].split(".")
        assert len(parts) == 3 and all(parts) and all("=" not in p for p in parts)
        claims = decode_jwt_claims(tokens[name])
        assert claims["iss"] == emu.issuer
        assert claims["sub"] and claims["iat"] and claims["exp"] > claims["iat"]
        assert claims["email"] == "user@example.com"
        auth = claims["https://api.openai.com/auth"]
        assert auth["chatgpt_plan_type"] == "plus"
        assert auth["chatgpt_account_id"] and auth["chatgpt_user_id"].startswith("user-")
    id_auth = decode_jwt_claims(tokens["id_token"])["https://api.openai.com/auth"]
    assert id_auth["organization_id"].startswith("org-") and id_auth["project_id"].startswith("proj_")
    access = decode_jwt_claims(tokens["access_token"])
    assert access["exp"] == access["iat"] + 864000


def test_exp_follows_the_injected_clock(http: httpx.Client) -> None:
    with CodexEmulator(clock=lambda: 1_700_000_000.0, access_token_ttl=3600) as emu:
        claims = decode_jwt_claims(emu.login_tokens().access_token)
        assert (claims["iat"], claims["exp"]) == (1_700_000_000, 1_700_003_600)
        emu.advance(100)
        assert decode_jwt_claims(emu.login_tokens().access_token)["iat"] == 1_700_000_100


def test_set_login_account(emu: CodexEmulator, http: httpx.Client) -> None:
    emu.set_login_account("free@example.com", "free")
    claims = decode_jwt_claims(login(http, emu)["access_token"])
    assert claims["email"] == "free@example.com"
    assert claims["https://api.openai.com/auth"]["chatgpt_plan_type"] == "free"


def test_several_accounts_distinct_ids_emails_plans_and_workspaces(emu: CodexEmulator, http: httpx.Client) -> None:
    personal = emu.login_tokens()
    other = emu.login_tokens(email="pro@example.com", plan_type="pro")
    team = emu.login_tokens(email="user@example.com", plan_type="team", workspace="Acme Corp")
    logins = (personal, other, team)
    assert len({t.resolved_account_id() for t in logins}) == 3
    assert [(t.email, t.plan_type, t.workspace) for t in logins] == [
        ("user@example.com", "plus", "Personal"),
        ("pro@example.com", "pro", "Personal"),
        ("user@example.com", "team", "Acme Corp"),
    ]
    assert personal.user_id == team.user_id != other.user_id  # one person, two workspaces
    for tokens in logins:
        assert post(http, emu, tokens, body()).status_code == 200
    account = emu.set_login_account("user@example.com", "team", workspace="Acme Corp")
    assert account == team.resolved_account_id()
    signed_in = TokenData(**{k: v for k, v in login(http, emu).items() if k in {"id_token", "access_token"}})
    assert (signed_in.resolved_account_id(), signed_in.workspace) == (account, "Acme Corp")


# ----------------------------------------------------------------------------------------- refresh


@pytest.mark.parametrize("form", [False, True])
def test_refresh_rotates(emu: CodexEmulator, tokens: TokenData, http: httpx.Client, form: bool) -> None:
    assert tokens.refresh_token
    response = refresh(http, emu, tokens.refresh_token, form=form)
    assert response.status_code == 200
    new = response.json()
    assert {"id_token", "access_token", "refresh_token", "expires_in"} <= set(new)
    assert new["refresh_token"] != tokens.refresh_token
    assert refresh(http, emu, new["refresh_token"], form=form).status_code == 200
    assert emu.grant_counts == {"refresh_token": 2}
    fresh = TokenData(access_token=new["access_token"], account_id=tokens.account_id)
    assert post(http, emu, fresh, body()).status_code == 200


def test_reuse_returns_the_real_body(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    assert tokens.refresh_token
    rotated = refresh(http, emu, tokens.refresh_token).json()
    reused = refresh(http, emu, tokens.refresh_token)
    assert reused.status_code == 401
    assert reused.json() == {
        "error": {
            "message": "Your refresh token has already been used to generate a new access token. "
            "Please try signing in again.",
            "type": "invalid_request_error",
            "param": None,
            "code": "refresh_token_reused",
        }
    }
    # default: the family survives (SPEC: revocation on reuse is [U], default off)
    assert refresh(http, emu, rotated["refresh_token"]).status_code == 200


def test_reuse_revokes_the_family_when_switched_on(http: httpx.Client) -> None:
    with CodexEmulator(revoke_family_on_reuse=True) as emu:
        tokens = emu.login_tokens()
        assert tokens.refresh_token
        rotated = refresh(http, emu, tokens.refresh_token).json()
        assert refresh(http, emu, tokens.refresh_token).json()["error"]["code"] == "refresh_token_reused"
        dead = refresh(http, emu, rotated["refresh_token"])
        assert dead.status_code == 401
        assert dead.json()["error"]["code"] == "refresh_token_invalidated"
        access = TokenData(access_token=rotated["access_token"], account_id=tokens.account_id)
        assert post(http, emu, access, body()).status_code == 401


def test_refresh_token_expiry(http: httpx.Client) -> None:
    with CodexEmulator(refresh_token_ttl=60) as emu:
        tokens = emu.login_tokens()
        assert tokens.refresh_token
        emu.advance(61)
        response = refresh(http, emu, tokens.refresh_token)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "refresh_token_expired"


def test_revoked_refresh_token_is_invalidated(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    assert tokens.refresh_token
    emu.revoke_tokens()
    response = refresh(http, emu, tokens.refresh_token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "refresh_token_invalidated"


def test_unknown_refresh_token(emu: CodexEmulator, http: httpx.Client) -> None:
    response = refresh(http, emu, "rt_unknown")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_refresh_with_wrong_client_or_grant(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    payload = {"client_id": "app_other", "grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    assert http.post(f"{emu.url}/oauth/token", json=payload).status_code == 401
    payload = {"client_id": CLIENT_ID, "grant_type": "password"}
    assert http.post(f"{emu.url}/oauth/token", json=payload).json()["error"] == "unsupported_grant_type"
    assert http.post(f"{emu.url}/oauth/token", content=b"garbage").status_code == 400


# ------------------------------------------------------------------------------ revoke, exchange


def test_revoke_refresh_token_kills_the_family(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    payload = {"token": tokens.refresh_token, "token_type_hint": "refresh_token", "client_id": CLIENT_ID}
    assert http.post(f"{emu.url}/oauth/revoke", json=payload).status_code == 200
    assert tokens.refresh_token
    assert refresh(http, emu, tokens.refresh_token).json()["error"]["code"] == "refresh_token_invalidated"
    assert post(http, emu, tokens, body()).status_code == 401


def test_revoke_access_token(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    payload = {"token": tokens.access_token, "token_type_hint": "access_token"}
    assert http.post(f"{emu.url}/oauth/revoke", json=payload).status_code == 200
    assert post(http, emu, tokens, body()).json() == {"detail": "Unauthorized"}
    assert http.post(f"{emu.url}/oauth/revoke", json={}).status_code == 400


def test_token_exchange_for_an_api_key(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "client_id": CLIENT_ID,
        "requested_token": "openai-api-key",
        "subject_token": tokens.id_token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
    }
    response = http.post(f"{emu.url}/oauth/token", data=form)
    assert response.status_code == 200
    assert response.json()["access_token"].startswith("sk-emu-")
    form["subject_token"] = "forged.token.value"
    assert http.post(f"{emu.url}/oauth/token", data=form).status_code == 400


# -------------------------------------------------------------------------------- token faults


@pytest.mark.parametrize(
    "code", ["refresh_token_expired", "refresh_token_reused", "refresh_token_invalidated"]
)
def test_token_endpoint_error_codes(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, code: str
) -> None:
    assert tokens.refresh_token
    emu.token_endpoint_error(code=code)
    response = refresh(http, emu, tokens.refresh_token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert refresh(http, emu, tokens.refresh_token).status_code == 200  # the fault was one-shot


def test_token_endpoint_5xx_then_success(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    assert tokens.refresh_token
    emu.token_endpoint_error(status=503, times=2)
    assert [refresh(http, emu, tokens.refresh_token).status_code for _ in range(3)] == [503, 503, 200]
    assert emu.grant_counts == {"refresh_token": 3}


def test_token_endpoint_delay(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    import time

    assert tokens.refresh_token
    emu.token_endpoint_delay(0.3)
    started = time.perf_counter()
    assert refresh(http, emu, tokens.refresh_token).status_code == 200
    assert time.perf_counter() - started >= 0.3
    emu.token_endpoint_delay(0)
