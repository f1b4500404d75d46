"""refresh(), logout() and import_codex_cli_auth() against the emulator and real (tmp) stores."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.core
import pytest
from keyrings.alt.file import PlaintextKeyring

from oauth_codex.auth import (
    FileTokenStore,
    KeyringTokenStore,
    MemoryTokenStore,
    OAuthConfig,
    default_token_store,
    import_codex_cli_auth,
    logout,
    refresh,
)
from oauth_codex.errors import NotAuthenticatedError, RefreshTokenError, TokenStoreError
from oauth_codex.testing import CodexEmulator


@pytest.fixture
def system_keyring(monkeypatch: pytest.MonkeyPatch, tmp_system_keyring: PlaintextKeyring) -> PlaintextKeyring:
    """Opt into a working 'system' keyring (keyrings.alt posing as a priority-5 backend, in tmp)."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", tmp_system_keyring)
    return tmp_system_keyring


def point_at(emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch) -> OAuthConfig:
    """Point at the emulator but keep this test's home and the auto (keyring-first) store."""
    for key, value in emu.env().items():
        if key not in {"CODEX_OAUTH_HOME", "CODEX_OAUTH_STORAGE"}:
            monkeypatch.setenv(key, value)
    return OAuthConfig.from_env()


def test_refresh_now(emu: CodexEmulator) -> None:
    tokens = emu.login_tokens()
    store = MemoryTokenStore(tokens)
    new = refresh(emu.oauth_config(), store=store)
    assert new.refresh_token != tokens.refresh_token and store.load() == new
    assert emu.grant_counts["refresh_token"] == 1
    with pytest.raises(NotAuthenticatedError):
        refresh(emu.oauth_config(), store=MemoryTokenStore())
    emu.revoke_tokens()
    with pytest.raises(RefreshTokenError):
        refresh(emu.oauth_config(), store=store)
    assert store.load() == new  # a failed refresh deletes nothing


def test_logout_revokes_and_removes_every_copy(
    emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch, system_keyring: PlaintextKeyring
) -> None:
    config = point_at(emu, monkeypatch)
    tokens = emu.login_tokens()
    default_token_store(config).save(tokens)  # -> the keyring
    FileTokenStore(config.home_dir / "auth.json").save(emu.login_tokens())  # an older file copy
    KeyringTokenStore("codex-oauth-llm", backend=system_keyring).save(emu.login_tokens())  # legacy
    legacy_file = FileTokenStore(Path.home() / ".codex_oauth_llm" / "auth.json")
    legacy_file.save(emu.login_tokens())
    result = logout(config)
    assert result.removed is True and result.revoked is True and result.revocation_error is None
    assert KeyringTokenStore(backend=system_keyring).load() is None
    assert KeyringTokenStore("codex-oauth-llm", backend=system_keyring).load() is None
    assert not (config.home_dir / "auth.json").exists() and not legacy_file.path.exists()
    revokes = [r for r in emu.requests if r.path == "/oauth/revoke"]
    assert len(revokes) == 4
    assert {(r.json or {}).get("token_type_hint") for r in revokes} == {"refresh_token"}
    # the revoked refresh token is dead at the auth server
    with pytest.raises(RefreshTokenError):
        refresh(config, store=MemoryTokenStore(tokens))
    assert logout(config).removed is False


def test_logout_without_revoke_and_with_an_unreachable_server(
    emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = point_at(emu, monkeypatch)
    default_token_store(config).save(emu.login_tokens())
    result = logout(config, revoke=False)
    assert result.removed is True and result.revoked is False and result.revocation_error is None
    assert not any(r.path == "/oauth/revoke" for r in emu.requests)
    tokens = emu.login_tokens()
    store = MemoryTokenStore(tokens)
    offline = emu.oauth_config(issuer="http://127.0.0.1:9")
    result = logout(offline, store=store)
    assert store.load() is None  # removed locally whatever the revocation did
    # ... and the outcome is reported, not "revoked" (issue 15, item 4): the refresh token still works
    assert result.removed is True and result.revoked is False
    assert result.revocation_error is not None and "could not be reached" in result.revocation_error
    assert bool(result) is True
    assert refresh(emu.oauth_config(), store=MemoryTokenStore(tokens)).access_token


def test_logout_after_import_keeps_the_codex_cli_refresh_token(
    emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revoking an imported login would log the Codex CLI out as well (issue 15, item 5)."""
    config = point_at(emu, monkeypatch)
    cli_tokens = emu.login_tokens()
    _write_codex_file(Path(os.environ["CODEX_HOME"]) / "auth.json", cli_tokens.to_auth_json())
    import_codex_cli_auth(config=config)
    result = logout(config)
    assert result.removed is True and result.kept_codex_cli_token is True and result.revocation_error is None
    assert not any(r.path == "/oauth/revoke" for r in emu.requests)
    assert refresh(emu.oauth_config(), store=MemoryTokenStore(cli_tokens)).access_token  # the CLI still works

    # once our copy has refreshed, its refresh token is ours (the CLI's is spent): logout revokes it
    emu2_tokens = emu.login_tokens()
    _write_codex_file(Path(os.environ["CODEX_HOME"]) / "auth.json", emu2_tokens.to_auth_json())
    import_codex_cli_auth(config=config)
    ours = refresh(config)
    result = logout(config)
    assert result.kept_codex_cli_token is False and result.revoked is True
    assert [r for r in emu.requests if r.path == "/oauth/revoke"]
    with pytest.raises(RefreshTokenError):
        refresh(emu.oauth_config(), store=MemoryTokenStore(ours))


def test_logout_removes_a_corrupted_file(emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    config = point_at(emu, monkeypatch)
    path = config.home_dir / "auth.json"
    path.parent.mkdir(parents=True)
    path.write_text("{broken")
    assert logout(config).removed is False
    assert not path.exists()


def _write_codex_file(path: Path, doc: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    path.chmod(0o600)


def test_import_reads_codex_home_and_never_writes_it(
    emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = point_at(emu, monkeypatch)
    tokens = emu.login_tokens()
    doc = tokens.to_auth_json()
    doc["tokens"]["account_id"] = None  # older CLIs: fall back to the id_token claim
    doc["agent_identity"] = {"x": 1}
    source = Path(os.environ["CODEX_HOME"]) / "auth.json"
    _write_codex_file(source, doc)
    before = source.read_bytes(), source.stat().st_mtime_ns
    imported = import_codex_cli_auth()
    assert (source.read_bytes(), source.stat().st_mtime_ns) == before
    assert imported.account_id == tokens.account_id and imported.refresh_token == tokens.refresh_token
    stored = default_token_store(config).load()
    assert stored is not None and stored.access_token == tokens.access_token
    # the imported login works: it refreshes against the auth server
    assert refresh(config).refresh_token != tokens.refresh_token


def test_import_does_not_copy_the_cli_api_key(emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    # a Codex CLI file may hold an API key next to the ChatGPT tokens: the import copies the login only
    config = point_at(emu, monkeypatch)
    doc = emu.login_tokens().to_auth_json()
    doc["OPENAI_API_KEY"] = "sk-secret-api-key"
    _write_codex_file(Path(os.environ["CODEX_HOME"]) / "auth.json", doc)
    imported = import_codex_cli_auth()
    assert "sk-secret-api-key" not in json.dumps(imported.to_auth_json())
    stored = default_token_store(config).load()
    assert stored is not None and "sk-secret-api-key" not in json.dumps(stored.to_auth_json())
    assert stored.to_auth_json()["OPENAI_API_KEY"] is None


def test_import_defaults_to_dot_codex(emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODEX_HOME")
    point_at(emu, monkeypatch)
    _write_codex_file(Path.home() / ".codex" / "auth.json", emu.login_tokens().to_auth_json())
    assert import_codex_cli_auth().email == "user@example.com"


def test_import_errors(tmp_path: Path) -> None:
    with pytest.raises(NotAuthenticatedError) as info:
        import_codex_cli_auth(tmp_path / "missing.json")
    assert "codex login" in str(info.value)
    bad = tmp_path / "bad.json"
    bad.write_text('{"tokens": ')
    with pytest.raises(TokenStoreError) as err:
        import_codex_cli_auth(bad)
    assert str(bad) in str(err.value)
    bad.write_text(json.dumps({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-secret"}))
    with pytest.raises(NotAuthenticatedError) as info:
        import_codex_cli_auth(bad)
    assert "API key" in str(info.value) and "sk-secret" not in str(info.value)
    assert default_token_store().load() is None
