"""DEBUG logging of the decisions the client makes on its own: re-sends, refreshes, where a login is stored."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from oauth_codex.auth import AutoTokenStore
from oauth_codex.testing import CodexEmulator


def decisions(caplog: pytest.LogCaptureFixture) -> list[str]:
    assert all(r.name.startswith("oauth_codex") for r in caplog.records if "oauth-codex" in r.getMessage())
    return [r.getMessage() for r in caplog.records if r.name.startswith("oauth_codex")]


@pytest.fixture
def debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="oauth_codex")
    return caplog


async def test_retries_say_why_which_attempt_and_how_long(emu: CodexEmulator, debug: pytest.LogCaptureFixture) -> None:
    async with emu.client(retry_backoff=0.001, max_retries=3) as llm:
        emu.server_error(status=503)
        emu.hang_up()
        emu.response_failed(code="server_error")
        assert await llm.agenerate(prompt="hi")
    lines = [m for m in decisions(debug) if "retry" in m]
    assert [m.split(" in ")[0] for m in lines] == [
        "HTTP 503 server_is_overloaded: retry 1 of 3",
        "RemoteProtocolError: retry 2 of 3",
        "response.failed server_error: retry 3 of 3",
    ]
    assert all(m.endswith(" s") for m in lines)


def test_a_401_logs_the_refresh_and_where_the_new_login_went(
    emu: CodexEmulator, debug: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    config = emu.oauth_config(home=tmp_path)
    store = AutoTokenStore(config, mode="file")
    store.save(emu.login_tokens())
    with emu.client(token_store=store, oauth_config=config) as llm:
        assert llm.generate(prompt="hi")
        emu.expire_tokens()
        debug.clear()
        assert llm.generate(prompt="hi")
    lines = decisions(debug)
    assert "HTTP 401 token_expired from the backend: refreshing the access token and sending again" in lines
    assert "oauth-codex: refreshing the access token (the backend rejected it)" in lines
    assert f"oauth-codex: login saved to {store.file_store.location}" in lines
    assert any(m.startswith(f"oauth-codex: login read from {store.file_store.location}") for m in lines)


def test_nothing_is_logged_when_nothing_is_decided(emu: CodexEmulator, debug: pytest.LogCaptureFixture) -> None:
    with emu.client() as llm:
        llm.generate(prompt="hi")
        debug.clear()
        llm.generate(prompt="hi")
    assert decisions(debug) == []
