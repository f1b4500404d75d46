"""``--emulator`` support for the smoke tests: an in-process emulator the SDK is pointed at through env vars.

Inside :func:`offline_environment` the ``CODEX_OAUTH_*`` variables point at the emulator, logins are kept in
a temporary ``CODEX_OAUTH_HOME`` (file storage), and one login has been done through the emulator's OAuth
server with the real PKCE browser flow. Code inside then uses ``CodexOAuthLLM()`` exactly as against
chatgpt.com. :func:`environment` is what the scripts call: the offline environment with ``--emulator``,
else nothing (the emulator is then not even imported).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from oauth_codex.testing import CodexEmulator


@contextlib.contextmanager
def environment(emulator: bool, model: str) -> Iterator[None]:
    """With ``emulator``, run the block inside :func:`offline_environment` (and say where it listens)."""
    if not emulator:
        yield
        return
    with offline_environment(model) as emu:
        print(f"[emulator] {emu.url} (logged in through its OAuth server)")
        yield


@contextlib.contextmanager
def offline_environment(model: str) -> Iterator[CodexEmulator]:
    """Start an emulator that serves ``model``, point the environment at it and log in once."""
    from oauth_codex.testing import DEFAULT_MODELS, CodexEmulator

    models = list(DEFAULT_MODELS) if model in DEFAULT_MODELS else [*DEFAULT_MODELS, model]
    saved = dict(os.environ)
    with CodexEmulator(models=models) as emu, tempfile.TemporaryDirectory() as home:
        try:
            os.environ.update(emu.env())
            os.environ["CODEX_OAUTH_HOME"] = home
            os.environ["CODEX_OAUTH_STORAGE"] = "file"
            os.environ["CODEX_OAUTH_REDIRECT_URI"] = "http://localhost:0/auth/callback"
            _browser_login(emu)
            yield emu
        finally:
            os.environ.clear()
            os.environ.update(saved)


def _browser_login(emu: CodexEmulator) -> None:
    import httpx

    from oauth_codex.auth import OAuthConfig, login

    threads: list[threading.Thread] = []

    def browser(url: str) -> bool:
        emu.allow_redirect_uri(parse_qs(urlsplit(url).query)["redirect_uri"][0])

        def visit() -> None:
            with httpx.Client(follow_redirects=True, timeout=10) as client:
                client.get(url)

        threads.append(threading.Thread(target=visit, daemon=True))
        threads[-1].start()
        return True

    login(OAuthConfig.from_env(), mode="browser", open_browser=browser, output=io.StringIO(), timeout=15)
    for thread in threads:
        thread.join(10)
