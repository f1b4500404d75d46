"""Fixtures for the client tests: an emulator (with the seed README's model) and a client wired to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oauth_codex import CodexOAuthLLM
from oauth_codex.testing import DEFAULT_MODELS, CodexEmulator

from .helpers import CountingProvider


@pytest.fixture
def emu() -> Iterator[CodexEmulator]:
    with CodexEmulator(models=[*DEFAULT_MODELS, "gpt-5.3-codex"]) as emulator:
        yield emulator


@pytest.fixture
def provider(emu: CodexEmulator) -> CountingProvider:
    return CountingProvider(emu)


@pytest.fixture
def llm(emu: CodexEmulator, provider: CountingProvider) -> Iterator[CodexOAuthLLM]:
    client = emu.client(token_provider=provider, retry_backoff=0.001)
    yield client
    client.close()
