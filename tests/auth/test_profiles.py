"""Profiles: names, selection order, the 1.0.0 layout as profile ``default``, per-profile storage and locks."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from oauth_codex.auth import (
    AutoTokenStore,
    FileTokenStore,
    OAuthConfig,
    OAuthTokenProvider,
    TokenData,
    default_token_store,
    list_profiles,
    logout,
    profile_dir,
    remove_profile,
    resolve_profile_name,
    use_profile,
)
from oauth_codex.auth._locks import RefreshLock
from oauth_codex.auth._profiles import current_profile, set_current_profile, validate_profile_name
from oauth_codex.errors import NotAuthenticatedError, TokenStoreError
from oauth_codex.testing import CodexEmulator

TTL = 864000.0
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def user_keyring(tmp_system_keyring: PlaintextKeyring, monkeypatch: pytest.MonkeyPatch) -> PlaintextKeyring:
    """The user's keyring (what ``keyring.get_keyring()`` returns), a real backend in tmp."""
    import keyring

    monkeypatch.setattr(keyring, "get_keyring", lambda: tmp_system_keyring)
    return tmp_system_keyring


def home() -> Path:
    return Path(os.environ["CODEX_OAUTH_HOME"])


def config(emu: CodexEmulator, **overrides: object) -> OAuthConfig:
    """The emulator's endpoints with the test's CODEX_OAUTH_HOME and CODEX_OAUTH_PROFILE (if any)."""
    overrides.setdefault("home", home())
    overrides.setdefault("profile_name", os.environ.get("CODEX_OAUTH_PROFILE"))
    return emu.oauth_config(**overrides)


# ------------------------------------------------------------------------------------------ names


@pytest.mark.parametrize("name", ["default", "work", "a", "0", "team-2_eu", "x" * 32])
def test_valid_profile_names(name: str) -> None:
    assert validate_profile_name(name) == name
    assert OAuthConfig(profile_name=name).profile_name == name


@pytest.mark.parametrize("name", ["", "Work", "-x", "_x", "a b", "../etc", "x" * 33, "wörk", "a/b", "a.b"])
def test_invalid_profile_names_raise_one_clear_sentence(name: str) -> None:
    with pytest.raises(ValueError, match="is not a valid profile name: use 1 to 32 lowercase"):
        validate_profile_name(name)
    with pytest.raises(ValueError, match="not a valid profile name"):
        OAuthConfig.from_env(env={}, profile_name=name)


def test_an_invalid_environment_profile_names_the_variable() -> None:
    with pytest.raises(ValueError, match=r"^CODEX_OAUTH_PROFILE='Work' is not a valid profile name"):
        OAuthConfig.from_env(env={"CODEX_OAUTH_PROFILE": "Work"})
    with pytest.raises(ValueError, match=r"^profile_name='Bad!'"):
        OAuthTokenProvider(profile_name="Bad!")


# -------------------------------------------------------------------------------------- selection


def test_selection_order_explicit_then_env_then_current_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_profile_name() == "default"
    assert AutoTokenStore().profile_name == "default"
    (home() / "profiles" / "cur").mkdir(parents=True)
    (home() / "profiles" / "env").mkdir(parents=True)
    use_profile("cur")
    assert resolve_profile_name() == "cur" and current_profile() == "cur"
    assert OAuthTokenProvider().profile_name == "cur"
    monkeypatch.setenv("CODEX_OAUTH_PROFILE", "env")
    assert resolve_profile_name() == "env"
    assert default_token_store().profile_name == "env"
    assert OAuthTokenProvider().profile_name == "env"
    assert OAuthTokenProvider(profile_name="explicit").profile_name == "explicit"
    assert OAuthTokenProvider(profile_name="default").profile_name == "default"  # beats env and current
    assert default_token_store(profile_name="other").profile_name == "other"
    # the resolution happens once: a later `profile use` does not move a running provider
    provider = OAuthTokenProvider()
    monkeypatch.delenv("CODEX_OAUTH_PROFILE")
    use_profile("default")
    assert provider.profile_name == "env" and resolve_profile_name() == "default"


def test_use_profile_refuses_an_unknown_profile_and_a_broken_current_file() -> None:
    with pytest.raises(NotAuthenticatedError, match=r"no profile 'ghost'.*oauth-codex login --profile ghost"):
        use_profile("ghost")
    assert current_profile() is None
    (home()).mkdir(parents=True, exist_ok=True)
    (home() / "current_profile").write_text("../../etc\n")
    with pytest.raises(TokenStoreError, match="does not hold a valid profile name"):
        resolve_profile_name()


def test_an_unreadable_current_profile_or_token_file_names_the_file_and_the_next_step() -> None:
    home().mkdir(parents=True, exist_ok=True)
    (home() / "current_profile").write_bytes(b"\xff\xfe work\n")  # not UTF-8
    with pytest.raises(
        TokenStoreError,
        match=r"Cannot read the current profile from .*current_profile "
        r"\(UnicodeDecodeError\)\. Fix its permissions, or run `oauth-codex profile use NAME`\.$",
    ):
        current_profile()
    (home() / "auth.json").write_bytes(b"\xff\xfe")
    with pytest.raises(
        TokenStoreError,
        match=r"Cannot read the token file .*auth\.json \(UnicodeDecodeError\)\. "
        r"Check its permissions, or move it away and log in again with `oauth-codex login`\.$",
    ):
        FileTokenStore(home() / "auth.json").load()


@posix_only
def test_current_profile_file_is_private_and_human_readable() -> None:
    path = set_current_profile("work")
    assert path == home() / "current_profile"
    assert path.read_text() == "work\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in home().iterdir()] == ["current_profile"]  # no temp file left


# --------------------------------------------------------------------------- upgrade from 1.0.0


def _v1_document(tokens: TokenData) -> dict[str, object]:
    """``auth.json`` exactly as oauth-codex 1.0.0 wrote it (the Codex CLI layout, no ``route`` key)."""
    assert tokens.last_refresh is not None
    return {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": tokens.id_token,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "account_id": tokens.account_id,
        },
        "last_refresh": tokens.last_refresh.isoformat().replace("+00:00", "Z"),
    }


def test_upgrade_from_a_1_0_0_file_layout_needs_no_step(emu: CodexEmulator) -> None:
    tokens = emu.login_tokens()
    home().mkdir(parents=True)
    (home() / "auth.json").write_text(json.dumps(_v1_document(tokens), indent=2))
    emu.advance(TTL)  # expired: the provider refreshes and writes back to the same file
    provider = OAuthTokenProvider(config=config(emu), interactive=False, clock=emu.now)
    assert provider.profile_name == "default"
    token = provider.get_token()
    assert token.account_id == tokens.account_id and emu.grant_counts == {"refresh_token": 1}
    saved = json.loads((home() / "auth.json").read_text())
    assert saved["tokens"]["access_token"] == token.token and saved["route"] == "codex"
    assert sorted(p.name for p in home().iterdir()) == ["auth.json", "auth.json.lock"]  # nothing else
    assert list_profiles() == ["default"]


def test_upgrade_from_a_1_0_0_keyring_entry_needs_no_step(
    emu: CodexEmulator, user_keyring: PlaintextKeyring
) -> None:
    tokens = emu.login_tokens()
    doc = json.dumps(_v1_document(tokens), separators=(",", ":"))
    # 1.0.0 split the document into chunks under (oauth-codex, default#<generation>#<i>) and a manifest
    pieces = [doc[i : i + 1000] for i in range(0, len(doc), 1000)]
    assert len(pieces) >= 2
    for index, piece in enumerate(pieces):
        user_keyring.set_password("oauth-codex", f"default#g1#{index}", piece)
    digest = hashlib.sha256(doc.encode()).hexdigest()
    manifest = {"oauth_codex_chunks": len(pieces), "generation": "g1", "sha256": digest}
    user_keyring.set_password("oauth-codex", "default", json.dumps(manifest))
    store = AutoTokenStore(config(emu, storage="auto"))
    loaded = store.load()
    assert loaded is not None and loaded.access_token == tokens.access_token and loaded.route == "codex"
    assert store.profile_name == "default" and store.location.startswith("the system keyring")
    assert OAuthTokenProvider(store, config(emu), interactive=False).get_token().token == tokens.access_token


def test_a_document_without_route_reads_as_codex_and_unknown_routes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    doc = _v1_document(TokenData(access_token="at", refresh_token="rt", last_refresh="2030-01-01T00:00:00Z"))
    path.write_text(json.dumps(doc))
    assert FileTokenStore(path).load().route == "codex"  # type: ignore[union-attr]
    for unknown in ("carrier-pigeon", "siwc"):  # SIWC logins live in their own store, never in auth.json
        path.write_text(json.dumps({**doc, "route": unknown}))
        with pytest.raises(TokenStoreError, match="corrupted"):
            FileTokenStore(path).load()


# ------------------------------------------------------------------------------ per-profile storage


@posix_only
def test_each_profile_has_its_own_file_directory_and_lock(emu: CodexEmulator) -> None:
    personal, work = emu.login_tokens(), emu.login_tokens(email="me@work.example", plan_type="team")
    default_token_store(config(emu)).save(personal)
    work_store = default_token_store(config(emu, profile_name="work"))
    work_store.save(work)
    assert work_store.file_store.path == home() / "profiles" / "work" / "auth.json"
    assert work_store.lock_path == home() / "profiles" / "work" / "auth.json.lock"
    assert profile_dir(profile_name="work") == home() / "profiles" / "work"
    assert profile_dir() == home()
    for folder in (home(), home() / "profiles", home() / "profiles" / "work"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(work_store.file_store.path.stat().st_mode) == 0o600
    assert default_token_store(config(emu)).load().email == personal.email  # type: ignore[union-attr]
    assert default_token_store(config(emu, profile_name="work")).load().email == "me@work.example"  # type: ignore[union-attr]
    assert list_profiles() == ["default", "work"]
    assert "rt_" not in repr(work_store) and "work" in repr(work_store)


def test_keyring_entries_are_keyed_by_profile(emu: CodexEmulator, user_keyring: PlaintextKeyring) -> None:
    stores = {}
    for name, email in (("default", "me@example.com"), ("work", "me@work.example")):
        store = AutoTokenStore(config(emu, profile_name=name, storage="auto"))
        store.save(emu.login_tokens(email=email))
        stores[name] = store
    for name, email in (("default", "me@example.com"), ("work", "me@work.example")):
        assert user_keyring.get_password("oauth-codex", name) is not None
        assert stores[name].load().email == email  # type: ignore[union-attr]
    assert not (home() / "auth.json").exists()  # the keyring held them
    assert list_profiles() == ["default", "work"]  # the lock directory marks the profile


def test_one_profiles_refresh_never_takes_another_profiles_lock(emu: CodexEmulator) -> None:
    default_token_store(config(emu)).save(emu.login_tokens())
    default_token_store(config(emu, profile_name="work")).save(emu.login_tokens(email="me@work.example"))
    emu.advance(TTL)
    work_lock = RefreshLock(profile_dir(profile_name="work") / "auth.json.lock")
    with work_lock.hold_file():  # another process is refreshing "work" right now
        fresh = OAuthTokenProvider(config=config(emu), interactive=False, clock=emu.now, lock_timeout=5)
        assert fresh.get_token().account_id is not None  # "default" refreshes meanwhile
        stuck = OAuthTokenProvider(
            config=config(emu, profile_name="work"), interactive=False, clock=emu.now, lock_timeout=0.3
        )
        with pytest.raises(TokenStoreError, match=r"profiles/work/auth\.json\.lock"):
            stuck.get_token()
    assert emu.grant_counts == {"refresh_token": 1}


def test_logout_removes_only_the_selected_profile(emu: CodexEmulator) -> None:
    default_token_store(config(emu)).save(emu.login_tokens())
    default_token_store(config(emu, profile_name="work")).save(emu.login_tokens(email="me@work.example"))
    assert logout(config(emu), profile_name="work").removed is True
    assert default_token_store(config(emu, profile_name="work")).load() is None
    assert default_token_store(config(emu)).load() is not None
    assert logout(config(emu), profile_name="ghost").removed is False
    assert not (home() / "profiles" / "ghost").exists()  # logging out a typo creates nothing


def test_remove_profile_revokes_deletes_its_files_and_resets_current(emu: CodexEmulator) -> None:
    work = emu.login_tokens(email="me@work.example")
    default_token_store(config(emu, profile_name="work")).save(work)
    (profile_dir(profile_name="work") / "rate_limits.json").write_text("{}")
    use_profile("work")
    result = remove_profile("work", config(emu))
    assert result.removed and result.revoked
    assert not (home() / "profiles" / "work").exists()
    assert current_profile() is None and resolve_profile_name() == "default"
    assert [r.path for r in emu.requests if r.path == "/oauth/revoke"] == ["/oauth/revoke"]
    assert list_profiles() == ["default"]


# ------------------------------------------------------------------ two processes, two profiles

_CHILD = textwrap.dedent(
    """
    import hashlib, sys, time
    from oauth_codex.auth import OAuthConfig, OAuthTokenProvider
    token_endpoint, offset = sys.argv[1], float(sys.argv[2])
    config = OAuthConfig.from_env(token_endpoint=token_endpoint, authorization_endpoint=token_endpoint)
    provider = OAuthTokenProvider(config=config, interactive=False, clock=lambda: time.time() + offset)
    print("ready", provider.profile_name, flush=True)
    sys.stdin.readline()  # "go": every process starts together
    token = provider.get_token()
    print(hashlib.sha256(token.token.encode()).hexdigest(), token.account_id)
    """
)


def test_processes_on_two_profiles_at_once_each_profile_refreshes_exactly_once(emu: CodexEmulator) -> None:
    logins = {"personal": emu.login_tokens(), "work": emu.login_tokens(email="me@work.example", plan_type="team")}
    for name, tokens in logins.items():
        default_token_store(config(emu, profile_name=name)).save(tokens)
    emu.advance(TTL)
    emu.token_endpoint_delay(0.3)
    base = {k: v for k, v in os.environ.items() if not k.startswith("CODEX_OAUTH_")}
    base.update(CODEX_OAUTH_HOME=str(home()), CODEX_OAUTH_STORAGE="file")
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, f"{emu.url}/oauth/token", str(TTL)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**base, "CODEX_OAUTH_PROFILE": name},
        )
        for name in ("personal", "work", "personal", "work")
    ]
    for child, name in zip(children, ("personal", "work", "personal", "work"), strict=True):
        assert child.stdout is not None and child.stdout.readline().split() == ["ready", name]

    def go(child: subprocess.Popen[str]) -> None:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()

    starters = [threading.Thread(target=go, args=(child,)) for child in children]
    for t in starters:
        t.start()
    outputs = [child.communicate(timeout=60) for child in children]
    assert [child.returncode for child in children] == [0, 0, 0, 0], outputs
    answers = [out.split() for out, _ in outputs]
    for name, tokens in logins.items():
        saved = default_token_store(config(emu, profile_name=name)).load()
        assert saved is not None and saved.refresh_token != tokens.refresh_token
        digest = hashlib.sha256(saved.access_token.encode()).hexdigest()
        mine = [a for a, n in zip(answers, ("personal", "work", "personal", "work"), strict=True) if n == name]
        assert mine == [[digest, tokens.account_id]] * 2  # both processes of the profile use its one refresh
    refreshes = [r for r in emu.requests if r.path == "/oauth/token"]
    assert [r.status for r in refreshes] == [200, 200]  # exactly one per profile, no refresh_token_reused
    sent = sorted((r.json or {}).get("refresh_token") for r in refreshes)
    assert sent == sorted(t.refresh_token for t in logins.values())


# ------------------------------------------------------------------------ one account, one profile


def test_a_login_of_an_account_another_profile_holds_is_refused_or_moved(emu: CodexEmulator) -> None:
    from oauth_codex.auth import alogin, login
    from oauth_codex.errors import LoginError

    from .helpers import Console, PasteUser

    def paste(profile: str, **kwargs: object) -> TokenData:
        console = Console()
        return login(
            config(emu), mode="paste", input_func=PasteUser(console), output=console, profile_name=profile, **kwargs
        )  # type: ignore[arg-type]

    first = paste("default")
    asked: list[str] = []
    with pytest.raises(LoginError) as info:
        paste("work", confirm_move=lambda other: asked.append(other) or False)
    assert info.value.code == "account_in_other_profile" and asked == ["default"]
    assert "already logged in as profile 'default'" in str(info.value)
    for secret in (first.access_token, first.refresh_token):
        assert secret and secret not in str(info.value)
    assert default_token_store(config(emu, profile_name="work")).load() is None

    async def apaste() -> TokenData:
        console = Console()
        return await alogin(
            config(emu), mode="paste", input_func=PasteUser(console), output=console, profile_name="work"
        )

    with pytest.raises(LoginError, match="already logged in as profile 'default'"):
        asyncio.run(apaste())
    moved = paste("work", confirm_move=lambda other: True)
    assert default_token_store(config(emu)).load() is None  # the old profile signed out here (not revoked)
    held = default_token_store(config(emu, profile_name="work")).load()
    assert held is not None and held.refresh_token == moved.refresh_token
    emu.set_login_account("me@work.example", "team", workspace="Acme")  # another account: no question
    assert paste("default", confirm_move=lambda other: pytest.fail("asked")).email == "me@work.example"
