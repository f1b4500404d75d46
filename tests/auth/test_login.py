"""Login end to end against the emulator over real HTTP: browser + callback server, paste, device code."""

from __future__ import annotations

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest

from oauth_codex.auth import FileTokenStore, MemoryTokenStore, TokenData, alogin, login
from oauth_codex.errors import LoginError
from oauth_codex.testing import CodexEmulator

from .helpers import Browser, Console, PasteUser, free_port, query

EPHEMERAL = "http://localhost:0/auth/callback"


def _assert_logged_in(emu: CodexEmulator, tokens: TokenData) -> None:
    assert tokens.email == "user@example.com" and tokens.plan_type == "plus"
    assert tokens.refresh_token and tokens.account_id
    assert emu.grant_counts.get("authorization_code") == 1


# ------------------------------------------------------------------------------------------ browser


def test_browser_login_end_to_end(emu: CodexEmulator, tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "auth.json")
    browser, console = Browser(emu), Console()
    tokens = login(
        emu.oauth_config(redirect_uri=EPHEMERAL),
        mode="browser",
        store=store,
        open_browser=browser,
        output=console,
        timeout=10,
    )
    browser.join()
    _assert_logged_in(emu, tokens)
    saved = store.load()
    assert saved is not None and saved.refresh_token == tokens.refresh_token
    # the browser really hit our callback server, was redirected to /success and saw the page
    final = browser.responses[0]
    assert final.status_code == 200 and final.url.path == "/success"
    assert "user@example.com" in final.text
    callback = final.history[-1]
    assert callback.status_code == 302 and callback.url.path == "/auth/callback"
    # PKCE: the challenge sent to /authorize is S256 of the verifier the token request carried
    params = query(browser.urls[0])
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) == 43
    exchange = next(r for r in emu.requests if r.path == "/oauth/token")
    assert exchange.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert (
        "Opening your browser" in console.getvalue() and "Logged in as user@example.com" in console.getvalue()
    )


def test_forged_callback_gets_400_and_the_server_keeps_listening(emu: CodexEmulator) -> None:
    forged: list[httpx.Response] = []

    def forge(url: str) -> None:
        callback = query(url)["redirect_uri"]
        forged.append(httpx.get(f"{callback}?code=stolen&state=wrong", timeout=5))
        forged.append(httpx.get(f"{callback}?error=access_denied", timeout=5))  # no state: also refused
        forged.append(httpx.get(callback.replace("/auth/callback", "/favicon.ico"), timeout=5))

    browser = Browser(emu, before=forge)
    tokens = login(
        emu.oauth_config(redirect_uri=EPHEMERAL),
        mode="browser",
        store=MemoryTokenStore(),
        open_browser=browser,
        output=Console(),
        timeout=10,
    )
    browser.join()
    assert [r.status_code for r in forged] == [400, 400, 404]
    assert forged[0].text == "State mismatch"
    _assert_logged_in(emu, tokens)


def test_denied_login_raises_and_stores_nothing(emu: CodexEmulator) -> None:
    before = emu.login_tokens()
    store = MemoryTokenStore(before)
    emu.deny_login()
    browser = Browser(emu)
    with pytest.raises(LoginError) as info:
        login(
            emu.oauth_config(redirect_uri=EPHEMERAL),
            mode="browser",
            store=store,
            open_browser=browser,
            output=Console(),
            timeout=10,
        )
    browser.join()
    assert info.value.code == "access_denied"
    assert "Codex is not enabled for your ChatGPT workspace" in str(info.value)
    assert store.load() is before
    assert browser.responses[0].status_code == 400 and "not enabled" in browser.responses[0].text


def test_callback_without_code_fails(emu: CodexEmulator) -> None:
    def no_code(url: str) -> None:
        params = query(url)
        httpx.get(f"{params['redirect_uri']}?state={params['state']}", timeout=5)

    browser = Browser(emu, before=no_code)
    with pytest.raises(LoginError) as info:
        login(
            emu.oauth_config(redirect_uri=EPHEMERAL),
            mode="browser",
            store=MemoryTokenStore(),
            open_browser=browser,
            output=Console(),
            timeout=10,
        )
    browser.join()
    assert info.value.code == "missing_authorization_code"
    assert emu.grant_counts.get("authorization_code") is None


class _NotOurs(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def busy_port() -> object:
    server = HTTPServer(("127.0.0.1", 0), _NotOurs)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_busy_port_suggests_paste_mode(emu: CodexEmulator, busy_port: int) -> None:
    start = time.monotonic()
    with pytest.raises(LoginError) as info:
        login(
            emu.oauth_config(redirect_uri=f"http://localhost:{busy_port}/auth/callback"),
            mode="browser",
            store=MemoryTokenStore(),
            open_browser=False,
            output=Console(),
            timeout=120,
        )
    assert info.value.code == "port_in_use"
    assert "oauth-codex login --paste" in str(info.value) and str(busy_port) in str(info.value)
    assert time.monotonic() - start < 60  # at once, not after the login timeout (generous for loaded CI)


def test_auto_mode_falls_back_to_paste_when_the_port_is_busy(emu: CodexEmulator, busy_port: int) -> None:
    uri = f"http://localhost:{busy_port}/auth/callback"
    emu.allow_redirect_uri(uri)
    console = Console()
    tokens = login(
        emu.oauth_config(redirect_uri=uri),
        store=MemoryTokenStore(),
        open_browser=Browser(emu),
        input_func=PasteUser(console),
        output=console,
    )
    _assert_logged_in(emu, tokens)
    assert "switching to paste mode" in console.getvalue()


def test_a_new_login_cancels_an_older_one_on_the_same_port(emu: CodexEmulator) -> None:
    uri = f"http://localhost:{free_port()}/auth/callback"
    emu.allow_redirect_uri(uri)
    config = emu.oauth_config(redirect_uri=uri)
    first_error: list[BaseException] = []

    def first() -> None:
        try:
            login(
                config,
                mode="browser",
                store=MemoryTokenStore(),
                open_browser=False,
                output=Console(),
                timeout=10,
            )
        except BaseException as exc:
            first_error.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # wait until the first login listens
        try:
            httpx.get(uri.replace("/auth/callback", "/ping"), timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.02)
    browser = Browser(emu)
    tokens = login(
        config, mode="browser", store=MemoryTokenStore(), open_browser=browser, output=Console(), timeout=10
    )
    thread.join(10)
    browser.join()
    _assert_logged_in(emu, tokens)
    assert isinstance(first_error[0], LoginError) and first_error[0].code == "cancelled"


def test_browser_timeout(emu: CodexEmulator) -> None:
    with pytest.raises(LoginError) as info:
        login(
            emu.oauth_config(redirect_uri=EPHEMERAL),
            mode="browser",
            store=MemoryTokenStore(),
            open_browser=False,
            output=Console(),
            timeout=0.2,
        )
    assert info.value.code == "timeout" and "--paste" in str(info.value)


# -------------------------------------------------------------------------------------------- paste


def test_paste_login_with_the_redirected_url(emu: CodexEmulator, tmp_path: Path) -> None:
    console = Console()
    user = PasteUser(console)
    store = FileTokenStore(tmp_path / "auth.json")
    tokens = login(emu.oauth_config(), mode="paste", store=store, input_func=user, output=console)
    _assert_logged_in(emu, tokens)
    assert store.load() is not None
    assert "http://localhost:1455/auth/callback?code=" in console.getvalue()  # the instructions
    assert len(user.prompts) == 1


def test_paste_login_with_a_bare_code(emu: CodexEmulator) -> None:
    console = Console()
    tokens = login(
        emu.oauth_config(),
        mode="paste",
        store=MemoryTokenStore(),
        output=console,
        input_func=PasteUser(console, transform=lambda location: query(location)["code"]),
    )
    _assert_logged_in(emu, tokens)


def test_paste_reprompts_after_a_stale_url_then_succeeds(emu: CodexEmulator) -> None:
    console = Console()
    stale = "http://localhost:1455/auth/callback?code=old&state=old-state"
    user = PasteUser(console, answers=["", stale])
    tokens = login(
        emu.oauth_config(), mode="paste", store=MemoryTokenStore(), input_func=user, output=console
    )
    _assert_logged_in(emu, tokens)
    assert len(user.prompts) == 3
    assert "state does not match" in console.getvalue()


def test_paste_reprompts_after_garbage_then_succeeds(emu: CodexEmulator) -> None:
    console = Console()
    user = PasteUser(console, answers=["javascript:alert(1)"])
    tokens = login(
        emu.oauth_config(), mode="paste", store=MemoryTokenStore(), input_func=user, output=console
    )
    _assert_logged_in(emu, tokens)
    assert len(user.prompts) == 2
    assert "Please paste it again." in console.getvalue()


def test_pasted_denial_fails_without_reprompt(emu: CodexEmulator) -> None:
    emu.deny_login()
    console = Console()
    user = PasteUser(console)
    with pytest.raises(LoginError) as info:
        login(emu.oauth_config(), mode="paste", store=MemoryTokenStore(), input_func=user, output=console)
    assert info.value.code == "access_denied" and len(user.prompts) == 1


def test_reused_code_fails_the_exchange(emu: CodexEmulator) -> None:
    console = Console()
    codes: list[str] = []

    def keep(location: str) -> str:
        codes.append(location)
        return location

    login(
        emu.oauth_config(),
        mode="paste",
        store=MemoryTokenStore(),
        input_func=PasteUser(console, keep),
        output=console,
    )
    store = MemoryTokenStore()
    second = Console()

    def replay(prompt: str) -> str:  # same code, new state: state must match first
        fresh_state = query(second.authorize_url())["state"]
        return codes[0].replace(query(codes[0])["state"], fresh_state)

    with pytest.raises(LoginError) as info:
        login(emu.oauth_config(), mode="paste", store=store, input_func=replay, output=second)
    assert info.value.code == "token_exchange_failed" and store.load() is None


async def test_sync_login_works_inside_a_running_event_loop(emu: CodexEmulator) -> None:
    # as in a Jupyter cell: a loop is running in this thread; login() must not call asyncio.run
    asyncio.get_running_loop()
    console = Console()
    tokens = login(
        emu.oauth_config(),
        mode="paste",
        store=MemoryTokenStore(),
        input_func=PasteUser(console),
        output=console,
    )
    _assert_logged_in(emu, tokens)


# ------------------------------------------------------------------------------------------- device


def test_device_login_end_to_end(emu: CodexEmulator, tmp_path: Path) -> None:
    def approve(text: str) -> None:
        for word in text.split():
            if len(word) == 9 and word[4] == "-":
                emu.approve_device(word)

    console = Console(approve)
    store = FileTokenStore(tmp_path / "auth.json")
    tokens = login(emu.oauth_config(), mode="device", store=store, output=console)
    _assert_logged_in(emu, tokens)
    assert f"{emu.issuer}/codex/device" in console.getvalue()
    exchange = [r for r in emu.requests if r.path == "/oauth/token"][-1]
    assert exchange.headers["content-type"].startswith("application/x-www-form-urlencoded")


def test_device_login_polls_while_pending() -> None:
    with CodexEmulator(device_interval="0.05") as emu:
        console = Console()

        def approve_later() -> None:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                polls = [r for r in emu.requests if r.path == "/api/accounts/deviceauth/token"]
                if len(polls) >= 2:
                    code = next(w for w in console.getvalue().split() if len(w) == 9 and w[4] == "-")
                    emu.approve_device(code)
                    return
                time.sleep(0.01)

        helper = threading.Thread(target=approve_later)
        helper.start()
        tokens = login(emu.oauth_config(), mode="device", store=MemoryTokenStore(), output=console)
        helper.join()
        _assert_logged_in(emu, tokens)
        polls = [r for r in emu.requests if r.path == "/api/accounts/deviceauth/token"]
        assert len(polls) >= 3 and [r.status for r in polls[:2]] == [403, 403]


def test_device_login_expires() -> None:
    with CodexEmulator(device_interval="0.05") as emu:
        with pytest.raises(LoginError) as info:
            login(emu.oauth_config(), mode="device", store=MemoryTokenStore(), output=Console(), timeout=0.2)
        assert info.value.code == "device_code_expired"


def test_device_login_disabled(emu: CodexEmulator) -> None:
    emu.set_device_login(False)
    with pytest.raises(LoginError) as info:
        login(emu.oauth_config(), mode="device", store=MemoryTokenStore(), output=Console())
    assert info.value.code == "device_login_disabled" and "--paste" in str(info.value)


# -------------------------------------------------------------------------------------------- async


async def test_alogin_browser_and_paste(emu: CodexEmulator) -> None:
    browser = Browser(emu)
    tokens = await alogin(
        emu.oauth_config(redirect_uri=EPHEMERAL),
        mode="browser",
        store=MemoryTokenStore(),
        open_browser=browser,
        output=Console(),
        timeout=10,
    )
    browser.join()
    assert tokens.email == "user@example.com"
    console = Console()
    tokens = await alogin(
        emu.oauth_config(),
        mode="paste",
        store=MemoryTokenStore(),
        input_func=PasteUser(console),
        output=console,
    )
    assert emu.grant_counts["authorization_code"] == 2


async def test_alogin_device(emu: CodexEmulator) -> None:
    def approve(text: str) -> None:
        for word in text.split():
            if len(word) == 9 and word[4] == "-":
                emu.approve_device(word)

    tokens = await alogin(
        emu.oauth_config(), mode="device", store=MemoryTokenStore(), output=Console(approve)
    )
    assert tokens.refresh_token


# ---------------------------------------------------------------------------------------- discovery


def test_endpoints_from_the_discovery_document(emu: CodexEmulator) -> None:
    from oauth_codex.auth import OAuthConfig

    config = OAuthConfig(discovery_url=f"{emu.url}/.well-known/openid-configuration")
    console = Console()
    tokens = login(
        config, mode="paste", store=MemoryTokenStore(), input_func=PasteUser(console), output=console
    )
    assert tokens.refresh_token
    assert f"{emu.url}/oauth/authorize?" in console.getvalue()
    assert emu.requests[0].path == "/.well-known/openid-configuration"


def test_explicit_endpoints_beat_the_discovery_document(emu: CodexEmulator) -> None:
    from oauth_codex.auth import OAuthConfig

    config = OAuthConfig(
        discovery_url=f"{emu.url}/.well-known/openid-configuration",
        token_endpoint="http://127.0.0.1:9/oauth/token",  # explicit: wins, and is unreachable
    )
    console = Console()
    with pytest.raises(LoginError) as info:
        login(config, mode="paste", store=MemoryTokenStore(), input_func=PasteUser(console), output=console)
    assert info.value.code == "network_error" and "127.0.0.1:9" in str(info.value)


def _bindable(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is fine
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_default_port_1455_busy_falls_back_to_1457(emu: CodexEmulator) -> None:
    if not (_bindable(1455) and _bindable(1457)):
        pytest.skip("ports 1455/1457 are in use on this machine")
    server = HTTPServer(("127.0.0.1", 1455), _NotOurs)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        browser = Browser(emu)
        tokens = login(
            emu.oauth_config(),
            mode="browser",
            store=MemoryTokenStore(),
            open_browser=browser,
            output=Console(),
            timeout=10,
        )
        browser.join()
    finally:
        server.shutdown()
        server.server_close()
    _assert_logged_in(emu, tokens)
    assert query(browser.urls[0])["redirect_uri"] == "http://localhost:1457/auth/callback"


@pytest.mark.parametrize("garbage", ["javascript:alert(1)", "", "http://localhost:1455/auth/callback?code=x&state=old"])
def test_the_paste_reprompt_gives_one_instruction(emu: CodexEmulator, garbage: str) -> None:
    """Not "run the login again" and "paste it again" at once (issue 15, item 12)."""
    console = Console()
    user = PasteUser(console, answers=[garbage])
    login(emu.oauth_config(), mode="paste", store=MemoryTokenStore(), input_func=user, output=console)
    reprompt = next(line for line in console.getvalue().splitlines() if "Please paste it again." in line)
    for contradiction in ("login again", "oauth-codex login", "Start the login"):
        assert contradiction not in reprompt, reprompt
