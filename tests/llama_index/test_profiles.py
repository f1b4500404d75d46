"""``CodexOAuth(profile_name=)``: passed to the core client and reported in ``additional_kwargs``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.llms.oauth_codex import CodexOAuth

from oauth_codex import TokenData
from oauth_codex.auth import default_token_store
from oauth_codex.testing import CodexEmulator


@pytest.fixture
def emu() -> Iterator[CodexEmulator]:
    with CodexEmulator() as emulator:
        yield emulator


@pytest.fixture
def work(emu: CodexEmulator) -> TokenData:
    tokens = emu.login_tokens(email="me@work.example", plan_type="team", workspace="Acme")
    default_token_store(emu.oauth_config(profile_name="work")).save(tokens)
    return tokens


async def test_chat_and_streams_name_the_profile_and_account(emu: CodexEmulator, work: TokenData) -> None:
    llm = CodexOAuth(base_url=emu.base_url, oauth_config=emu.oauth_config(), interactive=False, profile_name="work")
    assert llm.profile_name == "work" and llm.client.profile_name == "work"
    account = work.resolved_account_id()
    messages = [ChatMessage(role="user", content="hi")]
    for response in (
        llm.chat(messages),
        list(llm.stream_chat(messages))[-1],
        await llm.achat(messages),
        [r async for r in await llm.astream_chat(messages)][-1],
    ):
        assert (response.additional_kwargs["profile_name"], response.additional_kwargs["account_id"]) == (
            "work",
            account,
        )
    assert {r.headers["chatgpt-account-id"] for r in emu.responses_requests} == {account}
    dumped = str(llm.to_dict()) + repr(llm)
    assert "'profile_name': 'work'" in str(llm.to_dict())
    for secret in (work.access_token, work.refresh_token, work.id_token):
        assert secret and secret not in dumped
    await llm.aclose()


def test_a_bad_profile_name_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="profile_name='Work' is not a valid profile name"):
        CodexOAuth(profile_name="Work")
