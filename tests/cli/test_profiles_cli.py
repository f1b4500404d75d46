"""``--profile NAME`` and ``oauth-codex profile list / use / remove`` against the emulator."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth.helpers import AUTHORIZE_URL, redirected_url  # tests/auth (tests/ is on sys.path)

from oauth_codex.auth import FileTokenStore, TokenData
from oauth_codex.cli import main
from oauth_codex.testing import CodexEmulator


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[CodexEmulator]:
    with CodexEmulator() as emulator:
        for key, value in emulator.env().items():
            monkeypatch.setenv(key, value)
        yield emulator


def home() -> Path:
    return Path(os.environ["CODEX_OAUTH_HOME"])


def stored(profile: str = "default") -> TokenData | None:
    folder = home() if profile == "default" else home() / "profiles" / profile
    return FileTokenStore(folder / "auth.json").load()


class UserStdin:
    """The user at the terminal (or a pipe): pastes the redirect URL, then gives ``answers`` to prompts."""

    def __init__(self, capsys: pytest.CaptureFixture[str], *, tty: bool, answers: list[str] | None = None) -> None:
        self.capsys, self.tty, self.answers = capsys, tty, list(answers or [])
        self.err = self.out = ""

    def readline(self) -> str:
        captured = self.capsys.readouterr()
        self.err += captured.err
        self.out += captured.out
        if "[y/N]" in captured.err:
            return self.answers.pop(0) + "\n"
        return redirected_url(AUTHORIZE_URL.findall(self.err)[-1]) + "\n"

    def isatty(self) -> bool:
        return self.tty


def login(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    tty: bool = False,
    answers: list[str] | None = None,
) -> tuple[int, str]:
    stdin = UserStdin(capsys, tty=tty, answers=answers)
    monkeypatch.setattr(sys, "stdin", stdin)
    code = main(["login", "--paste", *args])
    return code, stdin.err + capsys.readouterr().err


def test_every_login_command_takes_profile_and_bad_names_are_usage_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command in ("login", "status", "logout", "import-codex-auth", "chat", "models", "usage"):
        assert main([command, "--help"]) == 0
        assert "--profile NAME" in capsys.readouterr().out, command
    assert main(["profile", "--help"]) == 0
    assert "never pooled or rotated" in capsys.readouterr().out
    assert main(["status", "--profile", "Work"]) == 2
    assert "--profile='Work' is not a valid profile name" in capsys.readouterr().err
    assert main(["profile", "use", "../x"]) == 2
    assert main(["profile"]) == 2


def test_an_invalid_codex_oauth_profile_fails_with_one_sentence(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_OAUTH_PROFILE", "Not Valid")
    assert main(["status"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("oauth-codex status: CODEX_OAUTH_PROFILE='Not Valid' is not a valid profile name")
    assert "Traceback" not in err


def test_two_profiles_side_by_side_through_the_cli(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = login(capsys, monkeypatch)
    assert code == 0 and "Logged in as user@example.com (plus plan) (profile 'default')" in err
    emu.set_login_account("me@work.example", "team", workspace="Acme Corp")
    code, err = login(capsys, monkeypatch, "--profile", "work")
    assert code == 0 and "me@work.example (team plan) (profile 'work')" in err
    personal, work = stored(), stored("work")
    assert personal is not None and work is not None
    assert personal.resolved_account_id() != work.resolved_account_id()

    assert main(["status", "--profile", "work", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["profile"] == "work" and doc["email"] == "me@work.example" and doc["plan"] == "team"
    assert main(["status"]) == 0
    assert "profile:       default" in capsys.readouterr().out

    assert main(["profile", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("* default: user@example.com (plus, workspace Personal, codex); expires ")
    assert lines[1].startswith("  work: me@work.example (team, workspace Acme Corp, codex); expires ")
    assert main(["profile", "use", "work"]) == 0
    assert "'work' is now the current profile" in capsys.readouterr().err
    assert main(["profile", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(p["name"], p["current"], p["route"]) for p in listed] == [
        ("default", False, "codex"),
        ("work", True, "codex"),
    ]
    assert listed[1]["account_id"] == work.resolved_account_id()
    everything = json.dumps(listed)
    for tokens in (personal, work):
        for secret in (tokens.access_token, tokens.refresh_token, tokens.id_token):
            assert secret and secret not in everything

    # the current profile is used without a flag; CODEX_OAUTH_PROFILE beats it; --profile beats both
    emu.set_answer(text="hi")
    assert main(["chat", "hello"]) == 0
    assert capsys.readouterr().out == "hi\n"
    assert emu.responses_requests[-1].headers["chatgpt-account-id"] == work.resolved_account_id()
    assert (home() / "profiles" / "work" / "rate_limits.json").exists()
    assert not (home() / "rate_limits.json").exists()
    monkeypatch.setenv("CODEX_OAUTH_PROFILE", "default")
    assert main(["profile", "list"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("* default:") and "\n  work:" in captured.out
    assert "CODEX_OAUTH_PROFILE=default selects" in captured.err
    assert main(["profile", "use", "work"]) == 0
    assert "CODEX_OAUTH_PROFILE=default still selects profile 'default'" in capsys.readouterr().err
    assert main(["chat", "hello"]) == 0
    assert (home() / "rate_limits.json").exists()
    assert main(["chat", "hello", "--profile", "work"]) == 0
    assert main(["models", "--profile", "work"]) == 0
    assert "gpt-5.5" in capsys.readouterr().out.split()
    assert [r.headers["chatgpt-account-id"] for r in emu.responses_requests] == [
        work.resolved_account_id(),
        personal.resolved_account_id(),
        work.resolved_account_id(),
    ]
    monkeypatch.delenv("CODEX_OAUTH_PROFILE")

    # logout of one profile leaves the other; remove deletes its directory and resets the current profile
    assert main(["logout", "--profile", "default"]) == 0
    assert stored() is None and stored("work") is not None
    assert main(["profile", "remove", "work"]) == 0
    assert "Removed profile 'work' and revoked its login." in capsys.readouterr().err
    assert not (home() / "profiles" / "work").exists()
    assert main(["status"]) == 1
    assert "Not logged in (profile 'default'). Run `oauth-codex login`" in capsys.readouterr().err
    assert main(["status", "--profile", "work"]) == 1
    assert "Run `oauth-codex login --profile work`" in capsys.readouterr().err


def test_profile_use_of_an_unknown_profile_fails_clearly(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profile", "use", "ghost"]) == 1
    err = capsys.readouterr().err
    assert "no profile 'ghost'" in err and "oauth-codex login --profile ghost" in err
    assert main(["profile", "list"]) == 0
    assert capsys.readouterr().out == "* default: not logged in\n"
    assert main(["profile", "remove", "ghost"]) == 0
    assert "There is no profile 'ghost' here; nothing to remove." in capsys.readouterr().err
    assert not (home() / "profiles" / "ghost").exists()


def test_logging_in_to_an_account_another_profile_holds_fails_without_a_terminal(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert login(capsys, monkeypatch)[0] == 0
    before = stored()
    code, err = login(capsys, monkeypatch, "--profile", "work")
    assert code == 1
    assert "user@example.com is already logged in as profile 'default'" in err
    assert "oauth-codex profile remove default" in err and "--profile default" in err
    assert stored("work") is None and stored() == before  # nothing saved, nothing lost
    assert "[y/N]" not in err


def test_logging_in_to_an_account_another_profile_holds_asks_at_a_terminal(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert login(capsys, monkeypatch)[0] == 0
    code, err = login(capsys, monkeypatch, "--profile", "work", tty=True, answers=["n"])
    assert code == 1 and "[y/N]" in err and stored("work") is None and stored() is not None
    code, err = login(capsys, monkeypatch, "--profile", "work", tty=True, answers=["y"])
    assert code == 0 and "(profile 'work')" in err
    assert stored() is None and stored("work") is not None  # moved: one account, one profile
    # the same account again in the same profile is a plain re-login
    code, err = login(capsys, monkeypatch, "--profile", "work")
    assert code == 0 and "[y/N]" not in err


def test_import_codex_auth_into_a_profile_refuses_a_second_copy(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = emu.login_tokens(email="me@work.example")
    codex_file = Path(os.environ["CODEX_HOME"]) / "auth.json"
    codex_file.parent.mkdir(parents=True)
    codex_file.write_text(json.dumps(tokens.to_auth_json()))
    assert main(["import-codex-auth", "--profile", "work"]) == 0
    assert "Imported the Codex CLI login of me@work.example" in capsys.readouterr().err
    copied = stored("work")
    assert copied is not None and copied.refresh_token == tokens.refresh_token and stored() is None
    monkeypatch.setattr(sys, "stdin", UserStdin(capsys, tty=False))
    assert main(["import-codex-auth"]) == 1  # into "default": the same refresh token twice is refused
    assert "already logged in as profile 'work'" in capsys.readouterr().err
    assert stored() is None


def test_doctor_checks_the_chosen_profile(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.set_login_account("me@work.example", "team", workspace="Acme Corp")
    assert login(capsys, monkeypatch, "--profile", "work")[0] == 0
    assert main(["doctor", "--help"]) == 0
    assert "--profile NAME" in capsys.readouterr().out
    main(["doctor", "--profile", "work", "--json"])
    report = capsys.readouterr().out
    assert "profile 'work'" in report and str(home() / "profiles" / "work") in report
    main(["doctor", "--json"])
    assert "profile 'work'" not in capsys.readouterr().out  # default has no login here
