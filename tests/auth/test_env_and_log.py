"""Environment detection (TTY, notebook, browser) and the log redaction filter."""

from __future__ import annotations

import io
import logging
import sys
import types
import webbrowser

import pytest

from oauth_codex.auth._env import browser_available, in_notebook, is_interactive
from oauth_codex.auth._log import get_logger, redact

from ._jwt import make_jwt


class ZMQInteractiveShell:
    """Named like ipykernel's shell."""


class TerminalInteractiveShell:
    """Named like the IPython terminal shell."""


def _fake_ipython(monkeypatch: pytest.MonkeyPatch, shell: object | None) -> None:
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", module)


def test_notebook_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert in_notebook() is False
    _fake_ipython(monkeypatch, None)
    assert in_notebook() is False
    _fake_ipython(monkeypatch, TerminalInteractiveShell())
    assert in_notebook() is False
    _fake_ipython(monkeypatch, ZMQInteractiveShell())
    assert in_notebook() is True
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert is_interactive() is True  # a notebook counts as interactive although stdin is no TTY


def test_not_interactive_without_tty_or_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert is_interactive() is False
    monkeypatch.setattr(sys, "stdin", None)
    assert is_interactive() is False


def test_browser_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BROWSER", "true")
    assert browser_available() is False  # no display: never a text browser in the terminal
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(webbrowser, "_tryorder", None, raising=False)
    assert browser_available() is True
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 22")
    assert browser_available() is False  # ssh into a Mac: the browser would open on the far screen


def test_redaction() -> None:
    jwt = make_jwt({"sub": "user"})
    text = (
        f"Authorization: Bearer {jwt} refresh_token=rt_abcdefghijkl&code=ac_secret123 "
        f'{{"access_token": "{jwt}", "code_verifier": "vvvvvvvv"}} http://localhost:1455/auth/callback?code=xyz&state=s1'
    )
    cleaned = redact(text)
    for secret in (jwt, "rt_abcdefghijkl", "ac_secret123", "vvvvvvvv", "code=xyz", "state=s1"):
        assert secret not in cleaned
    assert "refresh_token_reused" in redact("error refresh_token_reused (HTTP 401)")


def test_logger_filter_rewrites_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = get_logger("oauth_codex.auth.test_probe")
    assert get_logger("oauth_codex.auth.test_probe").filters == logger.filters  # attached once
    caplog.set_level(logging.DEBUG, logger="oauth_codex")
    token = make_jwt({"sub": "x"})
    logger.debug("got %s", token)
    assert token not in caplog.text and "[REDACTED_JWT]" in caplog.text
