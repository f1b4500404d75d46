"""Reading a valid stored login builds no HTTP client (first-call latency: an SSL context costs ~25 ms)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from oauth_codex.auth import MemoryTokenStore, OAuthTokenProvider
from oauth_codex.testing import CodexEmulator


@pytest.fixture
def no_http_clients(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []

    def refuse(kind: str) -> Any:
        def build(*args: Any, **kwargs: Any) -> Any:
            built.append(kind)
            raise AssertionError(f"an httpx.{kind} was built for a login that needed no network")

        return build

    monkeypatch.setattr(httpx, "Client", refuse("Client"))
    monkeypatch.setattr(httpx, "AsyncClient", refuse("AsyncClient"))
    return built


def test_valid_stored_login_needs_no_http_client(codex_emulator: CodexEmulator, no_http_clients: list[str]) -> None:
    provider = OAuthTokenProvider(
        MemoryTokenStore(codex_emulator.login_tokens()), codex_emulator.oauth_config(), interactive=False
    )
    assert provider.get_token().token
    assert no_http_clients == []


async def test_valid_stored_login_needs_no_async_http_client(
    codex_emulator: CodexEmulator, no_http_clients: list[str]
) -> None:
    provider = OAuthTokenProvider(
        MemoryTokenStore(codex_emulator.login_tokens()), codex_emulator.oauth_config(), interactive=False
    )
    assert (await provider.aget_token()).token
    assert no_http_clients == []


def test_expired_login_still_refreshes(codex_emulator: CodexEmulator) -> None:
    tokens = codex_emulator.login_tokens()
    later = time.time() + 864000  # the emulator's access tokens live 10 days: the client sees it expired
    provider = OAuthTokenProvider(
        MemoryTokenStore(tokens), codex_emulator.oauth_config(), interactive=False, clock=lambda: later
    )
    assert provider.get_token().token != tokens.access_token
    assert codex_emulator.grant_counts.get("refresh_token") == 1


def test_valid_stored_login_takes_no_file_lock(codex_emulator: CodexEmulator, tmp_path: Any) -> None:
    from oauth_codex.auth import FileTokenStore

    store = FileTokenStore(tmp_path / "home" / "auth.json")
    store.save(codex_emulator.login_tokens())
    provider = OAuthTokenProvider(store, codex_emulator.oauth_config(), interactive=False)
    assert provider.get_token().token
    assert not store.lock_path.exists()  # read without the cross-process lock: nothing to refresh
    later = time.time() + 864000
    expiring = OAuthTokenProvider(store, codex_emulator.oauth_config(), interactive=False, clock=lambda: later)
    assert expiring.get_token().token
    assert store.lock_path.exists()  # a refresh still runs under the lock
    assert codex_emulator.grant_counts.get("refresh_token") == 1


def test_a_fresh_stored_login_loads_no_refresh_machinery(codex_emulator: CodexEmulator, tmp_path: Any) -> None:
    """Discovery, the wire formats and the flow driver load on the first refresh, not on the first call."""
    import json
    import subprocess
    import sys

    from oauth_codex.auth import FileTokenStore

    path = tmp_path / "home" / "auth.json"
    FileTokenStore(path).save(codex_emulator.login_tokens())
    code = (
        "import json, sys\n"
        "from oauth_codex.auth import FileTokenStore, OAuthTokenProvider\n"
        "from oauth_codex.auth._config import OAuthConfig\n"
        f"provider = OAuthTokenProvider(FileTokenStore({str(path)!r}), OAuthConfig(), interactive=False)\n"
        "assert provider.get_token().token\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('oauth_codex.auth.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(json.loads(out.stdout))
    assert not loaded & {"oauth_codex.auth._flow", "oauth_codex.auth._wire", "oauth_codex.auth._discovery"}
    assert "oauth_codex.auth._provider" in loaded
