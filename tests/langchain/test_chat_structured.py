"""``with_structured_output`` with all three methods, every schema kind, ``include_raw`` and refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.exceptions import ModelRefusalError
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration
from langchain_oauth_codex import ChatCodexOAuth
from langchain_oauth_codex._structured import RefusalAwareJsonParser, RefusalAwarePydanticParser
from pydantic import BaseModel, Field
from pydantic.v1 import BaseModel as BaseModelV1
from typing_extensions import TypedDict

from oauth_codex.testing import CodexEmulator

Make = Callable[..., ChatCodexOAuth]
JSON_PROMPT = "Tell me a joke about cats. Return JSON with 'setup' and 'punchline' keys."


class Joke(BaseModel):
    """Joke to tell user."""

    setup: str = Field(description="question to set up a joke")
    punchline: str = Field(description="answer to resolve the joke")
    rating: int | None = Field(default=None, description="how funny, 1 to 10")


class JokeDict(TypedDict):
    """Joke to tell user."""

    setup: str
    punchline: str


class JokeV1(BaseModelV1):
    """Joke to tell user."""

    setup: str
    punchline: str


def _body(emu: CodexEmulator) -> dict[str, Any]:
    body = emu.responses_requests[-1].json
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_pydantic_schema_with_each_method(
    make_model: Make, shared_emulator: CodexEmulator, method: str
) -> None:
    chat = make_model().with_structured_output(Joke, method=method)  # type: ignore[arg-type]
    result = chat.invoke(JSON_PROMPT)
    assert isinstance(result, Joke) and result.setup and result.punchline
    body = _body(shared_emulator)
    assert "ls_structured_output_format" not in body
    if method == "json_schema":
        assert body["text"]["format"]["type"] == "json_schema"
        assert body["text"]["format"]["name"] == "Joke"
        assert body["tools"] == []
    elif method == "function_calling":
        assert body["tool_choice"] == {"type": "function", "name": "Joke"}
        assert body["parallel_tool_calls"] is False
        assert "text" not in body
    else:
        assert body["text"]["format"] == {"type": "json_object"}
    streamed = list(chat.stream(JSON_PROMPT))
    assert streamed and all(isinstance(item, Joke) for item in streamed)


@pytest.mark.parametrize("schema", [JokeDict, Joke.model_json_schema(), JokeV1])
@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_other_schema_kinds(make_model: Make, schema: Any, method: str) -> None:
    result = make_model().with_structured_output(schema, method=method).invoke(JSON_PROMPT)  # type: ignore[arg-type]
    if schema is JokeV1:
        assert isinstance(result, JokeV1)
    else:
        assert isinstance(result, dict) and {"setup", "punchline"} <= set(result)


def test_strict_json_schema(make_model: Make, shared_emulator: CodexEmulator) -> None:
    result = make_model().with_structured_output(Joke, strict=True).invoke(JSON_PROMPT)
    assert isinstance(result, Joke)
    fmt = _body(shared_emulator)["text"]["format"]
    assert fmt["strict"] is True
    assert fmt["schema"]["additionalProperties"] is False
    assert set(fmt["schema"]["required"]) == {"setup", "punchline", "rating"}


def test_json_schema_streams_partial_dicts(make_model: Make) -> None:
    chunks = list(make_model().with_structured_output(JokeDict).stream(JSON_PROMPT))
    assert len(chunks) > 1  # partial objects while the JSON streams in
    assert set(chunks[-1]) == {"setup", "punchline"}


async def test_async_structured_output(make_model: Make) -> None:
    chat = make_model().with_structured_output(Joke, method="function_calling")
    assert isinstance(await chat.ainvoke(JSON_PROMPT), Joke)
    items = [item async for item in chat.astream(JSON_PROMPT)]
    assert items and isinstance(items[-1], Joke)


def test_json_mode_without_schema_returns_a_dict(make_model: Make) -> None:
    result = make_model().with_structured_output(method="json_mode").invoke(JSON_PROMPT)
    assert isinstance(result, dict) and set(result) == {"setup", "punchline"}


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_include_raw(make_model: Make, method: str) -> None:
    chat = make_model().with_structured_output(Joke, method=method, include_raw=True)  # type: ignore[arg-type]
    out = chat.invoke(JSON_PROMPT)
    assert isinstance(out, dict)
    assert isinstance(out["raw"], AIMessage) and out["raw"].usage_metadata
    assert isinstance(out["parsed"], Joke) and out["parsing_error"] is None


def test_include_raw_reports_parsing_errors(make_model: Make, codex_emulator: CodexEmulator) -> None:
    codex_emulator.set_answer(text="not json at all")
    out = make_model(emu=codex_emulator).with_structured_output(Joke, include_raw=True).invoke(JSON_PROMPT)
    assert out["parsed"] is None  # type: ignore[index]
    assert out["parsing_error"] is not None  # type: ignore[index]
    assert out["raw"].text == "not json at all"  # type: ignore[index]


def test_structured_output_next_to_tools(make_model: Make, shared_emulator: CodexEmulator) -> None:
    def lookup(term: str) -> str:
        """Look a term up."""
        return term

    make_model().with_structured_output(Joke, tools=[lookup]).invoke(JSON_PROMPT)
    body = _body(shared_emulator)
    assert [t["name"] for t in body["tools"]] == ["lookup"]
    assert body["text"]["format"]["name"] == "Joke"


def test_bad_arguments_raise(make_model: Make) -> None:
    with pytest.raises(ValueError, match="Unknown method"):
        make_model().with_structured_output(Joke, method="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a schema"):
        make_model().with_structured_output(None)
    with pytest.raises(ValueError, match="Unexpected arguments"):
        make_model().with_structured_output(Joke, foo=1)


@pytest.mark.parametrize(
    "parser",
    [RefusalAwareJsonParser(), RefusalAwarePydanticParser(pydantic_object=Joke)],
    ids=["json", "pydantic"],
)
def test_refusals_raise_model_refusal_error(parser: Any) -> None:
    refused = AIMessage("", additional_kwargs={"refusal": "I can't help with that."})
    with pytest.raises(ModelRefusalError, match="I can't help with that") as info:
        parser.parse_result([ChatGeneration(message=refused)])
    assert info.value.raw_message is refused
    ok = AIMessage('{"setup": "a", "punchline": "b"}')
    assert parser.parse_result([ChatGeneration(message=ok)]) in (
        {"setup": "a", "punchline": "b"},
        Joke(setup="a", punchline="b"),
    )
