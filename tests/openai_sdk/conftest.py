"""Fixtures of the ``oauth_codex.openai`` tests: the real openai SDK against an emulator over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from oauth_codex import AccessToken, CodexOAuthLLM
from oauth_codex.openai import AsyncOpenAI, OpenAI
from oauth_codex.testing import CodexEmulator

MODEL = "gpt-5.5"


class CountingProvider:
    """Emulator-issued tokens behind the TokenProvider seam, counting the refreshes the client asks for."""

    def __init__(self, emu: CodexEmulator) -> None:
        self.emu = emu
        tokens = emu.login_tokens()
        self.token = AccessToken(tokens.access_token, tokens.account_id)
        self.refreshes = 0

    def get_token(self) -> AccessToken:
        return self.token

    async def aget_token(self) -> AccessToken:
        return self.token

    def force_refresh(self, rejected: AccessToken) -> AccessToken:
        self.refreshes += 1
        tokens = self.emu.login_tokens()
        self.token = AccessToken(tokens.access_token, tokens.account_id)
        return self.token

    async def aforce_refresh(self, rejected: AccessToken) -> AccessToken:
        return self.force_refresh(rejected)


@pytest.fixture
def emu() -> Iterator[CodexEmulator]:
    with CodexEmulator() as emulator:
        yield emulator


@pytest.fixture
def llm(emu: CodexEmulator) -> Iterator[CodexOAuthLLM]:
    core = emu.client(retry_backoff=0.001)
    yield core
    core.close()


@pytest.fixture
def counting(emu: CodexEmulator) -> CountingProvider:
    return CountingProvider(emu)


@pytest.fixture
def refreshing(emu: CodexEmulator, counting: CountingProvider) -> Iterator[OpenAI]:
    """A client whose token provider counts refreshes."""
    with OpenAI(llm=emu.client(token_provider=counting, retry_backoff=0.001)) as sdk:
        yield sdk


@pytest.fixture
def client(llm: CodexOAuthLLM) -> Iterator[OpenAI]:
    with OpenAI(llm=llm) as sdk:
        yield sdk


@pytest.fixture
async def aclient(llm: CodexOAuthLLM) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(llm=llm) as sdk:
        yield sdk
    await llm.aclose()
