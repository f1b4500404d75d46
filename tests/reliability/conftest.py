"""Fixtures of the reliability suite: a fresh emulator with a fixed answer, and a client wired to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oauth_codex import CodexOAuthLLM
from oauth_codex.testing import CodexEmulator

from .helpers import ANSWER, DELTAS


@pytest.fixture
def emu() -> Iterator[CodexEmulator]:
    """A running emulator whose model always answers :data:`ANSWER` in :data:`DELTAS` deltas."""
    with CodexEmulator() as emulator:
        emulator.set_answer(text=ANSWER, deltas=DELTAS)
        yield emulator


@pytest.fixture
def llm(emu: CodexEmulator) -> Iterator[CodexOAuthLLM]:
    """A client with the real ``OAuthTokenProvider`` over a memory store (emulator-issued login)."""
    client = emu.client(retry_backoff=0.001)
    yield client
    client.close()
