"""CodexOAuthLLM with the real OAuth provider and default store: first-use login, refresh, 401 recovery."""

from __future__ import annotations

import subprocess
import sys

import pytest

from oauth_codex import CodexOAuthLLM
from oauth_codex.auth import default_token_store
from oauth_codex.errors import NotAuthenticatedError
from oauth_codex.testing import CodexEmulator

from .helpers import AUTHORIZE_URL, redirected_url


def make_client(emu: CodexEmulator, **kwargs: object) -> CodexOAuthLLM:
    return CodexOAuthLLM(base_url=emu.base_url, oauth_config=emu.oauth_config(), **kwargs)  # type: ignore[arg-type]


def test_not_interactive_and_not_logged_in(emu: CodexEmulator) -> None:
    with make_client(emu, interactive=False) as llm, pytest.raises(NotAuthenticatedError) as info:
        llm.generate(prompt="hi")
    message = str(info.value)
    assert "oauth-codex login" in message and "--paste" in message and "--device" in message
    assert emu.responses_requests == []


def test_interactive_first_use_logs_in_and_stores(
    emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    emu.set_answer(text="Hi there.")
    monkeypatch.setattr(
        "builtins.input", lambda _: redirected_url(AUTHORIZE_URL.findall(capsys.readouterr().err)[-1])
    )
    with make_client(emu, interactive=True) as llm:
        assert llm.generate(prompt="hi") == "Hi there."
    assert default_token_store(emu.oauth_config()).load() is not None
    with make_client(emu, interactive=False) as llm:  # the next process finds the stored login
        assert llm.generate(prompt="hi") == "Hi there."
    assert emu.grant_counts["authorization_code"] == 1


def test_401_refreshes_once_and_retries(emu: CodexEmulator) -> None:
    store = default_token_store(emu.oauth_config())
    store.save(emu.login_tokens())
    emu.unauthorized(times=1)
    with make_client(emu, interactive=False) as llm:
        llm.generate(prompt="hi")
    assert emu.grant_counts["refresh_token"] == 1
    assert [r.status for r in emu.responses_requests] == [401, 200]
    saved = store.load()
    assert (
        saved is not None
        and emu.responses_requests[1].headers["authorization"] == f"Bearer {saved.access_token}"
    )


async def test_async_refresh_before_expiry() -> None:
    with CodexEmulator(access_token_ttl=120) as emu:  # inside the 300 s skew from the start
        default_token_store(emu.oauth_config()).save(emu.login_tokens())
        async with make_client(emu, interactive=False) as llm:
            await llm.agenerate(prompt="hi")
        assert emu.grant_counts["refresh_token"] == 1
        assert [r.status for r in emu.responses_requests] == [200]


def test_importing_stays_light() -> None:
    code = (
        "import sys, oauth_codex, oauth_codex.auth\n"
        "heavy = [m for m in ('keyring', 'filelock', 'http.server', 'webbrowser', 'oauth_codex.auth._login',"
        " 'oauth_codex.auth._provider', 'oauth_codex.cli') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "from oauth_codex.auth import login, OAuthTokenProvider, AutoTokenStore\n"
        "assert 'keyring' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
