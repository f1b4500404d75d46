"""Lifecycle, wiring and the happy path of the emulator, over real HTTP."""

from __future__ import annotations

import asyncio
import time

import httpx

from oauth_codex.auth import TokenData, decode_jwt_claims
from oauth_codex.testing import CodexEmulator

from .helpers import body, post, stream


def test_starts_fast_and_stops() -> None:
    started = time.perf_counter()
    emu = CodexEmulator().start()
    try:
        assert time.perf_counter() - started < 10  # generous: start() waits for nothing but the bind
        assert emu.url.startswith("http://127.0.0.1:")
        assert emu.issuer == emu.url
        assert emu.base_url == f"{emu.url}/backend-api/codex"
        assert httpx.get(f"{emu.url}/.well-known/openid-configuration").status_code == 200
    finally:
        emu.stop()
    assert not emu.running


def test_async_context_manager() -> None:
    async def main() -> int:
        async with CodexEmulator() as emu, httpx.AsyncClient() as client:
            response = await client.get(f"{emu.url}/.well-known/openid-configuration")
            return response.status_code

    assert asyncio.run(main()) == 200


def test_env_and_oauth_config_point_at_the_emulator(emu: CodexEmulator) -> None:
    env = emu.env()
    assert env["CODEX_OAUTH_BASE_URL"] == emu.base_url
    assert env["CODEX_OAUTH_TOKEN_ENDPOINT"] == f"{emu.url}/oauth/token"
    assert env["CODEX_OAUTH_AUTHORIZATION_ENDPOINT"] == f"{emu.url}/oauth/authorize"
    config = emu.oauth_config()
    assert config.responses_url == f"{emu.base_url}/responses"
    assert config.issuer_url == emu.url
    assert emu.oauth_config(redirect_uri="http://localhost:9/cb").redirect_uri == "http://localhost:9/cb"


def test_login_tokens_carry_account_and_plan(emu: CodexEmulator, tokens: TokenData) -> None:
    assert tokens.refresh_token and tokens.refresh_token.startswith("rt_")
    assert tokens.plan_type == "plus"
    assert tokens.email == "user@example.com"
    assert tokens.resolved_account_id() == tokens.account_id
    claims = decode_jwt_claims(tokens.access_token)
    assert claims["exp"] - claims["iat"] == 864000
    pro = emu.login_tokens(plan_type="pro")
    assert pro.plan_type == "pro" and pro.account_id == tokens.account_id


def test_text_answer_streams_and_quotes_the_prompt(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    events = stream(http, emu, tokens, body("Explain PKCE briefly."))
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    done = [e for e in events if e["type"] == "response.output_item.done"]
    assert "Explain PKCE briefly." in deltas
    assert done[0]["item"]["content"][0]["text"] == deltas
    completed = events[-1]
    assert completed["type"] == "response.completed"
    assert completed["response"]["output"] == []
    usage = completed["response"]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_request_log_records_headers_and_body(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    post(http, emu, tokens, body("logged"))
    http.get(f"{emu.url}/nowhere")
    log = emu.requests
    assert [r.path for r in log] == ["/backend-api/codex/responses", "/nowhere"]
    assert [r.status for r in log] == [200, 404]
    first = emu.responses_requests[0]
    assert first.json["input"][0]["content"][0]["text"] == "logged"
    assert first.headers["authorization"].startswith("Bearer ")
    assert first.header("ChatGPT-Account-ID") == tokens.account_id
    assert "Bearer" not in repr(first)
    emu.clear_requests()
    assert emu.requests == []


def test_concurrent_streams(emu: CodexEmulator, tokens: TokenData) -> None:
    from concurrent.futures import ThreadPoolExecutor

    emu.set_answer(deltas=200)

    def one(n: int) -> str:
        with httpx.Client(timeout=10, trust_env=False) as client:
            events = stream(client, emu, tokens, body(f"question {n}"))
        return "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(one, range(32)))
    assert all(f'"question {n}"' in answer for n, answer in enumerate(answers))
    assert len(emu.responses_requests) == 32
    assert all(r.status == 200 for r in emu.responses_requests)
