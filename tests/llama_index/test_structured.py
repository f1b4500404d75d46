"""Structured output through forced function calls: structured_predict & co., as_structured_llm."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from llama_index.llms.oauth_codex import CodexOAuth

    from oauth_codex.testing import CodexEmulator


class Album(BaseModel):
    """A music album."""

    title: str = Field(description="Album title")
    year: int = Field(description="Release year")
    tracks: list[str] = Field(default_factory=list, description="Track names")


PROMPT = PromptTemplate("Describe the album 'Kind of Blue' released in 1959 by {artist}.")


def assert_album(album: object) -> None:
    assert isinstance(album, Album)
    assert album.year == 1959
    assert album.title


def assert_forced_tool(emu: CodexEmulator) -> None:
    body = emu.responses_requests[-1].json
    assert body["tool_choice"] == "required"
    assert [tool["name"] for tool in body["tools"]] == ["Album"]


def test_structured_predict(llm: CodexOAuth, emu: CodexEmulator) -> None:
    assert_album(llm.structured_predict(Album, PROMPT, artist="Miles Davis"))
    assert_forced_tool(emu)


async def test_astructured_predict(llm: CodexOAuth, emu: CodexEmulator) -> None:
    assert_album(await llm.astructured_predict(Album, PROMPT, artist="Miles Davis"))
    assert_forced_tool(emu)


def test_stream_structured_predict(llm: CodexOAuth, emu: CodexEmulator) -> None:
    partials = list(llm.stream_structured_predict(Album, PROMPT, artist="Miles Davis"))
    assert len(partials) > 1
    assert_album(partials[-1])
    assert_forced_tool(emu)  # the streaming program would otherwise send tool_choice="auto"


async def test_astream_structured_predict(llm: CodexOAuth, emu: CodexEmulator) -> None:
    stream = await llm.astream_structured_predict(Album, PROMPT, artist="Miles Davis")
    partials = [partial async for partial in stream]
    assert_album(partials[-1])
    assert_forced_tool(emu)


def test_structured_predict_honours_an_explicit_tool_choice(llm: CodexOAuth, emu: CodexEmulator) -> None:
    partials = list(
        llm.stream_structured_predict(
            Album, PROMPT, llm_kwargs={"tool_choice": "Album"}, artist="Miles Davis"
        )
    )
    assert_album(partials[-1])
    assert emu.responses_requests[-1].json["tool_choice"] == {"type": "function", "name": "Album"}


def test_as_structured_llm_complete_and_chat(llm: CodexOAuth) -> None:
    structured = llm.as_structured_llm(Album)
    completion = structured.complete("Describe the album 'Kind of Blue' from 1959")
    assert_album(completion.raw)
    assert Album.model_validate_json(completion.text).year == 1959
    chat = structured.chat([ChatMessage(role="user", content="Describe 'Kind of Blue' (1959)")])
    assert_album(chat.raw)


async def test_as_structured_llm_async(llm: CodexOAuth) -> None:
    response = await llm.as_structured_llm(Album).acomplete("Describe the album 'Kind of Blue' from 1959")
    assert_album(response.raw)


def multiply(a: int, b: int) -> int:
    """Multiply two integers a and b."""
    return a * b


def test_predict_and_call(llm: CodexOAuth, emu: CodexEmulator) -> None:
    response = llm.predict_and_call([FunctionTool.from_defaults(fn=multiply)], user_msg="multiply 6 and 7")
    assert response.response == "42"
    assert response.sources[0].raw_input == {"args": (), "kwargs": {"a": 6, "b": 7}}


async def test_apredict_and_call_with_a_pydantic_tool(llm: CodexOAuth) -> None:
    tool = FunctionTool.from_defaults(fn=lambda **kw: Album(**kw), name="Album", fn_schema=Album)
    response = await llm.apredict_and_call(
        [tool], user_msg="Describe 'Kind of Blue' from 1959", tool_required=True
    )
    assert_album(response.sources[0].raw_output)


def test_as_structured_llm_streams_partial_objects(llm: CodexOAuth, emu: CodexEmulator) -> None:
    messages = [ChatMessage(role="user", content="Describe the album 'Kind of Blue' from 1959")]
    responses = list(llm.as_structured_llm(Album).stream_chat(messages))
    assert_album(responses[-1].raw)
    assert_forced_tool(emu)


@pytest.mark.parametrize("method", ["structured_predict", "astructured_predict"])
async def test_non_streaming_structured_predict_honours_an_explicit_tool_choice(
    llm: CodexOAuth, emu: CodexEmulator, method: str
) -> None:
    """An explicit llm_kwargs tool_choice reaches the wire (issue 12 §4); "required" is only the default."""
    call = getattr(llm, method)
    result = call(Album, PROMPT, llm_kwargs={"tool_choice": "Album"}, artist="Miles Davis")
    if method.startswith("a"):
        result = await result
    assert_album(result)
    assert emu.responses_requests[-1].json["tool_choice"] == {"type": "function", "name": "Album"}
