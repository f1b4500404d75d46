"""``oauth-codex doctor`` (issue 14 item 6), offline and ``--live`` against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from oauth_codex.auth import FileTokenStore, TokenData
from oauth_codex.cli import main
from oauth_codex.testing import CodexEmulator


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[CodexEmulator]:
    with CodexEmulator(models=["gpt-5.5", "gpt-5.6-sol", "gpt-6-astra", "gpt-6-sol"]) as emulator:
        for key, value in emulator.env().items():
            monkeypatch.setenv(key, value)
        yield emulator


@pytest.fixture
def tokens(emu: CodexEmulator) -> TokenData:
    login = emu.login_tokens()
    FileTokenStore().save(login)
    return login


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    code = main(["doctor", *args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out), out


def assert_no_secret(text: str, tokens: TokenData) -> None:
    for secret in (tokens.access_token, tokens.refresh_token, tokens.id_token):
        assert secret and secret not in text


def test_offline_without_login_fails(emu: CodexEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = doctor(capsys)
    assert code == 1 and report["ok"] is False
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["login"]["status"] == "fail" and "oauth-codex login" in checks["login"]["detail"]
    assert checks["base url"]["status"] == "ok" and checks["lock file"]["status"] == "ok"
    code, report, _ = doctor(capsys, "--live")
    assert code == 1 and emu.responses_requests == []


def test_offline_with_login(emu: CodexEmulator, tokens: TokenData, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "login" in out and "all is well" in out
    assert "not cached yet" in out  # the catalog check warns without failing
    assert_no_secret(out, tokens)
    assert emu.requests == []  # offline means offline


def test_live_probes_every_listed_model(
    emu: CodexEmulator, tokens: TokenData, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, out = doctor(capsys, "--live")
    assert code == 0 and report["ok"] is True, out
    listed = [m for m in report["models"] if m["listed"]]
    assert [m["slug"] for m in listed] == ["gpt-6-astra", "gpt-6-sol", "gpt-5.6-sol", "gpt-5.5"]
    assert all(m["status"] == "ok" and m["ttft_ms"] is not None for m in listed)
    unlisted = {m["slug"]: m["status"] for m in report["models"] if not m["listed"]}
    assert unlisted["gpt-6-luna"] == "retired"  # a built-in slug this backend does not serve
    assert report["drift"] == []
    assert {c["name"]: c["status"] for c in report["checks"]}["server clock"] == "ok"  # the Date header
    assert len(emu.responses_requests) == len(report["models"])
    assert_no_secret(out, tokens)
    assert main(["doctor", "--live"]) == 0
    table = capsys.readouterr().out
    assert "first token" in table and "gpt-6-astra" in table and "all is well" in table
    assert_no_secret(table, tokens)


def test_live_reports_gated_blocked_and_drift(
    emu: CodexEmulator, tokens: TokenData, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_OAUTH_CLIENT_VERSION", "0.155.0")
    emu.update_model("gpt-6-sol", minimal_client_version="0.999.0")
    emu.configure_stream(completed_output=True)
    emu.inject_raw(b'event: response.future\ndata: {"type":"response.future"}\n\n', after_events=2)
    code, report, out = doctor(capsys, "--live")
    statuses = {m["slug"]: m["status"] for m in report["models"]}
    assert statuses["gpt-6-sol"] == "gated"  # hidden from /models at 0.155.0, rejected on /responses
    assert any("response.completed carries output" in d for d in report["drift"])
    assert any("unexpected event type 'response.future'" in d for d in report["drift"])
    assert code == 0  # drift and unlisted models are findings, not failures
    emu.response_failed(code="bio_policy")  # the first listed model now fails
    code, report, _ = doctor(capsys, "--live")
    assert code == 1 and report["models"][0]["status"] == "error"
    emu.html_challenge(status=403)  # taken by GET /models
    code, report, out = doctor(capsys, "--live")
    checks = {c["name"]: c for c in report["checks"]}
    assert code == 1 and checks["models endpoint"]["status"] == "fail"
    assert "Cloudflare" in checks["models endpoint"]["detail"] and "<html" not in out


def test_a_keyring_backend_the_store_refuses_is_not_reported_ok(
    emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """doctor applies the store's rule: keyrings.alt's plain-file backend is passed over for the 0600 file."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.setenv("CODEX_OAUTH_STORAGE", "auto")
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        code, report, _ = doctor(capsys)
    finally:
        keyring.set_keyring(previous)
    check = {c["name"]: c for c in report["checks"]}["keyring"]
    assert check["status"] == "warn"
    assert "PlaintextKeyring" in check["detail"] and "plain file" in check["detail"]
    assert "0600 file store" in check["detail"]
