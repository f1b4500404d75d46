"""Fixtures for the auth tests: a file-backed keyring in tmp, keyrings that fail, emulator helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked
from keyrings.alt.file import PlaintextKeyring

from oauth_codex.testing import CodexEmulator


@pytest.fixture
def plain_keyring(tmp_path: Path) -> PlaintextKeyring:
    """A real keyring backend (keyrings.alt) storing in a tmp file."""
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring_pass.cfg")  # type: ignore[misc]
    return kr


class TmpSystemKeyring(PlaintextKeyring):
    """keyrings.alt's file backend posing as a real system keyring (priority 5), storing in tmp.

    oauth-codex refuses keyrings.alt's file backends and any backend of priority < 1 when ``keyring`` picks
    them itself; tests that need a working "system keyring" behind ``keyring.get_keyring()`` use this one.
    """

    priority = 5  # type: ignore[assignment]


@pytest.fixture
def tmp_system_keyring(tmp_path: Path) -> TmpSystemKeyring:
    kr = TmpSystemKeyring()
    kr.file_path = str(tmp_path / "system_keyring.cfg")  # type: ignore[misc]
    return kr


class FailingKeyring(KeyringBackend):
    """A keyring whose every call fails, like a broken D-Bus Secret Service or a locked store."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, exc: type[Exception] = RuntimeError) -> None:
        super().__init__()
        self.exc = exc
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        raise self.exc("backend failure")

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        raise self.exc("backend failure")

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        raise self.exc("backend failure")


@pytest.fixture
def locked_keyring() -> FailingKeyring:
    return FailingKeyring(KeyringLocked)


@pytest.fixture
def broken_keyring() -> FailingKeyring:
    return FailingKeyring(RuntimeError)


@pytest.fixture
def emu() -> Iterator[CodexEmulator]:
    with CodexEmulator() as emulator:
        yield emulator


def secrets_of(*token_sets: Any) -> list[str]:
    """Every secret string of the given TokenData objects (for leak greps)."""
    out: list[str] = []
    for tokens in token_sets:
        for value in (tokens.access_token, tokens.refresh_token, tokens.id_token):
            if value:
                out.append(value)
    return out
