"""Token counting with the models' o200k_base encoding, offline, tool calls and outputs included (§3)."""

from __future__ import annotations

import subprocess
import sys

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage, trim_messages
from langchain_oauth_codex import ChatCodexOAuth


def llm() -> ChatCodexOAuth:
    return ChatCodexOAuth(model="gpt-5.5")


def test_text_is_counted_with_o200k_base() -> None:
    assert llm().get_num_tokens("Hello world") == 2
    assert llm().get_num_tokens("") == 0
    assert llm().get_num_tokens("<|endoftext|>") > 1  # plain text, never a special token


def test_counting_needs_neither_transformers_nor_the_network() -> None:
    code = (
        "import sys, socket\n"
        "def refuse(*a, **k): raise OSError('no network')\n"
        "socket.socket.connect = refuse\n"
        "from langchain_oauth_codex import ChatCodexOAuth\n"
        "print(ChatCodexOAuth(model='gpt-5.5').get_num_tokens('Hello world'), 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["2", "False"]


def test_tool_call_arguments_and_tool_outputs_are_counted() -> None:
    """4,000 characters of arguments used to count as 2 tokens, so trim_messages kept far too much."""
    args = {"text": "lorem ipsum dolor sit amet " * 150}
    call = AIMessage("", tool_calls=[{"name": "summarize", "args": args, "id": "call_1"}])
    output = ToolMessage("consectetur adipiscing elit " * 150, tool_call_id="call_1")
    model = llm()
    bare = model.get_num_tokens_from_messages([HumanMessage("hi")])
    assert model.get_num_tokens_from_messages([HumanMessage("hi"), call]) - bare > 400
    assert model.get_num_tokens_from_messages([HumanMessage("hi"), output]) - bare > 400
    with_tools = model.get_num_tokens_from_messages([HumanMessage("hi")], tools=[{"type": "function", "name": "summarize", "description": "Summarize a long text for the user.", "parameters": {"type": "object", "properties": {"text": {"type": "string"}}}}])  # noqa: E501
    assert with_tools - bare > 10


def test_trim_messages_with_the_model_as_token_counter() -> None:
    history = [
        SystemMessage("You are terse."),
        HumanMessage("summarize this"),
        AIMessage("", tool_calls=[{"name": "fetch", "args": {"q": "x " * 2000}, "id": "c1"}]),
        ToolMessage("y " * 2000, tool_call_id="c1"),
        AIMessage("Done."),
        HumanMessage("thanks, and now?"),
    ]
    model = llm()
    trimmed = trim_messages(history, max_tokens=200, token_counter=model, strategy="last", include_system=True)
    assert model.get_num_tokens_from_messages(trimmed) <= 200
    assert [type(m).__name__ for m in trimmed] == ["SystemMessage", "AIMessage", "HumanMessage"]
