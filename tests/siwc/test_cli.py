"""``oauth-codex ... --route siwc``: login, chat, models, logout, demo and emulator on the SIWC route."""

from __future__ import annotations

import io
import threading

import pytest

from oauth_codex import cli
from oauth_codex.auth import SiwcStore
from oauth_codex.testing import SiwcEmulator, serve


@pytest.fixture
def env(emu: SiwcEmulator, monkeypatch: pytest.MonkeyPatch) -> SiwcEmulator:
    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CODEX_OAUTH_ROUTE")  # the commands say --route themselves
    monkeypatch.setattr("oauth_codex.auth._siwc_login.browser_available", lambda: True)
    monkeypatch.setattr("webbrowser.open", emu.browser)
    return emu


def test_login_chat_models_and_logout_on_the_siwc_route(env: SiwcEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["login", "--route", "siwc", "--browser"]) == 0
    err = capsys.readouterr().err
    assert "Continue with ChatGPT" in err and "You're using your ChatGPT plan" in err
    record = SiwcStore(env.siwc_config()).load("default")
    assert record is not None and record.access_token and record.access_token not in err

    assert cli.main(["chat", "--route", "siwc", "--model", "gpt-6.1-sol", "hello siwc"]) == 0
    captured = capsys.readouterr()
    assert "Emulator reply" in captured.out and "Manage usage: https://chatgpt.com/settings/usage" in captured.err

    assert cli.main(["models", "--route", "siwc"]) == 0
    assert capsys.readouterr().out.split() == ["gpt-6-astra", "gpt-6.1-sol", "gpt-5.6-luna"]

    assert cli.main(["status", "--route", "siwc", "--json"]) == 0
    status = capsys.readouterr().out
    assert '"plan_usage_enabled": true' in status and record.access_token not in status
    assert record.refresh_token is not None and record.refresh_token not in status

    assert cli.main(["logout", "--route", "siwc"]) == 0
    assert "revoked" in capsys.readouterr().err
    assert env.requests_to("/oauth/revoke")
    assert cli.main(["status", "--route", "siwc"]) == 1  # signed out: the registration is kept, no tokens
    assert "disconnected" in capsys.readouterr().out


def test_chat_auto_picks_the_profiles_siwc_login(env: SiwcEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    env.login(config=env.siwc_config())
    assert cli.main(["chat", "--route", "auto", "--model", "gpt-6.1-sol", "hi"]) == 0
    assert "Emulator reply" in capsys.readouterr().out


def test_a_usage_limit_exits_with_the_manage_usage_link(env: SiwcEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    env.login(config=env.siwc_config())
    env.set_usage_cap(0)
    assert cli.main(["chat", "--route", "siwc", "--model", "gpt-6.1-sol", "hi"]) == 1
    err = capsys.readouterr().err
    assert "https://chatgpt.com/settings/usage" in err and "try again at" not in err


def test_login_device_on_siwc_says_there_is_no_device_flow(
    env: SiwcEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["login", "--route", "siwc", "--device"]) == 1
    assert "no device-code sign-in" in capsys.readouterr().err


def test_enable_plan_needs_the_siwc_route(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["login", "--enable-plan"]) == 2
    assert "--route siwc" in capsys.readouterr().err


def test_demo_on_the_siwc_route_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--route", "siwc"]) == 0
    out = capsys.readouterr().out
    assert "Continue with ChatGPT" in out and "final answer" in out and "Signed out" in out


def test_the_siwc_emulator_serves_and_prints_its_exports() -> None:
    out, stop = io.StringIO(), threading.Event()
    stop.set()
    assert serve(out=out, stop_event=stop, emulator=SiwcEmulator()) == 0
    text = out.getvalue()
    assert "SIWC emulator" in text and "export CODEX_OAUTH_SIWC_ISSUER=" in text and "CODEX_OAUTH_ROUTE=siwc" in text


def test_doctor_on_the_siwc_route(env: SiwcEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor", "--route", "siwc"]) == 1  # not signed in
    assert "login --route siwc" in capsys.readouterr().out
    env.login(config=env.siwc_config())
    assert cli.main(["doctor", "--route", "siwc", "--live", "--json"]) == 0
    report = capsys.readouterr().out
    assert '"ok": true' in report and '"gpt-6.1-sol"' in report and '"discovery"' in report
