"""Request headers of today (issue 14 item 3; audit CODEX-2026-12 §1), recorded by the emulator."""

from __future__ import annotations

import pytest

from oauth_codex import CodexOAuthLLM, MemoryTokenStore
from oauth_codex._catalog import CODEX_CLIENT_VERSION
from oauth_codex._version import __version__
from oauth_codex.testing import CodexEmulator

from .helpers import MODES, run


@pytest.mark.parametrize("mode", MODES)
async def test_session_and_thread_headers(llm: CodexOAuthLLM, emu: CodexEmulator, mode: str) -> None:
    await run(llm, mode, prompt="x", prompt_cache_key="conv-42")
    request = emu.responses_requests[-1]
    # audit §1 ranked 2: hyphenated session-id (cache affinity) and thread-id, underscore kept
    assert request.header("session-id") == request.header("thread-id") == "conv-42"
    assert request.header("session_id") == "conv-42"
    assert request.json["prompt_cache_key"] == "conv-42"


def test_no_codex_version_is_advertised_by_default(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    llm.generate(prompt="x")
    request = emu.responses_requests[-1]
    assert request.header("version") is None
    assert request.header("user-agent", "").startswith(f"oauth-codex/{__version__} (")
    assert request.header("x-openai-fedramp") is None


@pytest.mark.parametrize(
    ("option", "env", "expected"),
    [
        (True, None, CODEX_CLIENT_VERSION),
        ("0.160.1", None, "0.160.1"),
        (None, "0.158.0", "0.158.0"),
        (False, "0.158.0", None),
    ],
)
def test_client_version_opt_in(
    emu: CodexEmulator,
    monkeypatch: pytest.MonkeyPatch,
    option: str | bool | None,
    env: str | None,
    expected: str | None,
) -> None:
    if env is not None:
        monkeypatch.setenv("CODEX_OAUTH_CLIENT_VERSION", env)
    llm = emu.client(client_version=option)
    llm.generate(prompt="x")
    llm.list_models(refresh=True)
    post, get = emu.responses_requests[-1], emu.requests[-1]
    assert post.header("version") == expected
    agent = post.header("user-agent", "")
    if expected:
        assert agent.startswith(f"codex_cli_rs/{expected} (") and agent.endswith(f"oauth-codex/{__version__}")
    else:
        assert agent.startswith("oauth-codex/")
    # /models always gets a real Codex version (audit §7, ranked 3), never our own package version
    assert get.query["client_version"] == (expected or CODEX_CLIENT_VERSION)


@pytest.mark.parametrize("mode", MODES)
async def test_fedramp_header_follows_the_id_token_claim(emu: CodexEmulator, mode: str) -> None:
    llm = emu.client(token_store=MemoryTokenStore(emu.login_tokens(fedramp=True)))
    await run(llm, mode, prompt="x")
    assert emu.responses_requests[-1].header("x-openai-fedramp") == "true"
    plain = emu.client()
    await run(plain, mode, prompt="x")
    assert emu.responses_requests[-1].header("x-openai-fedramp") is None
