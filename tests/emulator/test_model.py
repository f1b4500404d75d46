"""The scripted model as pure functions: tool choice, argument filling, JSON output, text, usage."""

from __future__ import annotations

import itertools
import json
from typing import Any

import jsonschema
import pytest

from oauth_codex.testing._model import AnswerSettings, ModelTurn, run_model, tool_mentioned
from oauth_codex.testing._schema import PromptFacts, fill_schema

from .helpers import body, user


def run(payload: dict[str, Any], answer: AnswerSettings | None = None, cached: int = 0) -> ModelTurn:
    counter = itertools.count()
    return run_model(
        payload,
        answer=answer or AnswerSettings(),
        new_id=lambda prefix: f"{prefix}{next(counter):04d}",
        seal=lambda payload: "gAAAAB" + json.dumps(payload),
        cached_tokens=cached,
    )


def tool(name: str, properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    params = {"type": "object", "properties": properties, "required": required or list(properties)}
    return {"type": "function", "name": name, "description": "", "parameters": params}


def calls(turn: ModelTurn) -> list[tuple[str, Any]]:
    return [
        (p.item["name"], json.loads(p.item["arguments"]))
        for p in turn.outputs
        if p.item["type"] == "function_call"
    ]


def text(turn: ModelTurn) -> str:
    messages = [p.item for p in turn.outputs if p.item["type"] == "message"]
    return str(messages[0]["content"][0]["text"]) if messages else ""


MAGIC = tool("magic_function", {"input": {"type": "integer"}})
WEATHER = tool("get_weather", {"city": {"type": "string"}})
TIME = tool("get_time", {"timezone": {"type": "string"}})
CUSTOMER = tool("unicode_customer", {"customer_name": {"type": "string"}, "description": {"type": "string"}})


# ---------------------------------------------------------------------------------------- tool choice


def test_langchain_magic_function_gets_the_integer() -> None:
    turn = run(body("What is the value of magic_function(3)? Use the tool.", tools=[MAGIC]))
    assert calls(turn) == [("magic_function", {"input": 3})]


def test_call_magic_function_with_input() -> None:
    assert calls(run(body("call magic_function with input 3", tools=[MAGIC]))) == [
        ("magic_function", {"input": 3})
    ]


def test_weather_question_calls_get_weather_with_the_city() -> None:
    turn = run(body("What is the weather in Seoul?", tools=[WEATHER]))
    assert calls(turn) == [("get_weather", {"city": "Seoul"})]


def test_unicode_quoted_entity() -> None:
    prompt = "Create a customer named '你好啊集团' (Hello Group) - a Chinese technology company"
    turn = run(body(prompt, tools=[CUSTOMER], tool_choice={"type": "function", "name": "unicode_customer"}))
    ((name, args),) = calls(turn)
    assert name == "unicode_customer" and args["customer_name"] == "你好啊集团"
    assert isinstance(args["description"], str) and args["description"]


@pytest.mark.parametrize(
    ("prompt", "strings", "numbers"),
    [
        ("Say hi to 你好 please", ["你好"], []),
        ("What's the weather in San Francisco, CA?", ["San Francisco", "CA"], []),
        ("Hi! I am Bob.", ["Bob"], []),
        ("Book Paris on 2024-05-01 for 2 adults at -3 degrees", ["Paris"], [2, -3]),
    ],
)
def test_prompt_facts(prompt: str, strings: list[str], numbers: list[float]) -> None:
    facts = PromptFacts.from_text(prompt)
    assert (facts.strings, facts.numbers) == (strings, numbers)


def test_auto_without_a_matching_tool_answers_in_text() -> None:
    turn = run(body("Tell me a joke", tools=[WEATHER, MAGIC]))
    assert calls(turn) == [] and "Tell me a joke" in text(turn)


def test_use_the_tool_calls_the_first_tool() -> None:
    turn = run(body("Please use the tool to answer: what is 2 + 5?", tools=[MAGIC, WEATHER]))
    assert calls(turn) == [("magic_function", {"input": 2})]


def test_none_never_calls() -> None:
    assert calls(run(body("weather in Paris", tools=[WEATHER], tool_choice="none"))) == []


def test_required_calls_the_first_tool_when_none_matches() -> None:
    assert [c[0] for c in calls(run(body("hello", tools=[MAGIC, WEATHER], tool_choice="required")))] == [
        "magic_function"
    ]


def test_named_choice_calls_that_tool() -> None:
    choice = {"type": "function", "name": "get_weather"}
    assert [c[0] for c in calls(run(body("hello", tools=[MAGIC, WEATHER], tool_choice=choice)))] == [
        "get_weather"
    ]


def test_required_without_tools_answers_normally() -> None:
    assert text(run(body("hello", tool_choice="required")))


def test_parallel_calls_only_when_allowed() -> None:
    prompt = "What's the weather in Paris and the time in Tokyo?"
    both = run(body(prompt, tools=[WEATHER, TIME], parallel_tool_calls=True))
    assert calls(both) == [("get_weather", {"city": "Paris"}), ("get_time", {"timezone": "Tokyo"})]
    ids = [p.item["call_id"] for p in both.outputs]
    assert len(set(ids)) == 2 and all(i.startswith("call_") for i in ids)
    one = run(body(prompt, tools=[WEATHER, TIME], parallel_tool_calls=False))
    assert [c[0] for c in calls(one)] == ["get_weather"]


def test_arguments_stream_in_several_deltas() -> None:
    turn = run(body("weather in Seoul", tools=[WEATHER]))
    plan = turn.outputs[0]
    assert len(plan.deltas) >= 2 and "".join(plan.deltas) == plan.item["arguments"]


def test_tool_names_match_words_not_substrings() -> None:
    assert tool_mentioned("get_weather", "Is the weather nice?")
    assert tool_mentioned("greeting_generator", "Using the tool, generate a Pirate greeting.")
    assert not tool_mentioned("get_weather", "Tell me about whetherness")


# ------------------------------------------------------------------------------------ after outputs


def test_after_tool_outputs_the_answer_uses_them() -> None:
    history = [
        user("What is the weather in Seoul?"),
        {
            "type": "function_call",
            "name": "get_weather",
            "arguments": '{"city":"Seoul"}',
            "call_id": "call_1",
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "Sunny in Seoul"},
    ]
    turn = run(body(input=history, tools=[WEATHER]))
    assert calls(turn) == []
    assert "get_weather returned: Sunny in Seoul" in text(turn)


def test_outputs_as_content_parts() -> None:
    history = [
        user("weather?"),
        {"type": "function_call", "name": "get_weather", "arguments": "{}", "call_id": "c"},
        {"type": "function_call_output", "call_id": "c", "output": [{"type": "input_text", "text": "Rainy"}]},
    ]
    assert "Rainy" in text(run(body(input=history, tools=[WEATHER])))


def test_new_user_turn_after_outputs_may_call_again() -> None:
    history = [
        user("weather in Seoul?"),
        {"type": "function_call", "name": "get_weather", "arguments": "{}", "call_id": "c"},
        {"type": "function_call_output", "call_id": "c", "output": "Sunny"},
        user("And the weather in Paris?"),
    ]
    assert calls(run(body(input=history, tools=[WEATHER]))) == [("get_weather", {"city": "Paris"})]


# ---------------------------------------------------------------------------------------------- JSON

SCHEMA: dict[str, Any] = {
    "$defs": {
        "Address": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "zip": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
            "required": ["city", "zip"],
            "additionalProperties": False,
        },
        "Kind": {"type": "string", "enum": ["person", "company"]},
    },
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "score": {"type": "number"},
        "kind": {"$ref": "#/$defs/Kind"},
        "active": {"type": "boolean"},
        "address": {"$ref": "#/$defs/Address"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "nickname": {"anyOf": [{"type": "null"}, {"type": "string"}]},
        "mode": {"type": "string", "enum": ["fast", "slow"]},
    },
    "required": ["name", "age", "score", "kind", "active", "address", "tags", "nickname", "mode"],
    "additionalProperties": False,
}


def test_json_schema_output_is_valid() -> None:
    fmt = {"type": "json_schema", "name": "person", "strict": True, "schema": SCHEMA}
    turn = run(body("Describe 'Ada Lovelace', aged 36, from London; go slow.", text={"format": fmt}))
    value = json.loads(text(turn))
    jsonschema.validate(value, SCHEMA)
    assert value["name"] == "Ada Lovelace" and value["age"] == 36 and value["mode"] == "slow"
    assert value["kind"] == "person"


@pytest.mark.parametrize(
    ("prompt", "keys"),
    [
        (
            "Tell me a joke about cats. Return the result as a JSON with 'setup' and 'punchline' keys. "
            "Return nothing other than JSON.",
            ["setup", "punchline"],
        ),
        ("Return valid JSON with title and summary", ["title", "summary"]),
        ("Answer in JSON.", ["answer"]),
    ],
)
def test_json_object_uses_the_keys_the_prompt_names(prompt: str, keys: list[str]) -> None:
    value = json.loads(text(run(body(prompt, text={"format": {"type": "json_object"}}))))
    assert list(value) == keys and all(isinstance(v, str) and v for v in value.values())


def test_fill_schema_defaults_and_bounds() -> None:
    facts = PromptFacts.from_text("nothing useful here")
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "default": 7},
            "m": {"type": "integer", "minimum": 5},
            "s": {"type": "string", "default": "dflt"},
            "when": {"type": "string", "format": "date"},
            "obj": {"type": "object"},
            "c": {"const": "fixed"},
        },
    }
    assert fill_schema(schema, facts) == {
        "n": 7,
        "m": 5,
        "s": "dflt",
        "when": "2025-01-01",
        "obj": {},
        "c": "fixed",
    }


# -------------------------------------------------------------------------------------- text, usage


def test_text_reflects_the_last_user_message_and_is_deterministic() -> None:
    payload = body("Explain PKCE in 3 bullets.")
    first, second = run(payload), run(payload)
    assert 'Emulator reply to: "Explain PKCE in 3 bullets."' == text(first) == text(second)
    assert first.usage == second.usage


def test_string_and_part_list_content() -> None:
    as_string = {"role": "user", "content": "plain string"}
    assert "plain string" in text(run(body(input=[as_string])))


def test_answer_length_is_configurable() -> None:
    turn = run(body("hi"), AnswerSettings(deltas=50))
    plan = turn.outputs[0]
    assert len(plan.deltas) == 50 and "".join(plan.deltas) == text(turn)
    short = run(body("a much longer prompt with many words in it"), AnswerSettings(deltas=2))
    assert len(short.outputs[0].deltas) == 2


def test_usage_invariants() -> None:
    turn = run(body("hi", reasoning={"effort": "high"}), cached=10_000)
    usage = turn.usage
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens_details"]["cached_tokens"] == usage["input_tokens"]
    assert 0 < usage["output_tokens_details"]["reasoning_tokens"] <= usage["output_tokens"]
