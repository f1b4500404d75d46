"""CodexOAuth without I/O: class surface, metadata, tool preparation, tool-call reading, request building."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

import llama_index.llms.oauth_codex as package
import pytest
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, TextBlock, ToolCallBlock
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.tools import FunctionTool
from llama_index.llms.oauth_codex import CodexOAuth

from oauth_codex import CodexOAuthLLM, StaticTokenProvider


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def lookup(city: str) -> str:
    """Weather of a city."""
    return f"22C in {city}"


TOOLS = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=lookup)]


@pytest.fixture
def llm() -> CodexOAuth:
    return CodexOAuth(
        model="gpt-5.5", token_provider=StaticTokenProvider("not-a-real-token", account_id="acct")
    )


def test_public_surface_is_pinned() -> None:
    assert package.__all__ == ["CodexOAuth"]
    assert CodexOAuth.__module__ == "llama_index.llms.oauth_codex.base"


def test_namespace_packages_stay_namespaces() -> None:
    root = Path(package.__file__).parent
    assert (root / "py.typed").exists()
    assert not (root.parent / "__init__.py").exists()
    assert not (root.parent.parent / "__init__.py").exists()
    import llama_index.llms

    assert getattr(llama_index.llms, "__file__", None) is None  # namespace package


def test_mro_and_class_name() -> None:
    names = [cls.__name__ for cls in CodexOAuth.__mro__]
    assert BaseLLM.__name__ in names and FunctionCallingLLM.__name__ in names
    assert CodexOAuth.class_name() == "oauth_codex_llm"


def test_constructor_does_no_io_and_needs_no_login() -> None:
    llm = CodexOAuth()  # no stored token anywhere (isolated HOME), no network
    assert llm.model == "gpt-5.5"
    assert isinstance(llm.client, CodexOAuthLLM)
    assert not any((Path.home()).rglob("auth.json"))


def test_metadata_flags_and_limits(llm: CodexOAuth) -> None:
    meta = llm.metadata
    assert meta.is_chat_model is True
    assert meta.is_function_calling_model is True
    assert meta.model_name == "gpt-5.5"
    assert (meta.context_window, meta.num_output) == (400_000, 128_000)
    spark = CodexOAuth(model="gpt-5.3-codex-spark", context_window=100_000).metadata
    assert (spark.context_window, spark.num_output) == (100_000, 32_000)


def test_payload_for_observability_holds_no_secret(llm: CodexOAuth) -> None:
    payload = llm.to_payload()
    assert payload["model_name"] == "gpt-5.5"
    assert "not-a-real-token" not in repr(payload)
    assert "not-a-real-token" not in repr(llm)


def test_given_client_is_used_as_is() -> None:
    core = CodexOAuthLLM(token_provider=StaticTokenProvider("t"))
    assert CodexOAuth(client=core).client is core


def test_tool_required_is_in_the_signature() -> None:
    parameters = inspect.signature(CodexOAuth._prepare_chat_with_tools).parameters
    assert {"tool_required", "tool_choice", "strict", "allow_parallel_tool_calls"} <= set(parameters)


def test_prepare_chat_with_tools(llm: CodexOAuth) -> None:
    history = [ChatMessage(role="user", content="earlier")]
    prepared = llm._prepare_chat_with_tools(
        TOOLS, user_msg="add 2 and 3", chat_history=history, tool_required=True
    )
    assert [m.content for m in prepared["messages"]] == ["earlier", "add 2 and 3"]
    assert len(history) == 1  # the caller's history is not mutated
    assert [t["name"] for t in prepared["tools"]] == ["add", "lookup"]
    assert prepared["tool_choice"] == "required"
    assert prepared["parallel_tool_calls"] is False


def test_prepare_chat_with_tools_choices_and_flags(llm: CodexOAuth) -> None:
    assert llm._prepare_chat_with_tools(TOOLS)["tool_choice"] == "auto"
    assert (
        llm._prepare_chat_with_tools(TOOLS, tool_required=True, tool_choice="none")["tool_choice"] == "none"
    )
    named = llm._prepare_chat_with_tools(TOOLS, tool_choice="lookup")["tool_choice"]
    assert named == {"type": "function", "name": "lookup"}
    assert llm._prepare_chat_with_tools(TOOLS, allow_parallel_tool_calls=True)["parallel_tool_calls"] is True
    strict = llm._prepare_chat_with_tools(TOOLS, strict=True)["tools"][0]
    assert strict["strict"] is True and strict["parameters"]["additionalProperties"] is False
    assert "strict" not in llm._prepare_chat_with_tools(TOOLS)["tools"][0]
    assert CodexOAuth(strict=True)._prepare_chat_with_tools(TOOLS)["tools"][0]["strict"] is True


def test_prepare_chat_without_tools(llm: CodexOAuth) -> None:
    prepared = llm._prepare_chat_with_tools([], user_msg=ChatMessage(role="user", content="hi"))
    assert (
        prepared["tools"] is None
        and prepared["tool_choice"] is None
        and prepared["parallel_tool_calls"] is None
    )


def _response(*blocks: object) -> ChatResponse:
    return ChatResponse(message=ChatMessage(role="assistant", blocks=list(blocks)))


def test_get_tool_calls_from_response(llm: CodexOAuth) -> None:
    response = _response(
        ToolCallBlock(tool_call_id="c1", tool_name="add", tool_kwargs={"a": 1, "b": 2}),
        ToolCallBlock(tool_call_id="c2", tool_name="lookup", tool_kwargs='{"city": "Ro'),
    )
    calls = llm.get_tool_calls_from_response(response)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("c1", "add", {"a": 1, "b": 2}),
        ("c2", "lookup", {"city": "Ro"}),
    ]


def test_get_tool_calls_without_any(llm: CodexOAuth) -> None:
    text = _response(TextBlock(text="just text"))
    assert llm.get_tool_calls_from_response(text, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="just text"):
        llm.get_tool_calls_from_response(text)


def test_validate_trims_to_one_call_unless_parallel(llm: CodexOAuth) -> None:
    def two() -> ChatResponse:
        return _response(
            TextBlock(text="x"),
            ToolCallBlock(tool_call_id="c1", tool_name="add", tool_kwargs={}),
            ToolCallBlock(tool_call_id="c2", tool_name="add", tool_kwargs={}),
        )

    trimmed = llm._validate_chat_with_tools_response(two(), TOOLS, allow_parallel_tool_calls=False)
    assert [c.tool_id for c in llm.get_tool_calls_from_response(trimmed)] == ["c1"]
    assert trimmed.message.content == "x"
    kept = llm._validate_chat_with_tools_response(two(), TOOLS, allow_parallel_tool_calls=True)
    assert len(llm.get_tool_calls_from_response(kept)) == 2


def test_request_lifts_instructions_with_precedence() -> None:
    llm = CodexOAuth(instructions="field")
    user = ChatMessage(role="user", content="hi")
    system = ChatMessage(role="system", content="system")
    assert llm._request([user], {})["instructions"] == "field"
    # both are sent, as OpenAIResponses does: agents and chat engines add system messages (issue 12 §4)
    assert llm._request([system, user], {})["instructions"] == "field\n\nsystem"
    assert llm._request([system, user], {"instructions": "call"})["instructions"] == "call\n\nsystem"
    assert CodexOAuth()._request([system, user], {})["instructions"] == "system"
    assert "instructions" not in CodexOAuth()._request([user], {})  # the core client sends its default


def test_request_never_forwards_rejected_parameters() -> None:
    """Same policy as the LangChain adapter (oauth_codex.policy.drop_unsupported): warn once, never send."""
    llm = CodexOAuth(temperature=0.2, max_output_tokens=100)
    with pytest.warns(UserWarning) as caught:
        request = llm._request(
            [ChatMessage(role="user", content="hi")],
            {"temperature": 0, "max_tokens": 5, "stop": ["x"], "top_p": 1, "mystery": 1},
        )
    assert not {"temperature", "max_tokens", "max_output_tokens", "stop", "top_p", "mystery"} & set(request)
    assert [str(w.message).split(":")[0] for w in caught] == ["CodexOAuth ignores the call argument 'mystery'"]


def test_per_call_include_adds_to_encrypted_reasoning() -> None:
    """A per-call include= keeps reasoning replay (as in the LangChain adapter: oauth_codex.policy)."""
    request = CodexOAuth()._request([ChatMessage(role="user", content="hi")], {"include": ["x.y"]})
    assert request["include"] == ["x.y", "reasoning.encrypted_content"]


def test_request_options(llm: CodexOAuth) -> None:
    messages = [ChatMessage(role="user", content="hi")]
    request = llm._request(messages, {"tool_choice": "required"})
    assert request["include"] == ["reasoning.encrypted_content"]
    assert "tool_choice" not in request and "tools" not in request  # no tools, no choice
    assert "reasoning" not in request
    tuned = CodexOAuth(
        reasoning_effort="low", reasoning_summary="auto", verbosity="low", prompt_cache_key="conv-1"
    )
    request = tuned._request(messages, {"model": "gpt-5.4-mini"})
    assert request["model"] == "gpt-5.4-mini"
    assert request["reasoning"] == {"effort": "low", "summary": "auto"}
    assert request["text"] == {"verbosity": "low"}
    assert request["prompt_cache_key"] == "conv-1"
    assert tuned._request(messages, {"reasoning_effort": "high"})["reasoning"]["effort"] == "high"


def test_request_merges_text_options_and_converts_llama_index_tools() -> None:
    llm = CodexOAuth(verbosity="low")
    messages = [ChatMessage(role="user", content="hi")]
    request = llm._request(messages, {"text": {"format": {"type": "json_object"}}, "tools": TOOLS})
    assert request["text"] == {"verbosity": "low", "format": {"type": "json_object"}}
    assert [t["name"] for t in request["tools"]] == ["add", "lookup"]
    assert request["tool_choice"] == "auto"
    explicit = llm._request(messages, {"reasoning": {"effort": "high"}, "reasoning_effort": "low"})
    assert explicit["reasoning"] == {"effort": "high"}


def test_import_loads_neither_the_emulator_nor_langchain() -> None:
    import json
    import subprocess
    import sys

    code = "import sys, json, llama_index.llms.oauth_codex; print(json.dumps(sorted(sys.modules)))"
    loaded = set(
        json.loads(
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        )
    )
    assert "oauth_codex.client" in loaded
    assert not {"oauth_codex.testing", "langchain_core", "openai"} & loaded


def test_a_pickled_copy_of_an_llm_built_with_client_stays_on_its_backend(make_llm: Callable[..., CodexOAuth]) -> None:
    """The copy rebuilds its client from the fields: it must not silently re-point at chatgpt.com (§4)."""
    import pickle
    import warnings

    llm = make_llm()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copy = pickle.loads(pickle.dumps(llm))  # noqa: S301 - our own object
    try:
        assert copy.client is not llm.client
        assert copy.client.base_url == llm.client.base_url
        assert "chatgpt.com" not in copy.client.base_url
    finally:
        copy.close()
