"""OAuthTokenProvider against the emulator: refresh before expiry and on 401, failures, single flight."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import httpx
import pytest

from oauth_codex._catalog import CODEX_CLIENT_VERSION
from oauth_codex.auth import (
    AccessToken,
    FileTokenStore,
    MemoryTokenStore,
    OAuthConfig,
    OAuthTokenProvider,
    TokenData,
)
from oauth_codex.errors import (
    APIConnectionError,
    NotAuthenticatedError,
    RefreshTokenError,
    ServerError,
    TokenStoreError,
)
from oauth_codex.testing import CodexEmulator

TTL = 864000.0


def provider(emu: CodexEmulator, store: object, **kwargs: object) -> OAuthTokenProvider:
    kwargs.setdefault("interactive", False)
    return OAuthTokenProvider(store, emu.oauth_config(), clock=emu.now, **kwargs)  # type: ignore[arg-type]


def backend_accepts(emu: CodexEmulator, token: AccessToken) -> bool:
    headers = {"Authorization": f"Bearer {token.token}", "ChatGPT-Account-ID": token.account_id or ""}
    url = f"{emu.base_url}/models?client_version={CODEX_CLIENT_VERSION}"  # the emulator requires a version
    return httpx.get(url, headers=headers, timeout=5).status_code == 200


def refresh_requests(emu: CodexEmulator) -> list[object]:
    return [
        r
        for r in emu.requests
        if r.path == "/oauth/token" and (r.json or {}).get("grant_type") == "refresh_token"
    ]


def spend(emu: CodexEmulator, refresh_token: str) -> None:
    """Refresh with ``refresh_token`` behind the provider's back (as another program would)."""
    reply = httpx.post(
        f"{emu.url}/oauth/token",
        json={
            "client_id": emu.settings.client_id,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        },
    )
    assert reply.status_code == 200


# --------------------------------------------------------------------------------------- basics


def test_fresh_token_is_used_without_refresh(emu: CodexEmulator) -> None:
    tokens = emu.login_tokens()
    p = provider(emu, MemoryTokenStore(tokens))
    token = p.get_token()
    assert token.token == tokens.access_token and token.account_id == tokens.account_id
    assert emu.grant_counts.get("refresh_token") is None
    assert "eyJ" not in repr(p) and "eyJ" not in repr(token)


def test_refresh_shortly_before_expiry_saves_rotated_tokens(emu: CodexEmulator, tmp_path: Path) -> None:
    tokens = emu.login_tokens()
    store = FileTokenStore(tmp_path / "auth.json")
    store.save(tokens)
    emu.advance(TTL - 200)  # 200 s left: inside the 300 s skew
    p = provider(emu, store)
    token = p.get_token()
    assert token.token != tokens.access_token
    saved = store.load()
    assert saved is not None and saved.access_token == token.token
    assert saved.refresh_token != tokens.refresh_token  # rotated and persisted
    assert saved.last_refresh is not None
    assert backend_accepts(emu, token)
    (request,) = refresh_requests(emu)
    assert request.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    assert request.headers["originator"] == "codex_cli_rs"  # type: ignore[attr-defined]
    assert request.headers["user-agent"].startswith("codex_cli_rs/")  # type: ignore[attr-defined]
    assert p.get_token() == token and emu.grant_counts["refresh_token"] == 1


def test_skew_is_configurable(emu: CodexEmulator) -> None:
    tokens = emu.login_tokens()
    emu.advance(TTL - 200)
    assert provider(emu, MemoryTokenStore(tokens), skew_seconds=60).get_token().token == tokens.access_token


def test_no_exp_uses_the_8_day_rule(emu: CodexEmulator) -> None:
    from datetime import UTC, datetime, timedelta

    real = emu.login_tokens()
    opaque = real.model_copy(update={"access_token": "opaque-access-token"})
    now = datetime.fromtimestamp(emu.now(), UTC)
    fresh = opaque.model_copy(update={"last_refresh": now - timedelta(days=7)})
    assert provider(emu, MemoryTokenStore(fresh)).get_token().token == "opaque-access-token"
    stale = opaque.model_copy(update={"last_refresh": now - timedelta(days=8, seconds=1)})
    assert provider(emu, MemoryTokenStore(stale)).get_token().token != "opaque-access-token"


async def test_async_refresh(emu: CodexEmulator) -> None:
    store = MemoryTokenStore(emu.login_tokens())
    emu.advance(TTL)
    p = provider(emu, store)
    token = await p.aget_token()
    assert backend_accepts(emu, token) and emu.grant_counts["refresh_token"] == 1
    again = await p.aforce_refresh(token)
    assert again.token != token.token and emu.grant_counts["refresh_token"] == 2


def test_discovery_is_fetched_lazily_at_refresh_time(emu: CodexEmulator) -> None:
    store = MemoryTokenStore(emu.login_tokens())
    emu.advance(TTL)
    config = OAuthConfig(
        discovery_url=f"{emu.url}/.well-known/openid-configuration", client_id=emu.settings.client_id
    )
    p = OAuthTokenProvider(store, config, interactive=False, clock=emu.now)
    assert emu.requests == []
    assert backend_accepts(emu, p.get_token())
    assert [r.path for r in emu.requests][:2] == ["/.well-known/openid-configuration", "/oauth/token"]


# ------------------------------------------------------------------------------------------ 401


def test_force_refresh_refreshes_once_per_rejected_token(emu: CodexEmulator) -> None:
    p = provider(emu, MemoryTokenStore(emu.login_tokens()))
    first = p.get_token()
    emu.expire_tokens()
    second = p.force_refresh(first)
    assert second.token != first.token and backend_accepts(emu, second)
    assert p.force_refresh(first) == second  # a late 401 for the old token: no second refresh
    assert emu.grant_counts["refresh_token"] == 1


def test_force_refresh_adopts_what_another_process_stored(emu: CodexEmulator, tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "auth.json")
    store.save(emu.login_tokens())
    mine, other = provider(emu, store), provider(emu, FileTokenStore(store.path))
    old = mine.get_token()
    refreshed = other.force_refresh(other.get_token())
    assert mine.force_refresh(old) == refreshed  # re-read the store instead of spending a refresh token
    assert emu.grant_counts["refresh_token"] == 1


class RacedStore(MemoryTokenStore):
    """A store another process writes to between our read and our refresh (the first load is stale)."""

    def __init__(self, stale: TokenData, fresh: TokenData) -> None:
        super().__init__(fresh)
        self.stale: TokenData | None = stale

    def load(self) -> TokenData | None:
        if self.stale is not None:
            stale, self.stale = self.stale, None
            return stale
        return super().load()


def test_refresh_token_reused_adopts_the_tokens_the_winner_saved(emu: CodexEmulator) -> None:
    tokens = emu.login_tokens()
    winner = provider(emu, MemoryTokenStore(tokens))
    winner_token = winner.force_refresh(winner.get_token())  # spends tokens.refresh_token
    assert winner.tokens is not None
    store = RacedStore(stale=tokens, fresh=winner.tokens)
    loser = provider(emu, store)
    token = loser.force_refresh(AccessToken(tokens.access_token, tokens.account_id))
    assert token == winner_token
    codes = [r.status for r in refresh_requests(emu)]
    assert codes == [200, 401]  # the loser's attempt was refused as reused, then the stored tokens adopted


def test_refresh_token_reused_without_newer_tokens_asks_to_log_in(emu: CodexEmulator, tmp_path: Path) -> None:
    tokens = emu.login_tokens()
    spend(emu, tokens.refresh_token or "")
    store = FileTokenStore(tmp_path / "auth.json")
    store.save(tokens)
    emu.advance(TTL)
    p = provider(emu, store)
    with pytest.raises(RefreshTokenError) as info:
        p.get_token()
    assert info.value.code == "refresh_token_reused" and info.value.status_code == 401
    assert "oauth-codex login" in str(info.value)
    stored = store.load()
    assert stored is not None and stored.refresh_token == tokens.refresh_token  # never deleted
    attempts = len(refresh_requests(emu))
    with pytest.raises(RefreshTokenError):
        p.get_token()
    assert len(refresh_requests(emu)) == attempts  # the dead token is not sent again


@pytest.mark.parametrize("code", ["refresh_token_expired", "refresh_token_invalidated"])
def test_dead_refresh_tokens(emu: CodexEmulator, code: str) -> None:
    store = MemoryTokenStore(emu.login_tokens())
    if code == "refresh_token_invalidated":
        emu.revoke_tokens()
    else:
        emu.token_endpoint_error(code=code)
    emu.advance(TTL)
    with pytest.raises(RefreshTokenError) as info:
        provider(emu, store).get_token()
    assert info.value.code == code and "log in again" in str(info.value).lower()
    assert store.load() is not None


# ------------------------------------------------------------------------------------ transient


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_keep_the_stored_tokens(emu: CodexEmulator, tmp_path: Path, status: int) -> None:
    tokens = emu.login_tokens()
    store = FileTokenStore(tmp_path / "auth.json")
    store.save(tokens)
    before = store.path.read_bytes()
    emu.advance(TTL)
    emu.token_endpoint_error(status=status)
    p = provider(emu, store)
    with pytest.raises(ServerError) as info:
        p.get_token()
    assert info.value.status_code == status and "unchanged" in str(info.value)
    assert store.path.read_bytes() == before
    assert backend_accepts(emu, p.get_token())  # the fault is over: the same refresh token still works


def test_network_down_keeps_the_stored_tokens(emu: CodexEmulator, tmp_path: Path) -> None:
    tokens = emu.login_tokens()
    store = FileTokenStore(tmp_path / "auth.json")
    store.save(tokens)
    before = store.path.read_bytes()
    emu.advance(TTL)
    config = emu.oauth_config(token_endpoint="http://127.0.0.1:9/oauth/token")
    p = OAuthTokenProvider(store, config, interactive=False, clock=emu.now)
    with pytest.raises(APIConnectionError) as info:
        p.get_token()
    assert "unchanged" in str(info.value)
    assert store.path.read_bytes() == before


def test_a_still_valid_token_survives_a_failed_early_refresh(
    emu: CodexEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = emu.login_tokens()
    emu.advance(TTL - 200)  # due for refresh, but valid for 200 s more
    emu.token_endpoint_error(status=500)
    caplog.set_level(logging.WARNING, logger="oauth_codex")
    assert provider(emu, MemoryTokenStore(tokens)).get_token().token == tokens.access_token
    assert "still valid" in caplog.text


class UnwritableStore(MemoryTokenStore):
    def save(self, tokens: TokenData) -> None:
        raise TokenStoreError("disk full", path="/nowhere/auth.json")


def test_a_store_that_cannot_save_still_serves_the_rotated_token(
    emu: CodexEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = emu.login_tokens()
    emu.advance(TTL)
    p = provider(emu, UnwritableStore(tokens))
    assert backend_accepts(emu, p.get_token())
    assert "could not save the refreshed login" in caplog.text


# ------------------------------------------------------------------------------- no login / login


def test_no_login_names_the_commands(emu: CodexEmulator) -> None:
    with pytest.raises(NotAuthenticatedError) as info:
        provider(emu, MemoryTokenStore()).get_token()
    message = str(info.value)
    assert "oauth-codex login" in message and "--paste" in message and "--device" in message


def test_interactive_first_use_logs_in(
    emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from .helpers import AUTHORIZE_URL, redirected_url

    def user(prompt: str) -> str:
        url = AUTHORIZE_URL.findall(capsys.readouterr().err)[-1]
        return redirected_url(url)

    monkeypatch.setattr("builtins.input", user)
    store = MemoryTokenStore()
    p = provider(emu, store, interactive=True)
    token = p.get_token()  # no browser here (no DISPLAY): auto mode pastes
    assert backend_accepts(emu, token) and store.load() is not None


def test_interactive_relogin_after_a_dead_refresh_token(
    emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from .helpers import AUTHORIZE_URL, redirected_url

    monkeypatch.setattr(
        "builtins.input", lambda _: redirected_url(AUTHORIZE_URL.findall(capsys.readouterr().err)[-1])
    )
    store = MemoryTokenStore(emu.login_tokens())
    emu.revoke_tokens()
    emu.advance(TTL)
    token = provider(emu, store, interactive=True).get_token()
    assert backend_accepts(emu, token)
    assert emu.grant_counts["authorization_code"] == 1


# -------------------------------------------------------------------------------- single flight


def test_50_threads_and_50_tasks_refresh_once(emu: CodexEmulator, tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "auth.json")
    store.save(emu.login_tokens())
    emu.advance(TTL)
    emu.token_endpoint_delay(0.2)  # keep the refresh in flight while everyone piles up
    p = provider(emu, store)
    start = threading.Barrier(50 + 2)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def record(token: AccessToken) -> None:
        with lock:
            results.append(token.token)

    def thread_worker() -> None:
        try:
            start.wait()
            record(p.get_token())
        except BaseException as exc:
            errors.append(exc)

    def loop_worker(tasks: int) -> None:
        async def main() -> None:
            start.wait()
            for token in await asyncio.gather(*(p.aget_token() for _ in range(tasks))):
                record(token)

        try:
            asyncio.run(main())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=thread_worker) for _ in range(50)]
    threads += [threading.Thread(target=loop_worker, args=(25,)) for _ in range(2)]  # 2 loops x 25 tasks
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(results) == 100 and len(set(results)) == 1
    assert emu.grant_counts["refresh_token"] == 1


async def test_async_single_flight_does_not_block_the_loop(emu: CodexEmulator) -> None:
    store = MemoryTokenStore(emu.login_tokens())
    emu.advance(TTL)
    emu.token_endpoint_delay(0.3)
    p = provider(emu, store)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    tick_task = asyncio.create_task(ticker())
    tokens = await asyncio.gather(*(p.aget_token() for _ in range(20)))
    tick_task.cancel()
    assert len({t.token for t in tokens}) == 1 and emu.grant_counts["refresh_token"] == 1
    assert ticks >= 10  # the loop kept running during the 0.3 s refresh


_CHILD = textwrap.dedent(
    """
    import hashlib, sys, time
    from oauth_codex.auth import FileTokenStore, OAuthConfig, OAuthTokenProvider
    path, token_endpoint, offset = sys.argv[1], sys.argv[2], float(sys.argv[3])
    config = OAuthConfig(token_endpoint=token_endpoint, authorization_endpoint=token_endpoint)
    store = FileTokenStore(path)
    provider = OAuthTokenProvider(store, config, interactive=False, clock=lambda: time.time() + offset)
    print("ready", flush=True)
    sys.stdin.readline()  # "go": both processes start together
    token = provider.get_token()
    print(hashlib.sha256(token.token.encode()).hexdigest())
    """
)


def test_two_processes_refresh_once_without_reuse(emu: CodexEmulator, tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "home" / "auth.json")
    store.save(emu.login_tokens())
    emu.advance(TTL)  # the stored access token is expired for the emulator and for the children
    emu.token_endpoint_delay(0.3)
    args = [str(store.path), f"{emu.url}/oauth/token", str(TTL)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEX_OAUTH_")}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=30) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    hashes = {out.strip() for out, _ in outputs}
    saved = store.load()
    assert saved is not None and hashes == {hashlib.sha256(saved.access_token.encode()).hexdigest()}
    assert emu.grant_counts["refresh_token"] == 1
    assert [r.status for r in refresh_requests(emu)] == [200]  # no refresh_token_reused
    assert (store.path.parent / "auth.json.lock").exists()
