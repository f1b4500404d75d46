"""The SIWC route picks its profile like the Codex route: ``profile_name=`` > ``CODEX_OAUTH_PROFILE`` > current."""

from __future__ import annotations

import pytest

from oauth_codex import CodexOAuthLLM
from oauth_codex.auth import SiwcConfig
from oauth_codex.testing import SiwcEmulator

MODEL = "gpt-6.1-sol"


def test_profile_name_selects_the_siwc_profile_and_answers_name_it(
    emu: SiwcEmulator, config: SiwcConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.login(config=config, profile="work", enable_plan=True)
    with emu.client(model=MODEL, profile_name="work") as llm:
        result = llm.generate("hi", return_details=True)
        assert llm.profile_name == "work" and result.profile_name == "work"
    monkeypatch.setenv("CODEX_OAUTH_PROFILE", "work")
    with CodexOAuthLLM(route="auto", siwc_config=config, interactive=False, model=MODEL) as auto:
        assert auto.route == "siwc"  # the selected profile has a SIWC login with plan usage
        assert auto.generate("hi", return_details=True).profile_name == "work"
    monkeypatch.delenv("CODEX_OAUTH_PROFILE")
    with CodexOAuthLLM(route="auto", siwc_config=config, interactive=False) as other:
        assert other.route == "codex"  # "default" has no SIWC login


def test_profile_list_shows_siwc_logins_and_remove_revokes_them(
    emu: SiwcEmulator, config: SiwcConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from oauth_codex.cli import main

    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)
    record = emu.login(config=config, profile="work", enable_plan=True)
    assert main(["profile", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["route"], r["logged_in"]) for r in rows] == [
        ("default", "codex", False),
        ("work", "siwc", True),
    ]
    assert rows[1]["email"] == record.email and rows[1]["plan_usage"] is True
    assert main(["profile", "list"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith(f"  work: {record.email} (siwc, plan usage on, connected); expires ")
    for secret in (record.access_token, record.refresh_token, record.id_token):
        assert secret and secret not in json.dumps(rows) + line
    before = emu.stats.get("revocations", 0)
    assert main(["profile", "remove", "work"]) == 0
    assert "Removed profile 'work' and revoked its login." in capsys.readouterr().err
    assert emu.stats.get("revocations", 0) == before + 1
    assert main(["profile", "list", "--json"]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["default"]
