"""Which login answered: ``GenerateResult.profile_name`` / ``account_id`` and ``CodexOAuthLLM(profile_name=)``."""

from __future__ import annotations

import asyncio

import pytest

from oauth_codex import CodexOAuthLLM, GenerateResult, OAuthConfig, ResponseAccumulator, StreamEvent, TokenData
from oauth_codex.auth import default_token_store
from oauth_codex.testing import CodexEmulator


@pytest.fixture
def logins(emu: CodexEmulator) -> dict[str, TokenData]:
    """Two profiles in the emulator's private home: ``default`` (personal) and ``work`` (a team workspace)."""
    made = {
        "default": emu.login_tokens(),
        "work": emu.login_tokens(email="me@work.example", plan_type="team", workspace="Acme"),
    }
    for name, tokens in made.items():
        default_token_store(emu.oauth_config(profile_name=name)).save(tokens)
    return made


def client(emu: CodexEmulator, **kwargs: object) -> CodexOAuthLLM:
    return CodexOAuthLLM(base_url=emu.base_url, oauth_config=emu.oauth_config(), interactive=False, **kwargs)  # type: ignore[arg-type]


def no_token_in(result: GenerateResult, *logins: TokenData) -> None:
    dumped = result.model_dump_json()
    for tokens in logins:
        for secret in (tokens.access_token, tokens.refresh_token, tokens.id_token):
            assert secret and secret not in dumped


def test_the_result_names_the_profile_and_account_that_answered(
    emu: CodexEmulator, logins: dict[str, TokenData]
) -> None:
    with client(emu, profile_name="work") as work, client(emu) as personal:
        assert work.profile_name == "work" and personal.profile_name == "default"
        answer = work.generate("hi", return_details=True)
        assert (answer.profile_name, answer.account_id) == ("work", logins["work"].resolved_account_id())
        assert emu.responses_requests[-1].headers["chatgpt-account-id"] == logins["work"].resolved_account_id()
        other = personal.generate("hi", return_details=True)
        assert (other.profile_name, other.account_id) == ("default", logins["default"].resolved_account_id())
        assert work.last_account_id == logins["work"].resolved_account_id()
        no_token_in(answer, *logins.values())
        # raw events fed to a caller-side accumulator carry no identity; the client's own result does
        acc = ResponseAccumulator()
        for event in work.generate_stream("hi", raw_events=True):
            assert isinstance(event, StreamEvent)
            acc.add(event)
        assert acc.result().profile_name is None and work.last_account_id == answer.account_id


def test_async_results_and_the_environment_selection(emu: CodexEmulator, logins: dict[str, TokenData]) -> None:
    config = OAuthConfig.from_env(env={**emu.env(), "CODEX_OAUTH_PROFILE": "work"}, issuer=emu.issuer)

    async def run() -> GenerateResult:
        async with CodexOAuthLLM(base_url=emu.base_url, oauth_config=config, interactive=False) as llm:
            return await llm.agenerate("hi", return_details=True)

    result = asyncio.run(run())
    assert (result.profile_name, result.account_id) == ("work", logins["work"].resolved_account_id())


def test_a_custom_store_has_no_profile_but_still_an_account(emu: CodexEmulator) -> None:
    with emu.client() as llm:
        result = llm.generate("hi", return_details=True)
    assert result.profile_name is None and result.account_id == emu.login_tokens().resolved_account_id()
    with emu.client(profile_name="label") as labelled:  # with an explicit store the name is a label
        assert labelled.generate("hi", return_details=True).profile_name == "label"


def test_a_bad_profile_name_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="profile_name='Work' is not a valid profile name"):
        CodexOAuthLLM(profile_name="Work")
