"""Secret hygiene: no token or code verifier in logs, exceptions, reprs or CLI output; private token files.

Every test runs with DEBUG logging for ``oauth_codex``, ``httpx`` and ``httpcore`` captured, drives real
flows against the emulator, then collects every secret that went over the wire (bearer tokens, refresh
tokens, authorization codes and PKCE verifiers recorded by the emulator, plus every token stored) and
checks that none of them, nor a 16-character piece of one, appears in anything a user or a log could see.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import stat
import sys
import threading
import traceback
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from oauth_codex import (
    AccessToken,
    APIConnectionError,
    AuthenticationError,
    CodexError,
    CodexOAuthLLM,
    LoginError,
    MemoryTokenStore,
    RefreshTokenError,
    StaticTokenProvider,
    StreamError,
    UsageLimitError,
)
from oauth_codex.auth import (
    AutoTokenStore,
    FileTokenStore,
    KeyringTokenStore,
    OAuthConfig,
    OAuthTokenProvider,
    TokenData,
    alogin,
    login,
    refresh,
)
from oauth_codex.auth._pkce import generate_pkce
from oauth_codex.cli import main
from oauth_codex.testing import CodexEmulator

from .helpers import ANSWER, DELTAS, closed_port

AUTHORIZE_URL = re.compile(r"(http://\S+/oauth/authorize\?\S+)")
USER_CODE = re.compile(r"Enter the code: (\S+)")
EPHEMERAL = "http://localhost:0/auth/callback"


@pytest.fixture
def emu() -> Iterator[CodexEmulator]:
    with CodexEmulator(device_interval="0.05") as emulator:
        emulator.set_answer(text=ANSWER, deltas=DELTAS)
        yield emulator


_harness = threading.local()


class _NotTheHarness(logging.Filter):
    """Drops records of the test's own "browser" requests (they carry codes by nature, not by a leak)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_harness, "active", False)


@contextmanager
def as_the_user() -> Iterator[None]:
    """Mark this thread's HTTP calls as the user's browser, not the library under test."""
    _harness.active = True
    try:
        yield
    finally:
        _harness.active = False


def browse(url: str, *, follow: bool) -> httpx.Response:
    with as_the_user():
        return httpx.get(url, follow_redirects=follow, timeout=10)


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("oauth_codex", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.handler.addFilter(_NotTheHarness())
    return caplog


# ------------------------------------------------------------------------------------------ helpers


def secrets_of(emu: CodexEmulator, *tokens: TokenData | None) -> set[str]:
    """Every secret the emulator saw on the wire, plus the given tokens."""
    found: set[str] = set()
    for request in emu.requests:
        scheme, _, bearer = (request.header("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and bearer:
            found.add(bearer)
        for source in (request.form or {}, request.json if isinstance(request.json, dict) else {}):
            for key in ("code", "code_verifier", "refresh_token", "token", "device_auth_id"):
                value = source.get(key)
                if isinstance(value, str) and value:
                    found.add(value)
    for data in tokens:
        if data is not None:
            found.update(s for s in (data.access_token, data.refresh_token, data.id_token) if s)
    return found


def pieces(secret: str) -> list[str]:
    """The secret and 16-character pieces of it (a truncated or wrapped leak is still a leak)."""
    if len(secret) < 24:
        return [secret]
    return [secret, secret[-16:], secret[len(secret) // 2 : len(secret) // 2 + 16]]


def assert_clean(texts: Iterable[str], secrets: set[str]) -> None:
    assert secrets, "the flow under test handled no secret: the check would be vacuous"
    haystack = "\n".join(texts)
    for secret in secrets:
        for piece in pieces(secret):
            assert piece not in haystack, f"a secret ({piece[:6]}...) leaked"


def describe(exc: BaseException) -> str:
    """Everything an exception shows: str, repr, attributes and the whole chained traceback."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    parts += [repr(v) for v in vars(exc).values()]
    return "\n".join(parts)


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    records = [f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    return caplog.text + "\n".join(records)


class PasteUser:
    """Paste mode's ``input_func``: signs in at the printed URL and pastes the redirected URL."""

    def __init__(self, console: io.StringIO) -> None:
        self.console = console

    def __call__(self, prompt: str) -> str:
        url = AUTHORIZE_URL.findall(self.console.getvalue())[-1]
        return str(browse(url, follow=False).headers["location"])


class DeviceConsole(io.StringIO):
    """Login output that approves the device code as soon as it is printed (the user at the device page)."""

    def __init__(self, emu: CodexEmulator) -> None:
        super().__init__()
        self.emu = emu

    def write(self, text: str) -> int:
        for code in USER_CODE.findall(text):
            self.emu.approve_device(code)
        return super().write(text)


def browser_for(emu: CodexEmulator) -> Any:
    def open_browser(url: str) -> bool:
        emu.allow_redirect_uri(httpx.URL(url).params["redirect_uri"])
        threading.Thread(target=lambda: browse(url, follow=True), daemon=True).start()
        return True

    return open_browser


def assert_private(path: Path) -> None:
    if os.name != "posix":
        return
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path} is {oct(path.stat().st_mode)}"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, f"{path.parent} is not 0700"


# ------------------------------------------------------------------------------------------ login


async def test_every_login_mode_keeps_secrets_out_of_logs_output_and_reprs(
    emu: CodexEmulator, tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    texts: list[str] = []
    results: list[TokenData] = []
    for mode in ("paste", "browser", "device", "apaste"):
        home = tmp_path / mode / "home"
        store = FileTokenStore(home / "auth.json")
        config = emu.oauth_config(redirect_uri=EPHEMERAL if mode == "browser" else None)
        console: io.StringIO = DeviceConsole(emu) if mode == "device" else io.StringIO()
        if mode == "apaste":
            tokens = await alogin(config, mode="paste", store=store, input_func=PasteUser(console), output=console)
        else:
            tokens = login(
                config,
                mode=mode,  # type: ignore[arg-type]
                store=store,
                input_func=PasteUser(console),
                open_browser=browser_for(emu),
                output=console,
                timeout=20,
            )
        results.append(tokens)
        assert store.load() is not None
        assert_private(store.path)
        assert_private(store.lock_path)
        texts += [console.getvalue(), repr(tokens), str(tokens), f"{tokens}", repr(store), repr(config)]
    texts.append(log_text(debug_logs))
    verifiers = {r.form["code_verifier"] for r in emu.requests if r.form and "code_verifier" in r.form}
    assert len(verifiers) == 4  # every mode's PKCE verifier is in the checked set
    assert_clean(texts, secrets_of(emu, *results))


def test_failed_logins_keep_secrets_out_of_errors(emu: CodexEmulator, debug_logs: pytest.LogCaptureFixture) -> None:
    texts: list[str] = []
    console = io.StringIO()
    emu.token_endpoint_error(status=400, code="invalid_grant")  # the code exchange is refused
    with pytest.raises(LoginError) as info:
        login(emu.oauth_config(), mode="paste", store=MemoryTokenStore(), input_func=PasteUser(console), output=console)
    texts += [describe(info.value), console.getvalue()]
    pasted = PasteUser(console)("")  # a real redirect URL with a live code, pasted into another login
    with pytest.raises(LoginError) as info:
        login(emu.oauth_config(), mode="paste", store=MemoryTokenStore(), input_func=lambda _: pasted, output=console)
    assert info.value.code == "state_mismatch"
    texts += [describe(info.value), console.getvalue(), log_text(debug_logs)]
    code = httpx.URL(pasted).params["code"]
    assert_clean(texts, secrets_of(emu) | {code})


# ------------------------------------------------------------------------------------------ client


async def test_refresh_generate_and_errors_keep_secrets_out(
    emu: CodexEmulator, tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    store = FileTokenStore(tmp_path / "home" / "auth.json")
    first = emu.login_tokens()
    store.save(first)
    config = emu.oauth_config(home=tmp_path / "home")
    texts: list[str] = []
    seen: list[TokenData | None] = [first]
    errors: list[CodexError] = []

    with emu.client(token_store=store, oauth_config=config, retry_backoff=0.001, max_retries=1) as llm:
        assert llm.generate(prompt="hi") == ANSWER
        emu.server_error()  # a re-send, logged at DEBUG
        assert "".join(str(c) for c in llm.generate_stream(prompt="hi")) == ANSWER
        emu.expire_tokens()  # 401 -> refresh grant -> retry
        assert await llm.agenerate(prompt="hi") == ANSWER
        seen.append(store.load())
        seen.append(refresh(config, store=store))  # explicit refresh (oauth_codex.auth.refresh)
        texts += [repr(llm), repr(llm.token_provider), repr(llm.token_provider.get_token())]

        emu.unauthorized(times=2)
        with pytest.raises(AuthenticationError) as auth_error:
            llm.generate(prompt="hi")
        errors.append(auth_error.value)
        emu.usage_limit()
        with pytest.raises(UsageLimitError) as usage:
            llm.generate(prompt="hi")
        errors.append(usage.value)
        emu.drop_mid_stream(after_events=8)
        with pytest.raises(StreamError) as stream_error:
            for _ in llm.generate_stream(prompt="hi"):
                pass
        errors.append(stream_error.value)
        emu.expire_tokens()
        emu.token_endpoint_error(code="refresh_token_expired")
        with pytest.raises(RefreshTokenError) as dead:
            await llm.agenerate(prompt="hi")
        errors.append(dead.value)
        seen.append(store.load())
    offline = CodexOAuthLLM(
        base_url=f"http://127.0.0.1:{closed_port()}/backend-api/codex",
        token_provider=StaticTokenProvider(first.access_token, first.account_id),
        max_retries=0,
    )
    with pytest.raises(APIConnectionError) as unreachable:
        offline.generate(prompt="hi")
    errors.append(unreachable.value)
    texts += [describe(e) for e in errors]
    logs = log_text(debug_logs)
    # the DEBUG decision lines are part of what is checked: re-sends, refreshes, the store written
    for decision in ("retry 1 of 1", "refreshing the access token and sending again", "refreshing the access token ("):
        assert decision in logs, decision
    texts += [repr(offline), repr(offline.token_provider), logs]
    assert_private(store.path)
    assert emu.grant_counts["refresh_token"] >= 3
    assert_clean(texts, secrets_of(emu, *seen))


def test_reprs_of_every_public_object_holding_secrets(emu: CodexEmulator, tmp_path: Path) -> None:
    tokens = emu.login_tokens()
    config = emu.oauth_config(home=tmp_path)
    memory = MemoryTokenStore(tokens)
    file_store = FileTokenStore(tmp_path / "auth.json")
    file_store.save(tokens)
    provider = OAuthTokenProvider(memory, config, interactive=False)
    provider.get_token()
    with emu.client(token_provider=provider) as llm:
        result = llm.generate(prompt="hi", return_details=True)
    objects: list[Any] = [
        tokens,
        AccessToken(tokens.access_token, tokens.account_id),
        memory,
        file_store,
        KeyringTokenStore(),
        AutoTokenStore(config),
        provider,
        StaticTokenProvider(tokens.access_token),
        llm,
        emu,
        result,
        generate_pkce(),
        *emu.requests,
    ]
    texts = [f"{o!r} {o!s}" for o in objects]
    assert_clean(texts, secrets_of(emu, tokens) | {generate_pkce().verifier})
    pkce = generate_pkce()
    assert pkce.verifier not in repr(pkce)


# ------------------------------------------------------------------------------------------ CLI


class PastingStdin:
    """stdin for ``oauth-codex login --paste``: reads the URL printed on stderr, pastes the redirect."""

    def __init__(self, capsys: pytest.CaptureFixture[str], seen: list[str]) -> None:
        self.capsys = capsys
        self.seen = seen

    def readline(self) -> str:
        captured = self.capsys.readouterr()
        self.seen += [captured.out, captured.err]
        url = AUTHORIZE_URL.findall(captured.err)[-1]
        return str(browse(url, follow=False).headers["location"]) + "\n"

    def isatty(self) -> bool:
        return False


def test_cli_commands_never_print_secrets(
    emu: CodexEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)
    home = Path(os.environ["CODEX_OAUTH_HOME"])
    seen: list[str] = []
    codes: dict[str, int] = {}

    def run(*argv: str) -> None:
        codes[" ".join(argv)] = main(list(argv))
        captured = capsys.readouterr()
        seen.extend([captured.out, captured.err])

    monkeypatch.setattr(sys, "stdin", PastingStdin(capsys, seen))
    run("login", "--paste")
    stored = FileTokenStore(home / "auth.json")
    assert_private(stored.path)
    run("status")
    run("status", "--json")
    run("chat", "hello")
    run("chat", "hello", "--stream")
    emu.expire_tokens()
    run("chat", "after expiry")  # refreshes
    run("models")
    codex_cli = Path(os.environ["CODEX_HOME"]) / "auth.json"
    codex_cli.parent.mkdir(parents=True, exist_ok=True)
    codex_cli.write_text(json.dumps(emu.login_tokens().to_auth_json()))
    run("import-codex-auth")
    emu.unauthorized(times=2)
    run("chat", "rejected")
    emu.expire_tokens()
    emu.token_endpoint_error(code="refresh_token_invalidated")
    run("chat", "dead refresh token")
    after = stored.load()
    run("logout")
    run("status")
    assert codes["login --paste"] == 0 and codes["chat hello"] == 0 and codes["import-codex-auth"] == 0
    assert codes["chat rejected"] == 1 and codes["chat dead refresh token"] == 1 and codes["status"] == 1
    assert any("Logged in as" in text for text in seen)
    imported = TokenData.from_auth_json(json.loads(codex_cli.read_text()))
    assert_clean([*seen, log_text(debug_logs)], secrets_of(emu, after, imported))


# ------------------------------------------------------------------------------------------ redirect URIs

NOT_LOOPBACK = [
    "https://evil.example/auth/callback",
    "http://evil.example:1455/auth/callback",
    "http://localhost.evil.example:1455/auth/callback",
    "http://127.0.0.1.nip.io:1455/auth/callback",
    "https://localhost:1455/auth/callback",  # https: no local TLS callback server
    "http://0.0.0.0:1455/auth/callback",
    "javascript://localhost/%0aalert(1)",
]


@pytest.mark.parametrize("redirect_uri", NOT_LOOPBACK)
def test_browser_login_refuses_a_redirect_uri_that_is_not_loopback(emu: CodexEmulator, redirect_uri: str) -> None:
    opened: list[str] = []
    with pytest.raises(LoginError) as info:
        login(
            emu.oauth_config(redirect_uri=redirect_uri),
            mode="browser",
            store=MemoryTokenStore(),
            open_browser=opened.append,
            output=io.StringIO(),
            timeout=5,
        )
    assert info.value.code == "unsupported_redirect_uri"
    assert opened == [] and not any(r.path == "/oauth/authorize" for r in emu.requests)


def test_default_redirect_uri_is_loopback_and_others_need_explicit_configuration(emu: CodexEmulator) -> None:
    assert OAuthConfig().redirect_uri == "http://localhost:1455/auth/callback"
    assert OAuthConfig.from_env(env={}).redirect_uri == "http://localhost:1455/auth/callback"
    # an explicitly configured non-loopback URI is only used where no local server is needed: auto mode
    # says so and switches to paste mode, whose authorize URL carries the configured URI
    console = io.StringIO()
    emu.allow_redirect_uri("https://app.example/callback")

    def paste(prompt: str) -> str:
        url = AUTHORIZE_URL.findall(console.getvalue())[-1]
        assert httpx.URL(url).params["redirect_uri"] == "https://app.example/callback"
        return str(browse(url, follow=False).headers["location"])

    tokens = login(
        emu.oauth_config(redirect_uri="https://app.example/callback"),
        mode="auto",
        store=MemoryTokenStore(),
        open_browser=lambda url: True,
        input_func=paste,
        output=console,
    )
    assert tokens.access_token and "switching to paste mode" in console.getvalue()


@pytest.mark.parametrize(
    ("base_url", "warns"),
    [
        ("https://chatgpt.com/backend-api/codex", False),
        ("http://127.0.0.1:1/backend-api/codex", False),
        ("http://localhost:1/backend-api/codex", False),
        ("https://chatgpt.com.evil.example/backend-api/codex", True),
        ("https://evil.example/backend-api/codex", True),
    ],
)
def test_a_base_url_other_than_chatgpt_or_loopback_warns_before_sending_the_token(base_url: str, warns: bool) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CodexOAuthLLM(base_url=base_url, token_provider=StaticTokenProvider("t"))
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert bool(messages) == warns, messages


def test_the_callback_server_listens_on_loopback_only(emu: CodexEmulator) -> None:
    """The browser-mode callback server binds 127.0.0.1: it is unreachable from other interfaces."""
    bound: list[str] = []

    def open_browser(url: str) -> bool:
        redirect = httpx.URL(httpx.URL(url).params["redirect_uri"])
        port = redirect.port
        assert port is not None
        for family, address in ((socket.AF_INET, "127.0.0.1"),):
            with socket.socket(family) as probe:
                probe.settimeout(2)
                probe.connect((address, port))
                bound.append(probe.getpeername()[0])
        try:  # another local interface address, when this machine has one
            other = socket.gethostbyname(socket.gethostname())
        except OSError:
            other = "127.0.0.1"
        if not other.startswith("127."):
            with socket.socket() as probe, pytest.raises(OSError):
                probe.settimeout(2)
                probe.connect((other, port))
        return browser_for(emu)(url)

    login(
        emu.oauth_config(redirect_uri=EPHEMERAL),
        mode="browser",
        store=MemoryTokenStore(),
        open_browser=open_browser,
        output=io.StringIO(),
        timeout=10,
    )
    assert bound == ["127.0.0.1"]
