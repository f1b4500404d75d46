"""``chat.completions`` and ``models`` of the real openai SDK through ``oauth_codex.openai`` (emulator, loopback)."""

from __future__ import annotations

import json
import warnings

import openai
import pytest
from pydantic import BaseModel

from oauth_codex import UsageLimitError
from oauth_codex.openai import AsyncOpenAI, OpenAI
from oauth_codex.testing import CodexEmulator

MODEL = "gpt-5.5"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def test_chat_text_is_a_chat_completion(client: OpenAI, emu: CodexEmulator) -> None:
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello chat"}],
    )
    (choice,) = completion.choices
    assert choice.message.role == "assistant"
    assert choice.message.content == 'Emulator reply to: "hello chat"'
    assert choice.finish_reason == "stop" and choice.message.tool_calls is None
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    body = emu.responses_requests[-1].json
    assert body["instructions"] == "Be brief." and body["store"] is False


def test_chat_tools_round_trip(client: OpenAI, emu: CodexEmulator) -> None:
    messages: list[dict[str, object]] = [{"role": "user", "content": "What is the weather in Oslo?"}]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER])  # type: ignore[arg-type]
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Oslo"}

    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "Snow, -3C"})
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER])  # type: ignore[arg-type]
    assert "Snow, -3C" in (second.choices[0].message.content or "")
    assert emu.responses_requests[-1].json["tools"][0]["name"] == "get_weather"


def test_chat_streaming_with_tools_and_usage(client: OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "weather in Rome please"}],
            tools=[WEATHER],  # type: ignore[list-item]
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    calls = [c for chunk in chunks if chunk.choices for c in chunk.choices[0].delta.tool_calls or []]
    assert calls[0].id and calls[0].function and calls[0].function.name == "get_weather"
    arguments = "".join(c.function.arguments or "" for c in calls if c.function)
    assert json.loads(arguments) == {"city": "Rome"}
    finishes = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices]
    assert finishes[-1] == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


async def test_async_chat_streaming_text(aclient: AsyncOpenAI) -> None:
    stream = await aclient.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "async chat"}], stream=True
    )
    text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
    assert text == 'Emulator reply to: "async chat"'


class Answer(BaseModel):
    city: str
    temperature: int


def test_chat_response_format_and_parse(client: OpenAI, emu: CodexEmulator) -> None:
    parsed = client.chat.completions.parse(
        model=MODEL, messages=[{"role": "user", "content": "Weather in 'Nice'"}], response_format=Answer
    )
    assert isinstance(parsed.choices[0].message.parsed, Answer)
    assert emu.responses_requests[-1].json["text"]["format"]["type"] == "json_schema"

    raw = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Give a JSON object with keys 'a' and 'b'"}],
        response_format={"type": "json_object"},
    )
    assert set(json.loads(raw.choices[0].message.content or "{}")) == {"a", "b"}


def test_chat_drops_sampling_parameters_with_a_warning(client: OpenAI, emu: CodexEmulator) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], temperature=0, max_tokens=20, seed=1
        )
    assert sorted(str(w.message).split("`")[1] for w in caught) == ["max_tokens", "seed", "temperature"]
    assert not {"temperature", "max_tokens", "seed"} & set(emu.responses_requests[-1].json)


@pytest.mark.parametrize(
    ("option", "value", "match"),
    [
        ("n", 2, "n= must be 1"),
        ("stop", ["END"], "stop sequences"),
        ("logprobs", True, "log probabilities"),
    ],
)
def test_chat_options_that_cannot_map_are_clear_errors(
    client: OpenAI, emu: CodexEmulator, option: str, value: object, match: str
) -> None:
    with pytest.raises(openai.BadRequestError, match=match) as caught:
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "hi"}],
            **{option: value},  # type: ignore[arg-type]
        )
    assert isinstance(caught.value.__cause__, ValueError)
    assert emu.responses_requests == []


def test_chat_usage_limit_and_function_role(client: OpenAI, emu: CodexEmulator) -> None:
    emu.usage_limit()
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert isinstance(caught.value.__cause__, UsageLimitError)
    with pytest.raises(openai.BadRequestError, match="unknown role 'function'"):
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "function", "name": "f", "content": "x"}],  # type: ignore[list-item]
        )


def test_models_list_and_retrieve_come_from_the_catalog(client: OpenAI, emu: CodexEmulator) -> None:
    models = list(client.models.list())
    ids = [model.id for model in models]
    assert ids == [m.slug for m in client.llm.list_models()]
    assert models[0].context_window == client.llm.list_models()[0].context_window  # type: ignore[attr-defined]
    assert client.models.retrieve(ids[0]).id == ids[0]
    with pytest.raises(openai.NotFoundError, match="models.list"):
        client.models.retrieve("gpt-0-nonexistent")
    assert all(r.path.endswith("/models") for r in emu.requests)


async def test_async_models_list(aclient: AsyncOpenAI) -> None:
    ids = [model.id async for model in aclient.models.list()]
    assert MODEL in ids
