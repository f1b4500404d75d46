"""The pure request builder: messages and options -> Responses body and headers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from oauth_codex import AccessToken
from oauth_codex._request import (
    DEFAULT_INSTRUCTIONS,
    RequestOptions,
    build_body,
    build_headers,
    convert_messages,
    response_format_to_text_format,
    user_agent,
)
from oauth_codex._version import __version__


def body(**kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("model", "gpt-5.5")
    return build_body(RequestOptions(**kwargs), session_id="sess-1")


def test_prompt_only_defaults() -> None:
    b = body(prompt="hi")
    assert b == {
        "model": "gpt-5.5",
        "instructions": DEFAULT_INSTRUCTIONS,
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "sess-1",
    }
    json.dumps(b)  # serialisable


def test_default_instructions_of_the_client_win_over_builtin() -> None:
    b = build_body(RequestOptions(model="m", prompt="x"), default_instructions="Be terse.", session_id="s")
    assert b["instructions"] == "Be terse."


def test_system_and_developer_messages_are_lifted_into_instructions() -> None:
    b = body(
        messages=[
            {"role": "system", "content": "Rule one."},
            {"role": "user", "content": "hi"},
            {"role": "developer", "content": [{"type": "text", "text": "Rule two."}]},
        ],
        instructions="Base.",
    )
    assert b["instructions"] == "Base.\n\nRule one.\n\nRule two."
    assert [i["role"] for i in b["input"]] == ["user"]


def test_prompt_is_appended_after_messages() -> None:
    b = body(messages=[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], prompt="c")
    assert b["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "b"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "c"}]},
    ]


def test_user_parts_and_images() -> None:
    _, items = convert_messages(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA", "detail": "low"}},
                    {"type": "image_url", "image_url": "https://x/y.png"},
                    {
                        "type": "input_file",
                        "file_data": "data:application/pdf;base64,AA",
                        "filename": "a.pdf",
                    },
                    "plain",
                ],
            }
        ]
    )
    assert items[0]["content"] == [
        {"type": "input_text", "text": "look"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAA", "detail": "low"},
        {"type": "input_image", "image_url": "https://x/y.png"},
        {"type": "input_file", "file_data": "data:application/pdf;base64,AA", "filename": "a.pdf"},
        {"type": "input_text", "text": "plain"},
    ]


def test_assistant_tool_calls_and_tool_messages() -> None:
    _, items = convert_messages(
        [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "w", "arguments": '{"c":"Seoul"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "w", "arguments": {"c": "Paris"}},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "rain"}]},
        ]
    )
    assert items[1:] == [
        {"type": "function_call", "call_id": "call_1", "name": "w", "arguments": '{"c":"Seoul"}'},
        {"type": "function_call", "call_id": "call_2", "name": "w", "arguments": '{"c": "Paris"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        {
            "type": "function_call_output",
            "call_id": "call_2",
            "output": [{"type": "input_text", "text": "rain"}],
        },
    ]


def test_raw_items_pass_through_without_server_ids() -> None:
    reasoning = {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "gAAA"}
    call = {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"}
    _, items = convert_messages([reasoning, call])
    assert items == [
        {"type": "reasoning", "summary": [], "encrypted_content": "gAAA"},
        {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
    ]
    assert "id" in reasoning  # input not mutated


def test_tool_results_replay_previous_output_before_outputs() -> None:
    previous = [
        {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "enc"},
        {"id": "rs_2", "type": "reasoning", "summary": []},  # no encrypted content: cannot be replayed
        {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "w", "arguments": "{}"},
    ]
    b = body(
        messages=[{"role": "user", "content": "q"}],
        tool_results=[{"tool_call_id": "call_1", "name": "w", "output": {"temp": 20}}],
        previous_output=previous,
    )
    assert b["input"][1:] == [
        {"type": "reasoning", "summary": [], "encrypted_content": "enc"},
        {"type": "function_call", "call_id": "call_1", "name": "w", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": '{"temp": 20}'},
    ]


def test_previous_output_not_duplicated_when_messages_carry_the_calls() -> None:
    b = body(
        messages=[
            {"role": "user", "content": "q"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "call_1", "function": {"name": "w", "arguments": "{}"}}],
            },
        ],
        tool_results=[{"tool_call_id": "call_1", "output": "x"}],
        previous_output=[{"type": "function_call", "call_id": "call_1", "name": "w", "arguments": "{}"}],
    )
    assert [i["type"] for i in b["input"]] == ["message", "function_call", "function_call_output"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "prompt"),
        ({"messages": []}, "prompt"),
        ({"prompt": 3}, "prompt must be a string"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "unknown role 'robot'"),
        ({"messages": [{"content": "x"}]}, "has no 'role'"),
        ({"messages": ["hi"]}, "must be a dict"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "without 'tool_call_id'"),
        ({"messages": [{"role": "user", "content": [{"type": "audio_url"}]}]}, "unsupported content part"),
        ({"messages": [{"role": "system", "content": [{"type": "image_url"}]}]}, "only contain text"),
        ({"prompt": "x", "tool_results": [{"output": "y"}]}, "no 'tool_call_id'"),
        ({"prompt": "x", "model": ""}, "model must be"),
        ({"messages": {"role": "user", "content": "x"}}, "must be a list"),
        ({"prompt": "x", "response_format": 3}, "response_format must be"),
        (
            {"prompt": "x", "messages": [{"role": "assistant", "tool_calls": [{"function": {}}]}]},
            "needs an 'id'",
        ),
    ],
)
def test_bad_input_raises_value_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        body(**kwargs)


def test_options_wire_form() -> None:
    b = body(
        prompt="x",
        tool_choice={"type": "function", "function": {"name": "w"}},
        parallel_tool_calls=True,
        reasoning={"effort": "high", "summary": "auto"},
        text={"verbosity": "low"},
        response_format={"type": "json_object"},
        include=[],
        prompt_cache_key="conv-9",
    )
    assert b["tool_choice"] == {"type": "function", "name": "w"}
    assert b["parallel_tool_calls"] is True
    assert b["reasoning"] == {"effort": "high", "summary": "auto"}
    assert b["store"] is False
    assert b["text"] == {"verbosity": "low", "format": {"type": "json_object"}}
    assert b["include"] == []
    assert b["prompt_cache_key"] == "conv-9"


def test_tool_choice_strings_pass_as_is() -> None:
    assert body(prompt="x", tool_choice="required")["tool_choice"] == "required"
    assert body(prompt="x", tool_choice="none")["tool_choice"] == "none"


class Answer(BaseModel):
    title: str
    tags: list[str] = []
    score: float | None = None


def test_pydantic_response_format_is_strict_json_schema() -> None:
    fmt = response_format_to_text_format(Answer)
    assert fmt["type"] == "json_schema"
    assert fmt["name"] == "Answer"
    assert fmt["strict"] is True
    schema = fmt["schema"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["title", "tags", "score"]


def test_chat_completions_json_schema_is_flattened() -> None:
    fmt = response_format_to_text_format(
        {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}, "strict": True}}
    )
    strict_object = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
    assert fmt == {"type": "json_schema", "name": "x", "schema": strict_object, "strict": True}


def test_headers() -> None:
    headers = build_headers(AccessToken("tok", "acct-1"), session_id="sess-1", originator="codex_cli_rs")
    assert headers["Authorization"] == "Bearer tok"
    assert headers["ChatGPT-Account-ID"] == "acct-1"
    assert headers["Accept"] == "text/event-stream"
    assert headers["originator"] == "codex_cli_rs"
    assert headers["session_id"] == "sess-1"
    assert headers["OpenAI-Beta"] == "responses=experimental"
    assert headers["User-Agent"].startswith(f"oauth-codex/{__version__} (")
    assert "ChatGPT-Account-ID" not in build_headers(AccessToken("tok"), session_id="s")
    assert user_agent() == headers["User-Agent"]


def test_strict_output_marks_tools_strict() -> None:
    def add(a: int, b: int = 2) -> int:
        return a + b

    tools = body(prompt="x", tools=[add], strict_output=True)["tools"]
    assert tools[0]["strict"] is True
    assert tools[0]["parameters"]["required"] == ["a", "b"]
    assert tools[0]["parameters"]["additionalProperties"] is False


def test_store_true_is_refused_before_sending() -> None:
    # audit CODEX-2026-12 §2, ranked mismatch 5: store=true is a guaranteed 400 on the ChatGPT backend
    with pytest.raises(ValueError, match="store=True is not supported"):
        body(prompt="x", store=True)


@pytest.mark.parametrize(("given", "sent"), [("ultra", "max"), ("max", "max"), ("high", "high")])
def test_ultra_effort_is_sent_as_max(given: str, sent: str) -> None:
    # audit §2 / ranked mismatch 7: the CLI maps ultra to max; the backend rejects ultra
    assert body(prompt="x", reasoning={"effort": given, "summary": "auto"})["reasoning"] == {
        "effort": sent,
        "summary": "auto",
    }


def test_a_strict_dict_response_format_is_made_strict_valid() -> None:
    """A strict schema without additionalProperties/all-required gets a 400 from the backend (issue 12 §3)."""
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}
    for given in (
        {"type": "json_schema", "name": "x", "strict": True, "schema": schema},
        {"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": schema}},
    ):
        fmt = response_format_to_text_format(given)
        assert fmt["schema"]["additionalProperties"] is False and fmt["schema"]["required"] == ["a", "b"]
    loose = response_format_to_text_format({"type": "json_schema", "name": "x", "schema": schema})
    assert loose["schema"] == schema  # not strict: sent as given
