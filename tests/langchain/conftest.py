"""Fixtures of the LangChain adapter tests: an offline Codex emulator and models wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from langchain_oauth_codex import ChatCodexOAuth

from oauth_codex import MemoryTokenStore
from oauth_codex.testing import CodexEmulator

MODEL = "gpt-5.4"

EmulatorParams = Callable[[CodexEmulator], dict[str, Any]]


def _emulator_params(emu: CodexEmulator) -> dict[str, Any]:
    return {
        "model": MODEL,
        "base_url": emu.base_url,
        "oauth_config": emu.oauth_config(),
        "token_store": MemoryTokenStore(emu.login_tokens()),
        "interactive": False,
    }


@pytest.fixture(scope="session")
def emulator_params() -> EmulatorParams:
    """``ChatCodexOAuth`` arguments pointing a model at an emulator, with a fresh login in a memory store."""
    return _emulator_params


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[CodexEmulator]:
    """One emulator for the tests that never inject faults (the standard suites, agents, chains)."""
    with CodexEmulator() as emu:
        yield emu


@pytest.fixture
async def make_model(shared_emulator: CodexEmulator) -> AsyncIterator[Callable[..., ChatCodexOAuth]]:
    """Build ``ChatCodexOAuth`` models on the shared emulator (or ``emu=``); keyword arguments win.

    The models' connections are closed after the test (in the test's event loop).
    """
    made: list[ChatCodexOAuth] = []

    def make(emu: CodexEmulator | None = None, **kwargs: Any) -> ChatCodexOAuth:
        model = ChatCodexOAuth(**{**_emulator_params(emu or shared_emulator), **kwargs})
        made.append(model)
        return model

    yield make
    for model in made:
        await model.aclose()
