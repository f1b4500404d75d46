"""Test isolation shared by the whole suite.

No test may touch the real user's home, keyring or Codex CLI login: every test gets a private HOME,
``CODEX_OAUTH_HOME`` and ``CODEX_HOME`` under its tmp dir, no ``CODEX_OAUTH_*`` variables from the outer
environment, and the "no keyring" backend unless it opts into a real one (``keyrings.alt``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before anything imports keyring: never the developer's real keyring.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    for var in list(os.environ):
        if var.startswith("CODEX_OAUTH_") or var in {"CODEX_HOME", "OAUTH_CODEX_EMULATOR"}:
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("CODEX_OAUTH_HOME", str(home / ".oauth_codex"))
    monkeypatch.setenv("CODEX_HOME", str(home / ".codex"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield home
