"""``ChatCodexOAuth(profile_name=)``: passed to the core client, identifying, reported in ``response_metadata``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_oauth_codex import ChatCodexOAuth

from oauth_codex import TokenData
from oauth_codex.auth import default_token_store
from oauth_codex.testing import CodexEmulator


@pytest.fixture
def emu() -> Iterator[CodexEmulator]:
    with CodexEmulator() as emulator:
        yield emulator


@pytest.fixture
def work(emu: CodexEmulator) -> TokenData:
    default_token_store(emu.oauth_config()).save(emu.login_tokens())
    tokens = emu.login_tokens(email="me@work.example", plan_type="team", workspace="Acme")
    default_token_store(emu.oauth_config(profile_name="work")).save(tokens)
    return tokens


MODEL = "gpt-5.4"


def model(emu: CodexEmulator, **kwargs: object) -> ChatCodexOAuth:
    return ChatCodexOAuth(
        model=MODEL, base_url=emu.base_url, oauth_config=emu.oauth_config(), interactive=False, **kwargs
    )


async def test_response_metadata_names_the_profile_and_account(emu: CodexEmulator, work: TokenData) -> None:
    llm = model(emu, profile_name="work")
    assert llm._identifying_params["profile_name"] == "work"
    assert llm.core_client.profile_name == "work"
    account = work.resolved_account_id()
    message = llm.invoke("hi")
    assert (message.response_metadata["profile_name"], message.response_metadata["account_id"]) == ("work", account)
    assert emu.responses_requests[-1].headers["chatgpt-account-id"] == account
    chunks = [chunk for chunk in llm.stream("hi")]
    final = sum(chunks[1:], chunks[0])
    assert isinstance(final, AIMessageChunk)
    assert (final.response_metadata["profile_name"], final.response_metadata["account_id"]) == ("work", account)
    amessage = await llm.ainvoke("hi")
    assert amessage.response_metadata["profile_name"] == "work"
    personal = await model(emu).ainvoke("hi")
    assert personal.response_metadata["profile_name"] == "default"
    assert personal.response_metadata["account_id"] != account
    dumped = repr(llm) + str(llm.model_dump()) + str(message) + str(llm._identifying_params)
    for secret in (work.access_token, work.refresh_token, work.id_token):
        assert secret and secret not in dumped
    await llm.aclose()


def test_a_bad_profile_name_fails_at_construction(emu: CodexEmulator) -> None:
    with pytest.raises(ValueError, match="profile_name='Work' is not a valid profile name"):
        model(emu, profile_name="Work")
