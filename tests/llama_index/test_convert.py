"""Pure LlamaIndex <-> core mapping (no I/O): messages, reasoning replay, tools, tool choice, tool calls."""

from __future__ import annotations

import base64
import json

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ChatResponse,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.tools import FunctionTool
from llama_index.llms.oauth_codex._convert import (
    arguments_to_kwargs,
    complete_partial_json,
    reasoning_item_from_block,
    thinking_block_from_item,
    to_core_messages,
    to_tool_specs,
    tool_selections,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def lookup(city: str, unit: str = "C") -> str:
    """Look up the weather of a city."""
    return f"22{unit} in {city}"


# --------------------------------------------------------------------------- messages


def test_system_and_developer_messages_are_lifted_into_instructions() -> None:
    instructions, messages = to_core_messages(
        [
            ChatMessage(role="system", content="Be terse."),
            ChatMessage(role="user", content="hi"),
            ChatMessage(role="developer", content="Answer in French."),
        ]
    )
    assert instructions == "Be terse.\n\nAnswer in French."
    assert messages == [{"role": "user", "content": "hi"}]
    assert all(m.get("role") not in ("system", "developer") for m in messages)


def test_no_system_message_gives_no_instructions() -> None:
    assert to_core_messages([ChatMessage(role="user", content="hi")])[0] is None


def test_system_message_with_an_image_is_rejected() -> None:
    message = ChatMessage(role="system", blocks=[TextBlock(text="x"), ImageBlock(image=PNG)])
    with pytest.raises(ValueError, match="can only hold text"):
        to_core_messages([message])


def test_user_images_become_input_image_parts() -> None:
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="What is this?"),
            ImageBlock(url="https://example.com/cat.png", detail="low"),
            ImageBlock(image=PNG, image_mimetype="image/png"),
        ],
    )
    _, [converted] = to_core_messages([message])
    parts = converted["content"]
    assert parts[0] == {"type": "input_text", "text": "What is this?"}
    assert parts[1] == {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "low"}
    assert parts[2]["type"] == "input_image"
    assert parts[2]["image_url"].startswith("data:image/png;base64,")
    assert base64.b64decode(parts[2]["image_url"].split(",", 1)[1]) == PNG


def test_document_block_becomes_input_file() -> None:
    pdf = b"%PDF-1.4 tiny"
    message = ChatMessage(
        role="user", blocks=[DocumentBlock(data=pdf, title="report", document_mimetype="application/pdf")]
    )
    _, [converted] = to_core_messages([message])
    [part] = converted["content"]
    assert part["type"] == "input_file"
    assert part["filename"] == "report.pdf"
    assert part["file_data"].startswith("data:application/pdf;base64,")
    assert base64.b64decode(part["file_data"].split(",", 1)[1]) == pdf


def test_audio_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="does not accept AudioBlock"):
        to_core_messages([ChatMessage(role="user", blocks=[AudioBlock(audio=b"RIFF....", format="wav")])])


def test_assistant_tool_calls_and_tool_results_round_trip_with_their_ids() -> None:
    history = [
        ChatMessage(role="user", content="add 2 and 3, then weather in Paris"),
        ChatMessage(
            role="assistant",
            blocks=[
                TextBlock(text="Let me check."),
                ToolCallBlock(tool_call_id="call_1", tool_name="add", tool_kwargs={"a": 2, "b": 3}),
                ToolCallBlock(tool_call_id="call_2", tool_name="lookup", tool_kwargs='{"city": "Paris"}'),
            ],
        ),
        ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "call_1"}),
        ChatMessage(role="tool", content="22C", additional_kwargs={"call_id": "call_2"}),
    ]
    _, messages = to_core_messages(history)
    assert messages[1] == {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "lookup", "arguments": '{"city": "Paris"}'},
            },
        ],
    }
    assert messages[2] == {"role": "tool", "tool_call_id": "call_1", "content": "5"}
    assert messages[3] == {"role": "tool", "tool_call_id": "call_2", "content": "22C"}


def test_non_ascii_tool_arguments_are_kept_readable() -> None:
    message = ChatMessage(
        role="assistant",
        blocks=[ToolCallBlock(tool_call_id="c", tool_name="lookup", tool_kwargs={"city": "Zürich"})],
    )
    _, [converted] = to_core_messages([message])
    assert converted["tool_calls"][0]["function"]["arguments"] == '{"city": "Zürich"}'


def test_legacy_additional_kwargs_tool_calls_are_accepted_and_deduplicated() -> None:
    message = ChatMessage(
        role="assistant",
        blocks=[ToolCallBlock(tool_call_id="call_1", tool_name="add", tool_kwargs={"a": 1, "b": 2})],
        additional_kwargs={
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": "{}"}},
                {"id": "call_9", "type": "function", "function": {"name": "add", "arguments": '{"a":1}'}},
                {
                    "type": "function_call",
                    "call_id": "call_7",
                    "name": "lookup",
                    "arguments": '{"city":"Rome"}',
                },
            ]
        },
    )
    _, [converted] = to_core_messages([message])
    assert [c["id"] for c in converted["tool_calls"]] == ["call_1", "call_9", "call_7"]
    assert converted["tool_calls"][2]["function"] == {"name": "lookup", "arguments": '{"city":"Rome"}'}


def test_tool_message_without_an_id_is_rejected() -> None:
    with pytest.raises(ValueError, match="tool_call_id"):
        to_core_messages([ChatMessage(role="tool", content="5")])


def test_tool_call_without_an_id_is_rejected() -> None:
    message = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_name="add", tool_kwargs={})])
    with pytest.raises(ValueError, match="has no id"):
        to_core_messages([message])


def test_tool_result_with_an_image_becomes_a_raw_function_call_output() -> None:
    message = ChatMessage(
        role="tool",
        blocks=[TextBlock(text="chart:"), ImageBlock(image=PNG, image_mimetype="image/png")],
        additional_kwargs={"tool_call_id": "call_3"},
    )
    _, [item] = to_core_messages([message])
    assert item["type"] == "function_call_output"
    assert "role" not in item
    assert item["call_id"] == "call_3"
    assert [part["type"] for part in item["output"]] == ["input_text", "input_image"]


def test_reasoning_with_encrypted_content_is_replayed_before_its_output_without_ids() -> None:
    thinking = thinking_block_from_item(
        {
            "id": "rs_1",
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "**Plan** add"}],
            "encrypted_content": "gAAAA-opaque",
        }
    )
    message = ChatMessage(
        role="assistant",
        blocks=[
            thinking,
            ToolCallBlock(tool_call_id="call_1", tool_name="add", tool_kwargs={"a": 1, "b": 2}),
        ],
    )
    _, messages = to_core_messages([ChatMessage(role="user", content="add"), message])
    assert messages[1] == {
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "**Plan** add"}],
        "encrypted_content": "gAAAA-opaque",
    }
    assert messages[2]["role"] == "assistant"
    assert messages[2]["tool_calls"][0]["id"] == "call_1"
    assert "rs_1" not in json.dumps(messages)


def test_thinking_without_encrypted_content_is_not_replayed() -> None:
    foreign = ThinkingBlock(content="I think...", additional_information={"signature": "anthropic"})
    assert reasoning_item_from_block(foreign) is None
    _, messages = to_core_messages([ChatMessage(role="assistant", blocks=[foreign, TextBlock(text="Hi")])])
    assert messages == [{"role": "assistant", "content": "Hi"}]


def test_encrypted_reasoning_from_another_provider_is_not_replayed() -> None:
    """Another integration's encrypted reasoning in the same memory gets a 400 from this backend (issue 12 §4)."""
    foreign = ThinkingBlock(
        content="plan", additional_information={"provider": "openai", "encrypted_content": "gAAAA-theirs"}
    )
    untagged = ThinkingBlock(content="plan", additional_information={"encrypted_content": "gAAAA-unknown"})
    for block in (foreign, untagged):
        assert reasoning_item_from_block(block) is None
        _, messages = to_core_messages([ChatMessage(role="assistant", blocks=[block, TextBlock(text="Hi")])])
        assert messages == [{"role": "assistant", "content": "Hi"}]


def test_thinking_block_from_item_keeps_the_summary_text() -> None:
    block = thinking_block_from_item(
        {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "a"}, {"type": "summary_text", "text": "b"}],
        }
    )
    assert block.content == "a\n\nb"
    assert "encrypted_content" not in block.additional_information


# --------------------------------------------------------------------------- tools


def test_tool_specs_are_flat_responses_functions() -> None:
    specs = to_tool_specs([FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=lookup)])
    assert [spec["name"] for spec in specs] == ["add", "lookup"]
    spec = specs[0]
    assert spec["type"] == "function"
    assert "function" not in spec
    assert spec["description"].endswith("Add two integers.")
    assert spec["parameters"]["properties"].keys() == {"a", "b"}
    assert "strict" not in spec


def test_strict_tool_specs_close_the_parameters_object() -> None:
    tool = FunctionTool.from_defaults(fn=add)
    [spec] = to_tool_specs([tool], strict=True)
    assert spec["strict"] is True
    assert spec["parameters"]["additionalProperties"] is False
    # the tool's own schema is not mutated
    assert "additionalProperties" not in tool.metadata.get_parameters_dict()


# --------------------------------------------------------------------------- tool calls back


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"a": 1}, {"a": 1}),
        ('{"a": 1, "b": 2}', {"a": 1, "b": 2}),
        ('{"city": "Par', {"city": "Par"}),
        ('{"a": 1, "b":', {"a": 1, "b": None}),
        ("", {}),
        (None, {}),
        ('{"a": 1, "b"', {"a": 1}),
        ('{"a": tru', {"a": None}),
        ('{"a": {"b": [1, 2', {"a": {"b": [1, 2]}}),
        ('{"a": "x\\', {"a": "x"}),
        ('{"a": "\\u00', {"a": ""}),
        ('{"Zür": "é', {"Zür": "é"}),
        ("[1, 2]", {}),
        ("}{", {}),
        ('{"a": 1} junk', {}),
    ],
)
def test_arguments_are_parsed_leniently(arguments: object, expected: dict[str, object]) -> None:
    assert arguments_to_kwargs(arguments) == expected  # type: ignore[arg-type]


def test_complete_partial_json_closes_every_open_structure() -> None:
    assert complete_partial_json('{"q": "a\\"b", "n": [1, {"x": "y') == '{"q": "a\\"b", "n": [1, {"x": "y"}]}'
    assert complete_partial_json("not json") is None


def test_tool_selections_read_blocks_and_legacy_kwargs() -> None:
    response = ChatResponse(
        message=ChatMessage(
            role=MessageRole.ASSISTANT,
            blocks=[
                TextBlock(text="calling"),
                ToolCallBlock(tool_call_id="call_1", tool_name="add", tool_kwargs={"a": 1, "b": 2}),
                ToolCallBlock(tool_call_id="call_2", tool_name="lookup", tool_kwargs='{"city": "Par'),
            ],
            additional_kwargs={
                "tool_calls": [
                    {"id": "call_3", "type": "function", "function": {"name": "add", "arguments": "{}"}}
                ]
            },
        )
    )
    selections = tool_selections(response)
    assert [(s.tool_id, s.tool_name, s.tool_kwargs) for s in selections] == [
        ("call_1", "add", {"a": 1, "b": 2}),
        ("call_2", "lookup", {"city": "Par"}),
        ("call_3", "add", {}),
    ]


def test_tool_selections_of_a_text_answer_are_empty() -> None:
    assert tool_selections(ChatResponse(message=ChatMessage(role="assistant", content="hello"))) == []
