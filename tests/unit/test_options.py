"""The per-call options: one declaration (GenerateOptions), shown in every signature, checked before any I/O."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest

from oauth_codex import AccessToken, CodexOAuthLLM, StaticTokenProvider
from oauth_codex._options import GenerateOptions, check_options

#: the options as the four methods have always spelled them (name -> default); adding one is deliberate
OPTIONS = {
    "model": None,
    "messages": None,
    "instructions": None,
    "tools": None,
    "tool_results": None,
    "tool_choice": None,
    "parallel_tool_calls": None,
    "response_format": None,
    "strict_output": False,
    "reasoning": None,
    "store": False,
    "text": None,
    "include": None,
    "prompt_cache_key": None,
    "previous_output": None,
}
OWN = {
    "generate": {"return_details": False},
    "agenerate": {"return_details": False},
    "generate_stream": {"raw_events": False},
    "agenerate_stream": {"raw_events": False},
}


def llm() -> CodexOAuthLLM:
    # a token provider that needs no login: every call below raises before it is asked for a token
    return CodexOAuthLLM(token_provider=StaticTokenProvider(AccessToken("t", "acct")), base_url="http://127.0.0.1:9")


async def call(method: str, **kwargs: Any) -> Any:
    result = getattr(llm(), method)(**kwargs)
    if inspect.isawaitable(result):
        return await result
    return result


@pytest.mark.parametrize("method", list(OWN))
def test_signature_lists_every_option_with_its_default(method: str) -> None:
    params = inspect.signature(getattr(CodexOAuthLLM, method)).parameters
    assert list(params)[:2] == ["self", "prompt"]
    keyword = {n: p.default for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keyword == {**OPTIONS, **OWN[method]}
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    assert params["reasoning"].annotation == "Mapping[str, Any] | None"


def test_the_typed_dict_is_the_list() -> None:
    assert list(GenerateOptions.__annotations__) == list(OPTIONS)
    hints = typing.get_type_hints(GenerateOptions)
    assert hints["store"] is bool and hints["model"] == str | None


@pytest.mark.parametrize("method", list(OWN))
async def test_a_misspelt_option_is_a_type_error_with_a_suggestion(method: str) -> None:
    with pytest.raises(TypeError, match=rf"{method}\(\) got an unexpected keyword argument 'reasonning'; "
                       r"did you mean 'reasoning'\?"):
        await call(method, prompt="x", reasonning={"effort": "low"})
    with pytest.raises(TypeError, match=r"'temperature'; the options are listed in help"):
        await call(method, prompt="x", temperature=0.2)


@pytest.mark.parametrize("method", ["generate_stream", "agenerate_stream"])
@pytest.mark.parametrize("value", [True, False])
async def test_return_details_on_a_stream_is_an_error_not_ignored(method: str, value: bool) -> None:
    with pytest.raises(TypeError, match=r"return_details is for generate\(\) and agenerate\(\) only.*raw_events=True"):
        await call(method, prompt="x", return_details=value)


@pytest.mark.parametrize("method", ["generate", "agenerate"])
async def test_raw_events_on_generate_is_an_error(method: str) -> None:
    with pytest.raises(TypeError, match=r"raw_events is for generate_stream\(\) and agenerate_stream\(\) only"):
        await call(method, prompt="x", raw_events=True)


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("store", "yes", "bool, not str"),
        ("strict_output", 1, "bool, not int"),
        ("parallel_tool_calls", "false", "bool, not str"),
        ("instructions", 5, "str, not int"),
        ("model", ["gpt-5.5"], "str, not list"),
        ("prompt_cache_key", 7, "str, not int"),
    ],
)
@pytest.mark.parametrize("method", list(OWN))
async def test_a_flag_or_string_of_the_wrong_type_is_a_type_error(
    method: str, option: str, value: Any, expected: str
) -> None:
    with pytest.raises(TypeError, match=rf"{method}\(\) option {option} must be {expected}"):
        await call(method, prompt="x", **{option: value})


def test_none_means_not_given_and_other_shapes_are_left_to_the_builder() -> None:
    check_options("generate", dict.fromkeys(OPTIONS))
    check_options("generate", {"tools": "not a list", "reasoning": 5, "tool_choice": object()})
    with pytest.raises(ValueError, match="must be a list"):
        llm().generate(prompt="x", tools="get_weather")  # type: ignore[arg-type]
