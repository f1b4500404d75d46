"""No token, code or verifier ever shows up in logs (ours, httpx, httpcore), output, errors or reprs.

One scenario drives every auth path (browser, paste and device logins; refresh before expiry and after a 401;
reuse, 5xx, network and store failures; the client; the CLI) with DEBUG logging on, then greps everything
that was captured for every secret the emulator issued or received.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from oauth_codex.auth import (
    AccessToken,
    AutoTokenStore,
    FileTokenStore,
    MemoryTokenStore,
    OAuthConfig,
    OAuthTokenProvider,
    login,
    logout,
)
from oauth_codex.auth._pkce import generate_pkce
from oauth_codex.auth._wire import refresh_request
from oauth_codex.cli import main
from oauth_codex.errors import CodexError
from oauth_codex.testing import CodexEmulator

from .helpers import Browser, Console, redirected_url

T = TypeVar("T")
TTL = 864000.0
BROWSER_THREAD = "test-browser"


def as_user(fn: Callable[..., T], *args: Any) -> T:
    """Run the simulated user's HTTP in a thread whose log records are the user's, not the SDK's."""
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(fn(*args)), name=BROWSER_THREAD)
    thread.start()
    thread.join(10)
    return box[0]  # type: ignore[no-any-return]


class UserBrowser(Browser):
    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        from .helpers import query

        self.emu.allow_redirect_uri(query(url)["redirect_uri"])
        thread = threading.Thread(target=self._visit, args=(url,), name=BROWSER_THREAD, daemon=True)
        self._threads.append(thread)
        thread.start()
        return True


def secrets_seen(emu: CodexEmulator, *extra: str) -> set[str]:
    found = set(extra)
    for request in emu.requests:
        for body in (request.form or {}, request.json if isinstance(request.json, dict) else {}):
            for key in (
                "code",
                "code_verifier",
                "refresh_token",
                "token",
                "device_auth_id",
                "authorization_code",
            ):
                value = body.get(key)
                if isinstance(value, str) and len(value) > 8:
                    found.add(value)
        auth = request.headers.get("authorization", "")
        if auth.startswith("Bearer "):
            found.add(auth.removeprefix("Bearer "))
    return found


def test_no_secret_is_ever_printed_logged_or_raised(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("oauth_codex", "httpx", "httpcore", "filelock"):
        caplog.set_level(logging.DEBUG, logger=name)
    texts: list[str] = []
    extra: list[str] = []

    def keep(*objects: object) -> None:
        for obj in objects:
            texts.extend([str(obj), repr(obj)])

    with CodexEmulator(device_interval="0.05") as emu:
        for key, value in emu.env().items():
            monkeypatch.setenv(key, value)
        config = OAuthConfig.from_env()
        store = FileTokenStore(tmp_path / "auth.json")

        # -- logins: browser (real callback server), paste, device
        console = Console()
        tokens = login(
            config.model_copy(update={"redirect_uri": "http://localhost:0/auth/callback"}),
            mode="browser",
            store=store,
            open_browser=UserBrowser(emu),
            output=console,
            timeout=10,
        )
        keep(tokens, store, console.getvalue())
        console = Console()

        def paste(prompt: str) -> str:
            from .helpers import AUTHORIZE_URL

            return as_user(redirected_url, AUTHORIZE_URL.findall(console.getvalue())[-1])

        keep(login(config, mode="paste", store=store, input_func=paste, output=console), console.getvalue())

        def approve(text: str) -> None:
            for word in text.split():
                if len(word) == 9 and word[4] == "-":
                    emu.approve_device(word)

        console = Console(approve)
        keep(login(config, mode="device", store=store, output=console), console.getvalue())

        # -- refresh before expiry, after a 401, and the failure paths
        provider = OAuthTokenProvider(store, config, interactive=False, clock=emu.now)
        first = provider.get_token()
        emu.advance(TTL)
        second = provider.get_token()
        third = provider.force_refresh(second)
        keep(provider, first, second, third, provider.tokens)
        emu.advance(TTL)
        emu.token_endpoint_error(status=500)
        with pytest.raises(CodexError) as server_error:
            provider.get_token()
        keep(server_error.value, server_error.value.__dict__)
        spent = store.load()
        assert spent is not None and spent.refresh_token
        extra += [spent.refresh_token, spent.access_token, spent.id_token]
        as_user(
            lambda: OAuthTokenProvider(MemoryTokenStore(spent), config, clock=emu.now).force_refresh(
                AccessToken(spent.access_token)
            )
        )
        reused = OAuthTokenProvider(MemoryTokenStore(spent), config, interactive=False, clock=emu.now)
        with pytest.raises(CodexError) as reuse_error:
            reused.get_token()
        keep(reuse_error.value, reuse_error.value.__dict__)
        offline = OAuthTokenProvider(
            MemoryTokenStore(spent),
            config.model_copy(update={"token_endpoint": "http://127.0.0.1:9/oauth/token"}),
            interactive=False,
            clock=emu.now,
        )
        with pytest.raises(CodexError) as network_error:
            offline.get_token()
        keep(network_error.value)
        broken = tmp_path / "broken" / "auth.json"
        broken.parent.mkdir()
        broken.write_text(json.dumps(spent.to_auth_json())[:-40])  # truncated mid-token
        with pytest.raises(CodexError) as store_error:
            FileTokenStore(broken).load()
        keep(store_error.value)

        # -- reprs of the pieces that hold secrets
        pkce = generate_pkce()
        extra.append(pkce.verifier)
        keep(
            pkce, refresh_request(config, "http://x/oauth/token", spent.refresh_token), AutoTokenStore(config)
        )

        # -- the client on the same login, and the CLI
        fresh_tokens = emu.login_tokens()
        extra += [fresh_tokens.access_token, fresh_tokens.id_token]
        fresh = OAuthTokenProvider(MemoryTokenStore(fresh_tokens), config, interactive=False, clock=emu.now)
        with emu.client(token_provider=fresh) as llm:
            keep(llm.generate(prompt="hello"))
            emu.unauthorized()
            keep(llm.generate(prompt="hello again"))
        monkeypatch.setenv("CODEX_OAUTH_HOME", str(tmp_path))  # the CLI's default store is this file
        for argv in (["status"], ["status", "--json"], ["logout"], ["status"]):
            main(argv)

        captured = capsys.readouterr()
        texts += [captured.out, captured.err]
        texts += [
            record.getMessage()
            for record in caplog.records
            if record.threadName != BROWSER_THREAD and not record.name.startswith("oauth_codex.testing")
        ]
        secrets = secrets_seen(emu, *extra)
        logout(config, store=store)

    assert len(secrets) >= 12
    assert any("HTTP Request: POST" in t for t in texts)  # httpx really logged our requests
    blob = "\n".join(texts)
    leaked = sorted(s[:12] + "…" for s in secrets if s and s in blob)
    assert leaked == []
