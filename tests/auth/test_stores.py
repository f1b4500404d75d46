"""FileTokenStore, KeyringTokenStore, AutoTokenStore (fallback, newest wins) and legacy migration."""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from oauth_codex.auth import AutoTokenStore, FileTokenStore, KeyringTokenStore, OAuthConfig, TokenData
from oauth_codex.auth._keyring_store import CHUNK_CHARS, KeyringUnavailableError
from oauth_codex.auth._locks import RefreshLock
from oauth_codex.errors import TokenStoreError

from ._jwt import make_jwt
from .conftest import FailingKeyring

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def sample(n: int = 1, *, refreshed: datetime | None = None) -> TokenData:
    claims = {
        "exp": 2_000_000_000 + n,
        "email": f"u{n}@example.com",
        "pad": "x" * 600,
        "https://api.openai.com/auth": {"chatgpt_account_id": f"acct-{n}", "chatgpt_plan_type": "plus"},
    }
    return TokenData(
        id_token=make_jwt(claims),
        access_token=make_jwt(claims),
        refresh_token=f"rt_secret_refresh_{n}",
        account_id=f"acct-{n}",
        last_refresh=refreshed or datetime(2030, 1, 1, tzinfo=UTC),
    )


def core(tokens: TokenData | None) -> tuple[object, ...] | None:
    """The fields a store must keep (``extra`` may gain the auth.json bookkeeping keys)."""
    if tokens is None:
        return None
    return (
        tokens.id_token,
        tokens.access_token,
        tokens.refresh_token,
        tokens.account_id,
        tokens.last_refresh,
    )


# ------------------------------------------------------------------------------------------ file


@posix_only
def test_file_store_round_trip_modes_and_layout(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "home" / "auth.json")
    assert store.load() is None
    store.save(sample())
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    doc = json.loads(store.path.read_text())
    assert doc["auth_mode"] == "chatgpt" and doc["OPENAI_API_KEY"] is None
    assert set(doc["tokens"]) == {"id_token", "access_token", "refresh_token", "account_id"}
    assert doc["last_refresh"] == "2030-01-01T00:00:00Z"
    assert core(store.load()) == core(sample())
    assert [p.name for p in store.path.parent.iterdir()] == ["auth.json"]  # no temp files left behind
    assert "rt_secret" not in repr(store)


@posix_only
def test_file_store_never_chmods_an_existing_home(tmp_path: Path) -> None:
    """Only directories the package creates get a mode (issue 15, item 2): a 0755 home stays 0755."""
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    FileTokenStore(home / "auth.json").save(sample())
    assert stat.S_IMODE(home.stat().st_mode) == 0o755
    assert stat.S_IMODE((home / "auth.json").stat().st_mode) == 0o600


@posix_only
@pytest.mark.parametrize("mode", [0o1777, 0o775, 0o757])
def test_a_home_others_can_write_to_is_refused_and_left_alone(tmp_path: Path, mode: int) -> None:
    """CODEX_OAUTH_HOME=/tmp used to lose its sticky bit (chmod 0700); now it is refused, untouched."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    with pytest.raises(TokenStoreError, match="writable by other users") as info:
        FileTokenStore(shared / "auth.json").save(sample())
    assert str(shared) in str(info.value) and "CODEX_OAUTH_HOME" in str(info.value)
    assert str(info.value).count(". ") == 0  # one sentence
    assert stat.S_IMODE(shared.stat().st_mode) == mode
    assert list(shared.iterdir()) == []
    with pytest.raises(TokenStoreError, match="writable by other users"):
        RefreshLock(shared / "auth.json.lock").hold_file().__enter__()
    assert list(shared.iterdir()) == []


@posix_only
def test_a_home_owned_by_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setattr(os, "getuid", lambda: home.stat().st_uid + 1)  # as seen by another user
    with pytest.raises(TokenStoreError, match="belongs to another user"):
        FileTokenStore(home / "auth.json").save(sample())
    assert not (home / "auth.json").exists()


def test_file_store_default_path_follows_codex_oauth_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_OAUTH_HOME", str(tmp_path / "custom"))
    assert FileTokenStore().path == tmp_path / "custom" / "auth.json"


@pytest.mark.parametrize("content", ['{"tokens": {"access_token": "eyJ', "not json", "[]", '{"tokens": {}}'])
def test_corrupted_file_raises_naming_it_and_is_backed_up_before_a_new_save(
    tmp_path: Path, content: str
) -> None:
    store = FileTokenStore(tmp_path / "auth.json")
    store.path.write_text(content)
    with pytest.raises(TokenStoreError) as info:
        store.load()
    assert str(store.path) in str(info.value) and info.value.path == str(store.path)
    store.save(sample())
    backups = list(tmp_path.glob("auth.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_text() == content
    assert core(store.load()) == core(sample())


def test_file_store_keeps_unknown_keys_of_the_codex_layout(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "auth.json")
    store.save(sample(1))
    doc = json.loads(store.path.read_text())
    doc["agent_identity"] = {"kept": True}
    store.path.write_text(json.dumps(doc))
    store.save(sample(2))
    assert json.loads(store.path.read_text())["agent_identity"] == {"kept": True}


def test_file_store_reads_the_flat_legacy_layout(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "auth.json")
    store.path.write_text(
        json.dumps(
            {
                "access_token": "at",
                "refresh_token": "rt",
                "id_token": None,
                "token_type": "Bearer",
                "account_id": "acct",
                "last_refresh": 1_900_000_000,
                "expires_at": 1_900_000_100,
            }
        )
    )
    tokens = store.load()
    assert tokens is not None
    assert (tokens.access_token, tokens.refresh_token, tokens.account_id) == ("at", "rt", "acct")
    assert tokens.last_refresh == datetime.fromtimestamp(1_900_000_000, UTC)


@posix_only
def test_a_symlinked_lock_file_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    """A symlink planted as auth.json.lock must not be followed (filelock 3.12-3.20.0 truncated its target)."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (home / "auth.json.lock").symlink_to(victim)
    with pytest.raises(TokenStoreError, match="is a symbolic link") as info:
        with RefreshLock(home / "auth.json.lock").hold_file():
            pass
    assert str(home / "auth.json.lock") in str(info.value)
    assert victim.read_text() == "keep me"


@posix_only
def test_the_backup_of_a_symlinked_corrupt_token_file_does_not_follow_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    elsewhere = tmp_path / "other-program.conf"
    elsewhere.write_text("not a login, not ours")
    store = FileTokenStore(home / "auth.json")
    store.path.symlink_to(elsewhere)
    caplog.set_level(logging.WARNING, logger="oauth_codex")
    store.save(sample())
    assert list(home.glob("auth.json.corrupt-*")) == []  # the target's content was not copied
    assert elsewhere.read_text() == "not a login, not ours"
    assert not store.path.is_symlink() and core(store.load()) == core(sample())
    assert any(str(store.path) in r.getMessage() and "symbolic link" in r.getMessage() for r in caplog.records)


def test_filelock_floor_is_a_fixed_release() -> None:
    import re
    import tomllib

    root = Path(__file__).resolve().parents[2]
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    floor = next(re.search(r">=([\d.]+)", d).group(1) for d in deps if d.startswith("filelock"))  # type: ignore[union-attr]
    assert tuple(int(x) for x in floor.split(".")) >= (3, 20, 3)


def test_file_store_delete(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "auth.json")
    store.delete()
    store.save(sample())
    store.delete()
    assert not store.path.exists() and store.load() is None


def test_unwritable_home_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(TokenStoreError) as info:
        FileTokenStore(blocker / "auth.json").save(sample())
    assert "CODEX_OAUTH_HOME" in str(info.value)


# --------------------------------------------------------------------------------------- keyring


def test_keyring_store_round_trip_with_chunks(plain_keyring: PlaintextKeyring) -> None:
    store = KeyringTokenStore(backend=plain_keyring)
    assert store.load() is None
    store.save(sample(1))
    assert core(store.load()) == core(sample(1))
    manifest = json.loads(plain_keyring.get_password("oauth-codex", "default") or "")
    assert manifest["oauth_codex_chunks"] >= 2
    pieces = [
        plain_keyring.get_password("oauth-codex", f"default#{manifest['generation']}#{i}")
        for i in range(manifest["oauth_codex_chunks"])
    ]
    assert all(p is not None and len(p) <= CHUNK_CHARS for p in pieces)
    # a second save replaces the generation and removes the old pieces
    store.save(sample(2))
    assert core(store.load()) == core(sample(2))
    assert plain_keyring.get_password("oauth-codex", f"default#{manifest['generation']}#0") is None
    store.delete()
    assert store.load() is None
    assert "default#" not in Path(plain_keyring.file_path).read_text()


def test_keyring_store_short_document_and_torn_manifest(plain_keyring: PlaintextKeyring) -> None:
    store = KeyringTokenStore(backend=plain_keyring)
    short = TokenData(access_token="at", refresh_token="rt")
    store.save(short)
    assert (
        json.loads(plain_keyring.get_password("oauth-codex", "default") or "")["tokens"]["access_token"]
        == "at"
    )
    assert core(store.load()) == core(short)
    plain_keyring.set_password(
        "oauth-codex", "default", json.dumps({"oauth_codex_chunks": 2, "generation": "g"})
    )
    with pytest.raises(KeyringUnavailableError) as info:
        store.load()
    assert info.value.reason == "corrupted"


def test_keyring_errors_are_typed(locked_keyring: FailingKeyring, broken_keyring: FailingKeyring) -> None:
    with pytest.raises(KeyringUnavailableError) as info:
        KeyringTokenStore(backend=locked_keyring).load()
    assert info.value.reason == "locked"
    with pytest.raises(KeyringUnavailableError) as info:
        KeyringTokenStore(backend=broken_keyring).save(sample())
    assert info.value.reason == "error" and "CODEX_OAUTH_STORAGE=file" in str(info.value)
    with pytest.raises(KeyringUnavailableError) as info:
        KeyringTokenStore().load()  # the test suite's default backend: keyring.backends.fail
    assert info.value.reason == "no_backend"


# ------------------------------------------------------------------------------------------ auto


def _auto(tmp_path: Path, backend: object | None, **kwargs: object) -> AutoTokenStore:
    config = OAuthConfig(home=tmp_path / "home")
    keyring_store = KeyringTokenStore(backend=backend) if backend is not None else None  # type: ignore[arg-type]
    return AutoTokenStore(config, keyring_store=keyring_store, legacy=[], **kwargs)  # type: ignore[arg-type]


def test_auto_prefers_the_keyring(tmp_path: Path, plain_keyring: PlaintextKeyring) -> None:
    store = _auto(tmp_path, plain_keyring)
    store.save(sample())
    assert not store.file_store.path.exists()
    assert core(store.load()) == core(sample())
    assert "keyring" in store.location


@pytest.mark.parametrize("kind", ["no_backend", "locked", "broken"])
def test_auto_falls_back_to_the_file_with_one_notice(
    tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> None:
    backend = None if kind == "no_backend" else request.getfixturevalue(f"{kind}_keyring")
    store = _auto(tmp_path, backend)
    caplog.set_level(logging.DEBUG, logger="oauth_codex")
    assert store.load() is None
    store.save(sample(1))
    store.save(sample(2))
    assert core(store.file_store.load()) == core(sample(2))
    assert core(store.load()) == core(sample(2))
    notices = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(notices) == 1 and str(store.file_store.path) in notices[0].getMessage()
    assert store.location == str(store.file_store.path)


class LowPriorityKeyring(PlaintextKeyring):
    priority = 0.5  # type: ignore[assignment]


@posix_only
@pytest.mark.parametrize("kind", ["keyrings.alt", "low_priority"])
def test_a_plain_file_or_last_resort_keyring_backend_counts_as_no_keyring(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """keyrings.alt (in the dev extra) must not silently become "the system keyring" (issue 15, item 1)."""
    import keyring.core

    backend = PlaintextKeyring() if kind == "keyrings.alt" else LowPriorityKeyring()
    backend.file_path = str(tmp_path / "keyring_pass.cfg")  # type: ignore[misc]
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)  # what keyring.get_keyring() picked
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    caplog.set_level(logging.WARNING, logger="oauth_codex")
    store = AutoTokenStore(OAuthConfig(home=tmp_path / "home"), legacy=[])
    store.save(sample())
    assert backend.get_password("oauth-codex", "default") is None
    assert not Path(backend.file_path).exists()
    assert stat.S_IMODE(store.file_store.path.stat().st_mode) == 0o600
    assert core(store.load()) == core(sample())
    assert str(store.file_store.path) in store.location and name in store.location
    assert [r.getMessage() for r in caplog.records if name in r.getMessage()]
    with pytest.raises(KeyringUnavailableError) as info:
        KeyringTokenStore().load()
    assert info.value.reason == "unsuitable" and info.value.backend == name


def test_a_real_keyring_backend_is_named_in_the_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_system_keyring: PlaintextKeyring
) -> None:
    import keyring.core

    monkeypatch.setattr(keyring.core, "_keyring_backend", tmp_system_keyring)
    store = AutoTokenStore(OAuthConfig(home=tmp_path / "home"), legacy=[])
    store.save(sample())
    assert not store.file_store.path.exists()
    assert "TmpSystemKeyring" in store.location and "system keyring" in store.location


def test_keyring_mode_raises_instead_of_falling_back(tmp_path: Path, broken_keyring: FailingKeyring) -> None:
    store = _auto(tmp_path, broken_keyring, mode="keyring")
    with pytest.raises(TokenStoreError):
        store.save(sample())
    assert not store.file_store.path.exists()


def test_file_mode_never_touches_the_keyring(tmp_path: Path, broken_keyring: FailingKeyring) -> None:
    store = _auto(tmp_path, broken_keyring, mode="file")
    store.save(sample())
    assert core(store.load()) == core(sample())
    assert broken_keyring.calls == 0


def test_auto_uses_the_most_recently_refreshed_copy(tmp_path: Path, plain_keyring: PlaintextKeyring) -> None:
    store = _auto(tmp_path, plain_keyring)
    old = sample(1, refreshed=datetime(2030, 1, 1, tzinfo=UTC))
    new = sample(2, refreshed=datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=1))
    store.keyring_store.save(old)
    store.file_store.save(new)  # e.g. saved while the keyring was locked
    assert core(store.load()) == core(new)
    store.delete()
    assert store.keyring_store.load() is None and store.file_store.load() is None


def test_auto_ignores_a_corrupted_file_when_the_keyring_has_the_login(
    tmp_path: Path, plain_keyring: PlaintextKeyring
) -> None:
    store = _auto(tmp_path, plain_keyring)
    store.save(sample())
    store.file_store.path.parent.mkdir(parents=True, exist_ok=True)
    store.file_store.path.write_text("{")
    assert core(store.load()) == core(sample())


def test_default_store_follows_codex_oauth_storage(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from oauth_codex.auth import default_token_store

    monkeypatch.setenv("CODEX_OAUTH_STORAGE", "FILE")
    store = default_token_store()
    assert store.mode == "file"
    assert store.lock_path == store.file_store.path.with_name("auth.json.lock")


# ------------------------------------------------------------------------------------- migration


def test_migrates_once_from_the_legacy_keyring(tmp_path: Path, plain_keyring: PlaintextKeyring) -> None:
    legacy_doc = {"access_token": "legacy-at", "refresh_token": "legacy-rt", "account_id": "acct"}
    plain_keyring.set_password("codex-oauth-llm", "default", json.dumps(legacy_doc))
    config = OAuthConfig(home=tmp_path / "home")
    store = AutoTokenStore(
        config,
        keyring_store=KeyringTokenStore(backend=plain_keyring),
        legacy=[KeyringTokenStore("codex-oauth-llm", backend=plain_keyring)],
    )
    tokens = store.load()
    assert tokens is not None and tokens.refresh_token == "legacy-rt"
    assert core(KeyringTokenStore(backend=plain_keyring).load()) == core(tokens)  # copied into our service
    assert (
        plain_keyring.get_password("codex-oauth-llm", "default") is not None
    )  # the legacy copy is left alone
    store.delete()
    assert store.load() is None  # not migrated a second time


def test_migrates_from_the_legacy_file_by_default(tmp_path: Path) -> None:
    legacy = Path.home() / ".codex_oauth_llm" / "auth.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(json.dumps({"access_token": "legacy-at", "refresh_token": "legacy-rt"}))
    store = AutoTokenStore(OAuthConfig.from_env())
    tokens = store.load()
    assert tokens is not None and tokens.access_token == "legacy-at"
    assert core(store.file_store.load()) == core(
        tokens
    )  # saved to ~/.oauth_codex/auth.json (no keyring in tests)
    assert (store.config.home_dir / ".legacy-migrated").exists()
