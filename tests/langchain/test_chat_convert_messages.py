"""LangChain messages -> core ``messages`` (ADAPTERS.md §1.2): pure, no I/O."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_oauth_codex._convert import convert_messages


def test_system_and_developer_messages_are_lifted_into_instructions() -> None:
    instructions, items = convert_messages(
        [
            SystemMessage("Be terse."),
            HumanMessage("hi"),
            ChatMessage(role="developer", content=[{"type": "text", "text": "Use metric units."}]),
            SystemMessage(["Answer in ", {"type": "text", "text": "English."}]),
        ]
    )
    assert instructions == "Be terse.\n\nUse metric units.\n\nAnswer in English."
    assert items == [{"role": "user", "content": "hi"}]


def test_no_system_message_gives_no_instructions() -> None:
    instructions, _ = convert_messages([HumanMessage("hi")])
    assert instructions is None


def test_non_text_system_block_raises() -> None:
    image = {"type": "image", "url": "https://example.com/a.png"}
    with pytest.raises(ValueError, match="System message 0 has a 'image' block"):
        convert_messages([SystemMessage(content=[image])])


def test_user_name_is_stripped_and_string_content_kept() -> None:
    _, items = convert_messages([HumanMessage("hello", name="example_user")])
    assert items == [{"role": "user", "content": "hello"}]


def test_user_multimodal_blocks_become_responses_parts() -> None:
    content = [
        "plain",
        {"type": "text", "text": "describe", "cache_control": {"type": "ephemeral"}},
        {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "low"}},
        {"type": "image_url", "image_url": "https://x/b.png"},
        {"type": "image", "url": "https://x/c.png"},
        {"type": "image", "base64": "AAAA", "mime_type": "image/png"},
        {"type": "image", "source_type": "base64", "data": "BBBB", "mime_type": "image/jpeg"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": "CCCC"}},
        {"type": "image", "file_id": "file-1"},
        {"type": "file", "base64": "PDF", "mime_type": "application/pdf", "filename": "a.pdf"},
        {"type": "file", "base64": "PDF", "mime_type": "application/pdf"},
        {"type": "file", "url": "https://x/d.pdf"},
        {"type": "file", "file": {"filename": "e.pdf", "file_data": "data:application/pdf;base64,EEE"}},
        {"type": "input_image", "image_url": "https://x/f.png", "id": "server-id"},
    ]
    _, items = convert_messages([HumanMessage(content=content)])
    assert items[0]["role"] == "user"
    assert items[0]["content"] == [
        {"type": "input_text", "text": "plain"},
        {"type": "input_text", "text": "describe"},
        {"type": "input_image", "image_url": "https://x/a.png", "detail": "low"},
        {"type": "input_image", "image_url": "https://x/b.png"},
        {"type": "input_image", "image_url": "https://x/c.png"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
        {"type": "input_image", "image_url": "data:image/jpeg;base64,BBBB"},
        {"type": "input_image", "image_url": "data:image/gif;base64,CCCC"},
        {"type": "input_image", "file_id": "file-1"},
        {"type": "input_file", "file_data": "data:application/pdf;base64,PDF", "filename": "a.pdf"},
        {"type": "input_file", "file_data": "data:application/pdf;base64,PDF", "filename": "document.pdf"},
        {"type": "input_file", "file_url": "https://x/d.pdf"},
        {"type": "input_file", "file_data": "data:application/pdf;base64,EEE", "filename": "e.pdf"},
        {"type": "input_image", "image_url": "https://x/f.png"},
    ]


@pytest.mark.parametrize(
    "block",
    [
        {"type": "audio", "base64": "AAA", "mime_type": "audio/wav"},
        {"type": "input_audio", "input_audio": {"data": "AAA", "format": "wav"}},
    ],
)
def test_audio_is_rejected_with_a_clear_message(block: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="text, images and files only"):
        convert_messages([HumanMessage(content=[block])])


def test_base64_image_without_mime_type_raises() -> None:
    with pytest.raises(ValueError, match="mime_type"):
        convert_messages([HumanMessage(content=[{"type": "image", "base64": "AAA"}])])


def test_tool_round_trip_uses_call_ids_and_function_call_items() -> None:
    messages = [
        HumanMessage("What is 1 + 2"),
        AIMessage(
            "",
            tool_calls=[{"name": "add", "args": {"a": 1, "b": "二"}, "id": "call_abc", "type": "tool_call"}],
        ),
        ToolMessage(json.dumps({"result": 3}), name="add", tool_call_id="call_abc"),
    ]
    _, items = convert_messages(messages)
    assert items == [
        {"role": "user", "content": "What is 1 + 2"},
        {"type": "function_call", "call_id": "call_abc", "name": "add", "arguments": '{"a": 1, "b": "二"}'},
        {"type": "function_call_output", "call_id": "call_abc", "output": '{"result": 3}'},
    ]


def test_foreign_blocks_are_skipped_and_tool_calls_are_authoritative() -> None:
    ai = AIMessage(
        [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "some text"},
            {"type": "tool_use", "id": "abc123", "name": "add", "input": {"a": 1}},
        ],
        tool_calls=[{"name": "add", "args": {"a": 1}, "id": "abc123", "type": "tool_call"}],
    )
    _, items = convert_messages(
        [HumanMessage("q"), ai, ToolMessage("3", tool_call_id="abc123", status="error")]
    )
    assert items[1:] == [
        {"role": "assistant", "content": "some text"},
        {"type": "function_call", "call_id": "abc123", "name": "add", "arguments": '{"a": 1}'},
        {"type": "function_call_output", "call_id": "abc123", "output": "3"},
    ]


def test_invalid_tool_calls_replay_their_raw_arguments() -> None:
    ai = AIMessage(
        "",
        invalid_tool_calls=[
            {
                "name": "add",
                "args": '{"a": 1',
                "id": "call_bad",
                "error": "bad json",
                "type": "invalid_tool_call",
            }
        ],
    )
    _, items = convert_messages([ai])
    assert items == [{"type": "function_call", "call_id": "call_bad", "name": "add", "arguments": '{"a": 1'}]


def test_tool_call_without_id_raises() -> None:
    ai = AIMessage("", tool_calls=[{"name": "add", "args": {}, "id": None, "type": "tool_call"}])
    with pytest.raises(ValueError, match="without an id"):
        convert_messages([ai])


def test_reasoning_items_replay_encrypted_content_without_server_ids() -> None:
    stored = {
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "plan"}],
        "encrypted_content": "enc1",
    }
    ai = AIMessage(
        "Hello!",
        additional_kwargs={
            "reasoning_items": [stored, {"type": "reasoning", "summary": []}],  # second has nothing to replay
            "reasoning": {"id": "rs_legacy", "type": "reasoning", "summary": [], "encrypted_content": "enc2"},
        },
    )
    _, items = convert_messages([HumanMessage("hi"), ai, HumanMessage("again")])
    assert items[1:3] == [
        {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "plan"}],
            "encrypted_content": "enc1",
        },
        {"type": "reasoning", "summary": [], "encrypted_content": "enc2"},
    ]
    assert items[3] == {"role": "assistant", "content": "Hello!"}
    assert all("id" not in item for item in items)


def test_reasoning_content_blocks_with_encrypted_content_replay_once() -> None:
    ai = AIMessage(
        [
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"index": 0, "type": "summary_text", "text": "x"}],
                "encrypted_content": "enc",
            },
            {"type": "reasoning", "reasoning": "x", "extras": {"encrypted_content": "enc"}},
            {"type": "reasoning", "reasoning": "no replay possible"},
            {"type": "text", "text": "answer"},
        ]
    )
    _, items = convert_messages([ai])
    assert items == [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "x"}], "encrypted_content": "enc"},
        {"role": "assistant", "content": "answer"},
    ]


def test_tool_message_list_content() -> None:
    text_only = ToolMessage(content=[{"type": "text", "text": "a"}, "b"], tool_call_id="c1")
    with_image = ToolMessage(
        content=[
            {"type": "image", "base64": "AAA", "mime_type": "image/png"},
            {"type": "text", "text": "see"},
        ],
        tool_call_id="c2",
    )
    _, items = convert_messages([text_only, with_image])
    assert items[0] == {"type": "function_call_output", "call_id": "c1", "output": "ab"}
    assert items[1] == {
        "type": "function_call_output",
        "call_id": "c2",
        "output": [
            {"type": "input_image", "image_url": "data:image/png;base64,AAA"},
            {"type": "input_text", "text": "see"},
        ],
    }


def test_chat_message_roles() -> None:
    _, items = convert_messages(
        [ChatMessage(role="user", content="u"), ChatMessage(role="assistant", content="a")]
    )
    assert items == [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]
    with pytest.raises(ValueError, match="role 'narrator'"):
        convert_messages([ChatMessage(role="narrator", content="x")])


def test_empty_assistant_text_sends_no_message() -> None:
    _, items = convert_messages([AIMessage(""), AIMessage([])])
    assert items == []


def test_a_tool_message_block_of_an_unknown_type_is_sent_as_json_text() -> None:
    """Like ChatOpenAI: a tool result is serialised, never refused before sending (issue 12 §3)."""
    call = AIMessage("", tool_calls=[{"name": "lookup", "args": {}, "id": "call_1"}])
    result = ToolMessage(
        [{"type": "json", "json": {"temperature": 21}}, {"type": "weird", "value": 1}, "done"],
        tool_call_id="call_1",
    )
    _, items = convert_messages([HumanMessage("weather?"), call, result])
    output = items[-1]["output"]
    assert output == (
        '{"type": "json", "json": {"temperature": 21}}{"type": "weird", "value": 1}done'
    )
