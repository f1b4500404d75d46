"""Images, PDFs and foreign (Anthropic) history offline: what the standard multimodal tests would download.

The standard suite's ``test_image_inputs`` / ``test_pdf_inputs`` / ``test_image_tool_message`` /
``test_pdf_tool_message`` / ``test_anthropic_inputs`` fetch their fixtures from the internet, so they are
xfailed there; these send the same message shapes with tiny inline data and check the wire.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_oauth_codex import ChatCodexOAuth

from oauth_codex.testing import CodexEmulator

Make = Callable[..., ChatCodexOAuth]

# A 1x1 transparent PNG and a minimal one-page PDF.
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()
PDF = base64.b64encode(
    b"%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 9 9]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"
).decode()
IMAGE_URL = "https://example.com/diagram.png"


def _input(emu: CodexEmulator) -> list[dict[str, Any]]:
    request = emu.responses_requests[-1]
    assert request.status == 200
    items = request.json["input"]
    assert isinstance(items, list)
    return items


def test_image_inputs_in_every_format(make_model: Make, shared_emulator: CodexEmulator) -> None:
    text = {"type": "text", "text": "Give a concise description of this image."}
    messages = [
        HumanMessage(
            content=[text, {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]
        ),
        HumanMessage(content=[text, {"type": "image", "base64": PNG, "mime_type": "image/png"}]),
        HumanMessage(content=[text, {"type": "image", "url": IMAGE_URL}]),
    ]
    expected = [f"data:image/png;base64,{PNG}", f"data:image/png;base64,{PNG}", IMAGE_URL]
    for message, url in zip(messages, expected, strict=True):
        assert make_model().invoke([message]).text
        parts = _input(shared_emulator)[0]["content"]
        assert parts == [
            {"type": "input_text", "text": "Give a concise description of this image."},
            {"type": "input_image", "image_url": url},
        ]


def test_pdf_inputs(make_model: Make, shared_emulator: CodexEmulator) -> None:
    text = {"type": "text", "text": "Summarize this document:"}
    v1 = {"type": "file", "base64": PDF, "mime_type": "application/pdf", "filename": "dummy.pdf"}
    chat_completions = {
        "type": "file",
        "file": {"filename": "test_file.pdf", "file_data": f"data:application/pdf;base64,{PDF}"},
    }
    for block, name in ((v1, "dummy.pdf"), (chat_completions, "test_file.pdf")):
        assert make_model().invoke([HumanMessage(content=[text, block])]).text
        part = _input(shared_emulator)[0]["content"][1]
        assert part == {
            "type": "input_file",
            "file_data": f"data:application/pdf;base64,{PDF}",
            "filename": name,
        }


def _tool_history(tool_message: ToolMessage, name: str) -> list[Any]:
    return [
        HumanMessage(f"get a random {name} using the tool and describe it"),
        AIMessage([], tool_calls=[{"type": "tool_call", "id": "1", "name": name, "args": {}}]),
        tool_message,
    ]


def test_image_and_pdf_tool_messages(make_model: Make, shared_emulator: CodexEmulator) -> None:
    def random_image() -> str:
        """Return a random image."""
        return ""

    def random_pdf() -> str:
        """Return a random PDF."""
        return ""

    image_messages = [
        ToolMessage(
            content=[{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}],
            tool_call_id="1",
        ),
        ToolMessage(content=[{"type": "image", "base64": PNG, "mime_type": "image/png"}], tool_call_id="1"),
    ]
    for message in image_messages:
        assert make_model().bind_tools([random_image]).invoke(_tool_history(message, "random_image")).text
        output = _input(shared_emulator)[2]
        assert output == {
            "type": "function_call_output",
            "call_id": "1",
            "output": [{"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"}],
        }

    pdf_message = ToolMessage(
        content_blocks=[{"type": "file", "base64": PDF, "mime_type": "application/pdf"}], tool_call_id="1"
    )
    assert make_model().bind_tools([random_pdf]).invoke(_tool_history(pdf_message, "random_pdf")).text
    output = _input(shared_emulator)[2]["output"]
    assert output[0]["type"] == "input_file" and output[0]["file_data"].startswith(
        "data:application/pdf;base64,"
    )


def test_anthropic_style_history_and_tools(make_model: Make, shared_emulator: CodexEmulator) -> None:
    color_picker = {
        "name": "color_picker",
        "input_schema": {
            "type": "object",
            "properties": {"fav_color": {"type": "string"}},
            "required": ["fav_color"],
        },
        "description": "Input your fav color and get a random fact about it.",
        "cache_control": {"type": "ephemeral"},
    }
    messages = [
        SystemMessage("you're a good assistant"),
        HumanMessage(
            [{"type": "text", "text": "what's your favorite color", "cache_control": {"type": "ephemeral"}}]
        ),
        AIMessage(
            [
                {"type": "text", "text": "Hmm let me think about that"},
                {"type": "tool_use", "input": {"fav_color": "purple"}, "id": "foo", "name": "color_picker"},
            ],
            tool_calls=[
                {"name": "color_picker", "args": {"fav_color": "purple"}, "id": "foo", "type": "tool_call"}
            ],
        ),
        ToolMessage("That's a great pick!", tool_call_id="foo"),
    ]
    assert isinstance(make_model().bind_tools([color_picker]).invoke(messages), AIMessage)
    body = shared_emulator.responses_requests[-1].json
    assert body["tools"][0]["name"] == "color_picker"
    assert body["input"][1:] == [
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hmm let me think about that"}],
        },
        {
            "type": "function_call",
            "call_id": "foo",
            "name": "color_picker",
            "arguments": '{"fav_color": "purple"}',
        },
        {"type": "function_call_output", "call_id": "foo", "output": "That's a great pick!"},
    ]

    thinking = [
        HumanMessage([{"type": "text", "text": "Hello"}]),
        AIMessage(
            [
                {"type": "thinking", "thinking": "A simple greeting.", "signature": "ErUBCkYICBgCIkDCTQ"},
                {"type": "text", "text": "Hello, how are you?"},
            ]
        ),
        HumanMessage([{"type": "text", "text": "Well, thanks."}]),
    ]
    assert make_model().invoke(thinking).text
    assert [item.get("role") for item in _input(shared_emulator)] == ["user", "assistant", "user"]
