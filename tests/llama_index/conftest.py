"""Fixtures for the LlamaIndex adapter: a CodexOAuth wired to the offline emulator, Settings kept clean."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from llama_index.core import Settings
from llama_index.llms.oauth_codex import CodexOAuth

if TYPE_CHECKING:
    from oauth_codex.testing import CodexEmulator

MakeLLM = Callable[..., CodexOAuth]


@pytest.fixture
def emu(codex_emulator: CodexEmulator) -> CodexEmulator:
    return codex_emulator


@pytest.fixture
async def make_llm(emu: CodexEmulator) -> AsyncIterator[MakeLLM]:
    """``make_llm(**fields)``: a CodexOAuth on a ready emulator client (HTTP clients closed afterwards)."""
    made: list[CodexOAuth] = []

    def make(**fields: Any) -> CodexOAuth:
        llm = CodexOAuth(client=emu.client(), **fields)
        made.append(llm)
        return llm

    yield make
    for llm in made:
        await llm.client.aclose()


@pytest.fixture
def llm(make_llm: MakeLLM) -> CodexOAuth:
    return make_llm(model="gpt-5.5")


@pytest.fixture
def clean_settings() -> Iterator[Any]:
    """``Settings`` for a test that sets ``Settings.llm``/``embed_model``; restored afterwards."""
    saved = dict(vars(Settings))
    try:
        yield Settings
    finally:
        vars(Settings).clear()
        vars(Settings).update(saved)


@pytest.fixture(autouse=True)
def _settings_do_not_leak() -> Iterator[None]:
    """No test of this package may leave a global ``Settings`` change behind."""
    before = dict(vars(Settings))
    yield
    assert dict(vars(Settings)) == before, "a test changed llama_index Settings without clean_settings"
