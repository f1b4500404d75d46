"""The ``oauth-codex`` CLI, run through ``main([...])`` against the emulator (and once as a subprocess)."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from auth.helpers import AUTHORIZE_URL, Browser, redirected_url  # tests/auth (tests/ is on sys.path)

from oauth_codex import __version__
from oauth_codex.auth import FileTokenStore, TokenData
from oauth_codex.cli import main
from oauth_codex.testing import CodexEmulator


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[CodexEmulator]:
    """An emulator the CLI is pointed at through the CODEX_OAUTH_* variables."""
    with CodexEmulator(device_interval="0.05") as emulator:
        for key, value in emulator.env().items():
            monkeypatch.setenv(key, value)
        yield emulator


def stored() -> TokenData | None:
    return FileTokenStore().load()  # the test suite has no keyring: the default store falls back to this file


def secrets_in(tokens: TokenData) -> list[str]:
    return [s for s in (tokens.access_token, tokens.refresh_token, tokens.id_token) if s]


class PastingStdin:
    """stdin of a user in paste mode: reads the URL the CLI printed on stderr and pastes the redirect."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.err = ""
        self.out = ""

    def readline(self) -> str:
        captured = self.capsys.readouterr()
        self.err += captured.err
        self.out += captured.out
        return redirected_url(AUTHORIZE_URL.findall(self.err)[-1]) + "\n"

    def isatty(self) -> bool:
        return False


def login_paste(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    stdin = PastingStdin(capsys)
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["login", "--paste"]) == 0
    captured = capsys.readouterr()
    return stdin.out + captured.out, stdin.err + captured.err


# ------------------------------------------------------------------------------------------- basics


def test_help_version_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("login", "status", "logout", "import-codex-auth", "chat", "models", "emulator", "demo"):
        assert command in out
    assert "Exit codes" in out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"oauth-codex {__version__}"
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert main(["login", "--paste", "--device"]) == 2
    assert "not allowed with" in capsys.readouterr().err


def test_python_dash_m_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "oauth_codex", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "import-codex-auth" in result.stdout


# -------------------------------------------------------------------------------------------- login


def test_login_paste_status_logout(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out, err = login_paste(capsys, monkeypatch)
    assert "Logged in as user@example.com (plus plan)" in err and out == ""
    tokens = stored()
    assert tokens is not None

    assert main(["status"]) == 0
    status = capsys.readouterr()
    assert "Logged in as user@example.com" in status.out
    assert "plan:          plus" in status.out and (tokens.account_id or "") in status.out
    assert "expires" in status.out and "stored in:" in status.out

    assert main(["status", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["email"] == "user@example.com" and doc["has_refresh_token"] is True

    assert main(["logout"]) == 0
    assert "Logged out" in capsys.readouterr().err
    assert stored() is None
    assert any(r.path == "/oauth/revoke" for r in emu.requests)
    assert main(["status"]) == 1
    assert "Not logged in" in capsys.readouterr().err
    assert main(["logout"]) == 0
    assert "nothing to remove" in capsys.readouterr().err

    for text in (out, err, status.out, status.err):
        for secret in secrets_in(tokens):
            assert secret not in text


def test_status_and_login_name_a_keyring_backend_that_was_passed_over(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With keyrings.alt installed (the dev extra), `status` used to say "system keyring" (issue 15, item 1)."""
    import keyring.core
    from keyrings.alt.file import PlaintextKeyring

    plain = PlaintextKeyring()
    plain.file_path = str(tmp_path / "keyring_pass.cfg")  # type: ignore[misc]
    monkeypatch.setattr(keyring.core, "_keyring_backend", plain)
    monkeypatch.delenv("CODEX_OAUTH_STORAGE")  # auto: keyring first, as for a user
    out, err = login_paste(capsys, monkeypatch)
    assert "keyrings.alt.file.PlaintextKeyring" in err and "Saved to " in err
    assert plain.get_password("oauth-codex", "default") is None and stored() is not None
    assert main(["status"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "stored in:" in x)
    assert "auth.json" in line and "keyrings.alt.file.PlaintextKeyring" in line and "system keyring" not in line


def test_login_browser(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_OAUTH_REDIRECT_URI", "http://localhost:0/auth/callback")
    monkeypatch.setenv("DISPLAY", ":99")  # a desktop session with a registered browser command
    monkeypatch.setenv("BROWSER", "true")
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    browser = Browser(emu)
    monkeypatch.setattr(webbrowser, "open", browser)  # the user's browser, played over real HTTP
    assert main(["login", "--browser", "--timeout", "20"]) == 0
    browser.join()
    assert browser.responses[0].url.path == "/success"
    assert "Logged in as user@example.com" in capsys.readouterr().err


def test_login_device(emu: CodexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    def approve() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            polls = [r for r in emu.requests if r.path == "/api/accounts/deviceauth/token"]
            if polls:
                emu.approve_device(str((polls[0].json or {})["user_code"]))
                return
            time.sleep(0.01)

    helper = threading.Thread(target=approve)
    helper.start()
    assert main(["login", "--device", "--timeout", "20"]) == 0
    helper.join()
    err = capsys.readouterr().err
    assert f"{emu.issuer}/codex/device" in err and "Logged in as" in err
    assert stored() is not None


def test_failed_login_exits_1_with_the_reason(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.deny_login()
    monkeypatch.setattr(sys, "stdin", PastingStdin(capsys))
    assert main(["login", "--paste"]) == 1
    assert "Codex is not enabled for your ChatGPT workspace" in capsys.readouterr().err
    assert stored() is None


def test_paste_login_without_stdin(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["login", "--paste"]) == 1
    assert "--device" in capsys.readouterr().err


# ------------------------------------------------------------------------------------- backend use


def test_chat_models_and_rate_limits_in_status(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.set_answer(text="Hello from the emulator.")
    login_paste(capsys, monkeypatch)
    assert main(["chat", "Say hello", "--model", "gpt-5.4"]) == 0
    assert capsys.readouterr().out == "Hello from the emulator.\n"
    assert main(["chat", "Say hello", "--stream"]) == 0
    assert capsys.readouterr().out == "Hello from the emulator.\n"
    assert emu.responses_requests[0].json["model"] == "gpt-5.4"  # type: ignore[index]
    assert main(["models"]) == 0
    assert "gpt-5.5" in capsys.readouterr().out.split()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"primary \(5 h\) +\[[#.]+\] +[\d.]+ %", out), out


class PipedStdin(io.StringIO):
    """stdin fed by a pipe (`echo ... | oauth-codex chat`)."""

    def isatty(self) -> bool:
        return False


class TerminalStdin(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_chat_reads_the_prompt_from_stdin(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_paste(capsys, monkeypatch)
    monkeypatch.setattr(sys, "stdin", PipedStdin("Summarize this diff:\n+ one line\n"))
    assert main(["chat", "--stream"]) == 0
    assert capsys.readouterr().out == 'Emulator reply to: "Summarize this diff:\n+ one line"\n'
    monkeypatch.setattr(sys, "stdin", PipedStdin("from a dash"))
    assert main(["chat", "-", "--model", "gpt-5.4"]) == 0
    assert "from a dash" in capsys.readouterr().out
    assert [r.json["input"][0]["content"][0]["text"] for r in emu.responses_requests] == [  # type: ignore[index]
        "Summarize this diff:\n+ one line",
        "from a dash",
    ]
    # nothing piped in: a usage error that says what to do, and nothing is sent
    monkeypatch.setattr(sys, "stdin", TerminalStdin(""))
    assert main(["chat"]) == 2
    assert "pass it as an argument" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", PipedStdin("  \n"))
    assert main(["chat"]) == 2
    assert "empty" in capsys.readouterr().err
    assert len(emu.responses_requests) == 2


def test_status_shows_the_rate_limits_of_a_usage_limited_chat(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the 429 carries the x-codex-* headers (SPEC §4.6): `status` must show them, not nothing or stale ones
    login_paste(capsys, monkeypatch)
    emu.usage_limit(plan_type="plus")
    assert main(["chat", "Say hello"]) == 1
    assert "usage limit" in capsys.readouterr().err
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"primary \(5 h\) +\[[#.]+\] +[\d.]+ %", out), out


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_recorded_rate_limits_are_private_and_removed_by_logout(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_paste(capsys, monkeypatch)
    old = os.umask(0o022)
    try:
        assert main(["chat", "hi"]) == 0
    finally:
        os.umask(old)
    recorded = list(Path(os.environ["CODEX_OAUTH_HOME"]).rglob("rate_limits.json"))
    assert len(recorded) == 1 and (recorded[0].stat().st_mode & 0o777) == 0o600
    assert main(["logout"]) == 0
    assert not recorded[0].exists()
    assert main(["status"]) == 1


def test_a_login_without_refresh_token_is_not_called_missing(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status` says logged in, so `chat` must not say "No ChatGPT login found" (issue 15, item 12)."""
    from auth._jwt import make_jwt

    claims = {"exp": int(time.time()) - 600, "email": "user@example.com"}
    FileTokenStore().save(TokenData(access_token=make_jwt(claims), refresh_token=None, account_id="acct"))
    assert main(["status"]) == 0
    capsys.readouterr()
    assert main(["chat", "hi"]) == 1
    err = capsys.readouterr().err
    assert "has no refresh token" in err and "oauth-codex login" in err
    assert "No ChatGPT login found" not in err


def test_cli_errors_carry_no_python_advice(emu: CodexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "hi"]) == 1
    err = capsys.readouterr().err
    assert "interactive=True" not in err and "oauth-codex login" in err


def test_warnings_are_one_line_without_source(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_paste(capsys, monkeypatch)
    monkeypatch.setenv("CODEX_OAUTH_BASE_URL", "https://untrusted.invalid/backend-api/codex")
    main(["models"])
    err = capsys.readouterr().err
    assert "oauth-codex: warning: base_url 'https://untrusted.invalid/backend-api/codex'" in err
    assert "warnings.warn" not in err and ".py:" not in err


def test_a_closed_pipe_exits_quietly() -> None:
    """`oauth-codex demo | head -1`: no BrokenPipeError traceback (issue 15, item 11)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "oauth_codex", "demo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, like `head -1`
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert proc.returncode == 1


def test_chat_without_login_says_what_to_run(emu: CodexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "hi"]) == 1
    err = capsys.readouterr().err
    assert "oauth-codex login" in err and "--paste" in err


# ------------------------------------------------------------------------------------------ import


def test_import_codex_auth(emu: CodexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    tokens = emu.login_tokens()
    codex_file = Path(os.environ["CODEX_HOME"]) / "auth.json"
    codex_file.parent.mkdir(parents=True)
    codex_file.write_text(json.dumps(tokens.to_auth_json(), indent=2))
    before = codex_file.read_bytes(), codex_file.stat().st_mtime_ns
    assert main(["import-codex-auth"]) == 0
    err = capsys.readouterr().err
    assert "Imported the Codex CLI login of user@example.com" in err and "independently" in err
    assert (codex_file.read_bytes(), codex_file.stat().st_mtime_ns) == before  # only read
    copied = stored()
    assert copied is not None and copied.refresh_token == tokens.refresh_token
    for secret in secrets_in(tokens):
        assert secret not in err


def test_logout_says_when_revocation_failed_and_exits_1(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_paste(capsys, monkeypatch)
    tokens = stored()
    assert tokens is not None
    # the auth server is unreachable at logout time (revocation goes to the issuer's /oauth/revoke)
    monkeypatch.setenv("CODEX_OAUTH_AUTHORIZATION_ENDPOINT", "http://127.0.0.1:9/oauth/authorize")
    assert main(["logout"]) == 1
    err = capsys.readouterr().err
    assert "removed locally, revocation failed (" in err and "ChatGPT settings" in err
    assert "and revoked" not in err
    assert stored() is None
    for secret in secrets_in(tokens):
        assert secret not in err


def test_logout_after_import_does_not_revoke_the_codex_cli_token(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    codex_file = Path(os.environ["CODEX_HOME"]) / "auth.json"
    codex_file.parent.mkdir(parents=True)
    codex_file.write_text(json.dumps(emu.login_tokens().to_auth_json()))
    assert main(["import-codex-auth"]) == 0
    capsys.readouterr()
    assert main(["logout"]) == 0
    err = capsys.readouterr().err
    assert "not revoked" in err and "Codex CLI" in err
    assert not any(r.path == "/oauth/revoke" for r in emu.requests)
    assert main(["logout", "--help"]) == 0
    assert "is not revoked while its refresh token is still the Codex CLI" in " ".join(capsys.readouterr().out.split())


def test_import_codex_auth_from_a_path_and_errors(
    emu: CodexEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["import-codex-auth"]) == 1
    assert "codex login" in capsys.readouterr().err
    other = tmp_path / "elsewhere.json"
    other.write_text(json.dumps({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-not-a-login"}))
    assert main(["import-codex-auth", "--path", str(other)]) == 1
    err = capsys.readouterr().err
    assert "API key" in err and "sk-not-a-login" not in err
    other.write_text(json.dumps(emu.login_tokens().to_auth_json()))
    assert main(["import-codex-auth", "--path", str(other)]) == 0


# ----------------------------------------------------------------------------------- emulator, demo


def test_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    assert "final answer" in capsys.readouterr().out


def test_emulator_command_serves_until_interrupted() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "oauth_codex", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+)", first)
        assert url, first
        discovery = httpx.get(f"{url.group(1)}/.well-known/openid-configuration", timeout=5)
        assert discovery.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
