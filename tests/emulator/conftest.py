"""Fixtures of the emulator tests: a running emulator, login tokens, an httpx client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from oauth_codex.auth import TokenData
from oauth_codex.testing import CodexEmulator


@pytest.fixture
def emu() -> Iterator[CodexEmulator]:
    with CodexEmulator() as emulator:
        yield emulator


@pytest.fixture
def tokens(emu: CodexEmulator) -> TokenData:
    return emu.login_tokens()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One plain client for the session (no proxies from the environment: the emulator is on loopback)."""
    with httpx.Client(timeout=10, trust_env=False) as client:
        yield client
