"""Helpers that play the user's browser against the emulator, over real HTTP."""

from __future__ import annotations

import io
import re
import socket
import threading
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx

from oauth_codex.testing import CodexEmulator

AUTHORIZE_URL = re.compile(r"(http://\S+/oauth/authorize\?\S+)")


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """The user's browser: follows the authorize URL (and every redirect) in a background thread."""

    def __init__(self, emu: CodexEmulator, *, before: Callable[[str], None] | None = None) -> None:
        self.emu = emu
        self.before = before
        self.urls: list[str] = []
        self.responses: list[httpx.Response] = []
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        self.emu.allow_redirect_uri(query(url)["redirect_uri"])
        self._threads.append(threading.Thread(target=self._visit, args=(url,), daemon=True))
        self._threads[-1].start()
        return True

    def _visit(self, url: str) -> None:
        try:
            if self.before is not None:
                self.before(url)
            with httpx.Client(follow_redirects=True, timeout=10) as client:
                self.responses.append(client.get(url))
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(10)


def redirected_url(authorize_url: str) -> str:
    """What the paste-mode user copies: the Location the auth server redirects the browser to."""
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        response = client.get(authorize_url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


class Console(io.StringIO):
    """Captures login output; ``on_line`` sees each written chunk (e.g. to approve a device code)."""

    def __init__(self, on_write: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.on_write = on_write

    def write(self, text: str) -> int:
        n = super().write(text)
        if self.on_write is not None:
            self.on_write(text)
        return n

    def authorize_url(self) -> str:
        found = AUTHORIZE_URL.findall(self.getvalue())
        assert found, self.getvalue()
        return str(found[-1])


class PasteUser:
    """``input_func`` for paste mode: reads the printed URL, signs in, pastes ``transform(location)``."""

    def __init__(
        self,
        console: Console,
        transform: Callable[[str], str] | None = None,
        answers: list[str] | None = None,
    ) -> None:
        self.console = console
        self.transform = transform or (lambda location: location)
        self.answers = list(answers or [])
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if self.answers:
            return self.answers.pop(0)
        return self.transform(redirected_url(self.console.authorize_url()))
