"""``oauth-codex usage``, the usage block of ``status`` and ``chat --wait-for-reset`` against the emulator."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator

import pytest

from oauth_codex.auth import FileTokenStore
from oauth_codex.cli import main
from oauth_codex.testing import CodexEmulator


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[CodexEmulator]:
    """An emulator the CLI is pointed at, with a stored login."""
    with CodexEmulator() as emulator:
        for key, value in emulator.env().items():
            monkeypatch.setenv(key, value)
        FileTokenStore().save(emulator.login_tokens())
        yield emulator


def test_usage_prints_bars_reset_times_credits_and_plan(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emu.set_usage(primary=62, secondary=30)
    assert main(["usage"]) == 0
    out = capsys.readouterr().out
    assert "from the usage endpoint" in out
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d \S+"
    assert re.search(rf"primary \(5 h\) +\[#{{12}}\.{{8}}\] +62 %  resets at {stamp} \(in 4 h 59 min\)", out), out
    assert re.search(r"secondary \(weekly\) +\[#{6}\.{14}\] +30 %  resets at .*\(in 6 d 23 h\)", out)
    assert "code review (weekly)" in out
    assert "credits: none" in out and "plan: plus" in out
    assert len(emu.usage_requests) == 1 and emu.responses_requests == []  # costs no usage


def test_usage_json(emu: CodexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    emu.set_usage(primary=10)
    assert main(["usage", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"] == "usage_endpoint" and doc["plan_type"] == "plus"
    assert doc["primary"]["used_percent"] == 10 and doc["primary"]["window_minutes"] == 300
    assert doc["primary"]["resets_at"].endswith("Z") and "raw" not in doc


def test_usage_falls_back_to_the_last_recorded_response(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emu.usage_endpoint_error(status=500, times=2)
    assert main(["usage"]) == 1  # nothing recorded yet: the endpoint's error
    assert "HTTP 500" in capsys.readouterr().err
    assert main(["chat", "hi"]) == 0
    capsys.readouterr()
    assert main(["usage", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["source"] == "headers"
    assert "recorded with the last response" in captured.err


def test_usage_without_login(emu: CodexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    FileTokenStore().delete()
    assert main(["usage"]) == 1
    assert "oauth-codex login" in capsys.readouterr().err


def test_status_has_a_usage_block(emu: CodexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 0
    assert "usage:         none recorded yet (run `oauth-codex usage`)" in capsys.readouterr().out
    assert main(["chat", "hi"]) == 0
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "usage:         as of" in out
    assert re.search(r"    primary \(5 h\) +\[\.+\] +1 %  resets at ", out), out
    assert "    plan: plus" in out


class TerminalErr(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tty", [True, False])
def test_chat_wait_for_reset_shows_a_countdown(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tty: bool
) -> None:
    err = TerminalErr() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    emu.usage_limit(resets_in=1)
    assert main(["chat", "after the reset", "--wait-for-reset", "1m"]) == 0
    assert "after the reset" in capsys.readouterr().out
    text = err.getvalue()
    if tty:
        assert "\rUsage limit reached: waiting for the reset [" in text and text.endswith("\n")
        assert "] 0 s left" in text
    else:
        assert text.startswith("Usage limit reached: waiting ") and "\r" not in text
        assert len(text.splitlines()) == 1
    assert [r.status for r in emu.responses_requests] == [429, 200]


def test_chat_wait_for_reset_beyond_max_fails_as_before(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emu.usage_limit(resets_in=600)
    assert main(["chat", "hi", "--wait-for-reset", "5"]) == 1
    assert "usage limit" in capsys.readouterr().err
    assert main(["chat", "hi", "--wait-for-reset", "soon"]) == 2
    assert "not a duration" in capsys.readouterr().err


def test_usage_per_profile(emu: CodexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    from oauth_codex.auth import default_token_store

    kid = emu.login_tokens(email="kid@example.com", plan_type="free")
    default_token_store(profile_name="family").save(kid)
    emu.set_usage(primary=40, account_id=kid.account_id)  # each account has its own usage
    assert main(["usage", "--profile", "family", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["profile"] == "family" and doc["plan_type"] == "free" and doc["secondary"] is None
    assert main(["usage", "--all-profiles"]) == 0
    out = capsys.readouterr().out
    assert "Codex usage of profile 'default'" in out and "Codex usage of profile 'family'" in out
    assert out.index("plan: plus") < out.index("plan: free")
    assert main(["usage", "--all-profiles", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [(d["profile"], d["plan_type"], d["primary"]["used_percent"]) for d in docs] == [
        ("default", "plus", 0),
        ("family", "free", 40),
    ]
    # a profile whose usage cannot be read is reported, the others are still shown
    emu.usage_endpoint_error(status=500)
    assert main(["usage", "--all-profiles"]) == 1
    captured = capsys.readouterr()
    assert "profile 'default'" in captured.err and "Codex usage of profile 'family'" in captured.out


def test_bad_budget_variable_is_a_clear_failure(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_OAUTH_USAGE_BUDGET", "most")
    assert main(["chat", "hi"]) == 1
    err = capsys.readouterr().err
    assert "CODEX_OAUTH_USAGE_BUDGET='most'" in err and "Traceback" not in err
    assert emu.responses_requests == []


def test_usage_on_the_siwc_route_prints_the_usage_page(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_OAUTH_ROUTE", "siwc")
    assert main(["usage"]) == 0
    assert "siwc route, which reports no usage: see https://chatgpt.com/settings/usage" in capsys.readouterr().out
    assert main(["usage", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["manage_url"] == "https://chatgpt.com/settings/usage"
    assert emu.usage_requests == []
