"""``ChatCodexOAuth`` on the offline emulator: wire body, streaming chunks, reasoning replay, callbacks."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.tools import tool
from langchain_oauth_codex import ChatCodexOAuth

from oauth_codex import CodexOAuthLLM, StaticTokenProvider
from oauth_codex.testing import CodexEmulator

Make = Callable[..., ChatCodexOAuth]


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny in {city}."


@tool
def magic_function(input: int) -> int:  # noqa: A002 - the standard suite's tool name and argument
    """Apply a magic function to an input."""
    return input + 2


def _last_body(emu: CodexEmulator) -> dict[str, Any]:
    body = emu.responses_requests[-1].json
    assert isinstance(body, dict)
    return body


class TokenCounter(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


class AsyncTokenCounter(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    async def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


# ------------------------------------------------------------------------------------------ construction


def test_construction_does_no_io_and_needs_no_login() -> None:
    llm = ChatCodexOAuth(model="gpt-5.6-sol", base_url="http://127.0.0.1:9/backend-api/codex")
    assert llm.model == llm.model_name == "gpt-5.6-sol"
    assert llm._core is None  # the core client is built on first use
    assert llm.profile is not None and llm.profile["max_input_tokens"] == 272_000
    assert ChatCodexOAuth(model="some-future-model").profile is None
    assert llm._llm_type == "oauth-codex-chat"
    assert ChatCodexOAuth.is_lc_serializable() is True  # settings only; auth objects are excluded fields


def test_api_keys_and_unknown_arguments_are_ignored_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="ignores 'api_key'"):
        ChatCodexOAuth(api_key="sk-test")
    with pytest.warns(UserWarning, match=r"unknown arguments \['use_responses_api'\]"):
        ChatCodexOAuth(use_responses_api=True)


def test_secrets_stay_out_of_the_repr() -> None:
    llm = ChatCodexOAuth(token_provider=StaticTokenProvider("secret-access-token"))
    assert "secret-access-token" not in repr(llm)
    assert "token_provider" not in repr(llm)


def test_standard_params_for_tracing() -> None:
    llm = ChatCodexOAuth(model="gpt-5.4", temperature=0.2, max_tokens=50, stop=["END"])
    assert llm._get_ls_params() == {
        "ls_provider": "openai-codex",
        "ls_model_name": "gpt-5.4",
        "ls_model_type": "chat",
        "ls_temperature": 0.2,
        "ls_max_tokens": 50,
        "ls_stop": ["END"],
    }
    assert llm._get_ls_params(model="gpt-5.5")["ls_model_name"] == "gpt-5.5"
    assert llm._identifying_params["model_name"] == "gpt-5.4"


def test_injected_client_is_used(shared_emulator: CodexEmulator) -> None:
    core = shared_emulator.client(model="gpt-5.4")
    llm = ChatCodexOAuth(client=core)
    assert llm.core_client is core
    assert llm.invoke("Hello").text == 'Emulator reply to: "Hello"'


# ------------------------------------------------------------------------------------------ wire body


def test_wire_body_lifts_system_and_never_sends_rejected_parameters(
    make_model: Make, shared_emulator: CodexEmulator
) -> None:
    llm = make_model(temperature=0.3, max_tokens=20, stop=["x"], verbosity="low", reasoning_effort="low")
    result = llm.invoke([SystemMessage("Be terse."), HumanMessage("hi", name="someone")], stop=["y"])
    assert result.text
    body = _last_body(shared_emulator)
    assert body["instructions"] == "Be terse."
    assert body["store"] is False and body["stream"] is True
    assert body["text"] == {"verbosity": "low"}
    assert body["reasoning"] == {"effort": "low", "summary": "auto"}
    assert body["include"] == ["reasoning.encrypted_content"]
    for rejected in ("temperature", "max_output_tokens", "max_tokens", "stop", "top_p", "truncation"):
        assert rejected not in body
    assert body["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    ]


def test_instructions_precedence(make_model: Make, shared_emulator: CodexEmulator) -> None:
    llm = make_model(instructions="Field instructions.")
    llm.invoke("hi")
    assert _last_body(shared_emulator)["instructions"] == "Field instructions."
    llm.invoke([SystemMessage("System message."), HumanMessage("hi")])
    assert _last_body(shared_emulator)["instructions"] == "System message."
    llm.invoke([SystemMessage("System message."), HumanMessage("hi")], instructions="Per call.")
    assert _last_body(shared_emulator)["instructions"] == "Per call."
    make_model().invoke("hi")
    assert _last_body(shared_emulator)["instructions"]  # the core default: never empty


def test_encrypted_reasoning_can_be_turned_off(make_model: Make, shared_emulator: CodexEmulator) -> None:
    result = make_model(include_encrypted_reasoning=False, reasoning={"effort": "low"}).invoke("hi")
    assert _last_body(shared_emulator)["include"] == []
    assert "reasoning_items" not in result.additional_kwargs
    assert result.additional_kwargs["reasoning_content"]  # the summary still streams


def test_unknown_call_arguments_warn_and_are_dropped(make_model: Make, shared_emulator: CodexEmulator) -> None:
    """Same policy as the LlamaIndex adapter (oauth_codex.policy.drop_unsupported): warn, never send."""
    with pytest.warns(UserWarning, match="ignores the call argument 'frequency_penalty'"):
        assert make_model().invoke("hi", frequency_penalty=1).text
    assert "frequency_penalty" not in _last_body(shared_emulator)
    # per-call Responses options ChatOpenAI takes: a warning, never a TypeError (as the constructor)
    with pytest.warns(UserWarning, match="ignores the call argument 'service_tier'"):
        assert make_model().invoke("hi", store=True, service_tier="flex").text
    assert _last_body(shared_emulator)["store"] is False and "service_tier" not in _last_body(shared_emulator)


def test_per_call_include_adds_to_encrypted_reasoning(make_model: Make, shared_emulator: CodexEmulator) -> None:
    make_model(include=["web_search_call.action.sources"]).invoke("hi", include=["message.output_text.logprobs"])
    assert _last_body(shared_emulator)["include"] == [
        "web_search_call.action.sources",
        "message.output_text.logprobs",
        "reasoning.encrypted_content",
    ]


# ------------------------------------------------------------------------------------------ streaming


def test_stream_metadata_on_exactly_one_chunk(make_model: Make) -> None:
    chunks = list(make_model(model="gpt-5.5").stream("Write me 2 haikus."))
    assert len(chunks) > 3
    assert sum(1 for c in chunks if c.response_metadata.get("model_name")) == 1
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert chunks[-1].chunk_position == "last" and chunks[-1].usage_metadata
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert full.response_metadata["model_name"] == "gpt-5.5"
    assert full.response_metadata["finish_reason"] == "stop"
    assert full.response_metadata["id"].startswith("resp_")
    usage = full.usage_metadata
    assert usage is not None and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_token_details"] == {"cache_read": 0}


def test_cached_tokens_reported_when_the_cache_key_repeats(make_model: Make) -> None:
    llm = make_model(prompt_cache_key="lc-cache-test")
    llm.invoke("Tell me about caching.")
    usage = llm.invoke("Tell me about caching.").usage_metadata
    assert usage is not None and usage["input_token_details"]["cache_read"] > 0
    assert usage["input_tokens"] >= usage["input_token_details"]["cache_read"]


def test_streamed_tool_calls_carry_index_name_and_call_id(make_model: Make) -> None:
    llm = make_model().bind_tools([magic_function], tool_choice="any")
    chunks = list(llm.stream("What is the value of magic_function(3)? Use the tool."))
    tool_chunks = [c for c in chunks if c.tool_call_chunks]
    assert len(tool_chunks) >= 3  # name/id first, then the arguments in several deltas
    first = tool_chunks[0].tool_call_chunks[0]
    assert first["name"] == "magic_function" and first["id"] and first["id"].startswith("call_")
    assert {c.tool_call_chunks[0]["index"] for c in tool_chunks} == {first["index"]}
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert isinstance(full, AIMessageChunk)
    assert full.tool_calls == [
        {"name": "magic_function", "args": {"input": 3}, "id": first["id"], "type": "tool_call"}
    ]
    assert full.response_metadata["finish_reason"] == "tool_calls"


async def test_async_streaming_fires_one_callback_per_chunk(make_model: Make) -> None:
    handler = AsyncTokenCounter()
    chunks = [c async for c in make_model().astream("Hello there", config={"callbacks": [handler]})]
    assert handler.tokens == [c.text for c in chunks]
    assert "".join(handler.tokens) == 'Emulator reply to: "Hello there"'
    assert len(handler.tokens) > 3


async def test_ainvoke_fires_a_callback_per_delta(make_model: Make) -> None:
    handler = AsyncTokenCounter()
    result = await make_model().ainvoke("Hello there", config={"callbacks": [handler]})
    assert "".join(handler.tokens) == result.text
    assert len([t for t in handler.tokens if t]) == 5  # the emulator streams one delta per word


def test_invoke_fires_a_callback_per_delta(make_model: Make) -> None:
    handler = TokenCounter()
    result = make_model().invoke("Hello there", config={"callbacks": [handler]})
    assert "".join(handler.tokens) == result.text
    assert len([t for t in handler.tokens if t]) == 5


def test_streaming_flag_routes_invoke_through_stream(make_model: Make) -> None:
    handler = TokenCounter()
    result = make_model(streaming=True).invoke("Hello there", config={"callbacks": [handler]})
    assert "".join(handler.tokens) == result.text


# ------------------------------------------------------------------------------------------ reasoning


def test_reasoning_replays_encrypted_content_without_server_ids(
    make_model: Make, shared_emulator: CodexEmulator
) -> None:
    llm = make_model(reasoning_effort="medium")
    first = llm.invoke("Plan a trip.")
    items = first.additional_kwargs["reasoning_items"]
    assert items and items[0]["encrypted_content"]
    assert first.content_blocks[0]["type"] == "reasoning"
    assert first.usage_metadata is not None and first.usage_metadata["output_token_details"]["reasoning"] > 0

    second = llm.invoke([HumanMessage("Plan a trip."), first, HumanMessage("Shorter, please.")])
    assert second.text
    replayed = _last_body(shared_emulator)["input"]
    reasoning = [i for i in replayed if i.get("type") == "reasoning"]
    assert reasoning == [
        {
            "type": "reasoning",
            "summary": items[0]["summary"],
            "encrypted_content": items[0]["encrypted_content"],
        }
    ]
    assert all("id" not in item for item in replayed)


# ------------------------------------------------------------------------------------------ tools


def test_tool_round_trip_replays_call_ids(make_model: Make, shared_emulator: CodexEmulator) -> None:
    llm = make_model().bind_tools([get_weather])
    question = HumanMessage("What is the weather in Paris?")
    call = llm.invoke([question])
    assert call.tool_calls and call.tool_calls[0]["name"] == "get_weather"
    result = get_weather.invoke(call.tool_calls[0])
    answer = llm.invoke([question, call, result])
    assert "sunny in Paris" in answer.text
    sent = _last_body(shared_emulator)["input"]
    assert sent[1] == {
        "type": "function_call",
        "call_id": call.tool_calls[0]["id"],
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
    }
    assert sent[2]["type"] == "function_call_output" and sent[2]["call_id"] == call.tool_calls[0]["id"]


def test_bind_tools_options_reach_the_wire(make_model: Make, shared_emulator: CodexEmulator) -> None:
    llm = make_model().bind_tools(
        [get_weather, magic_function], tool_choice="get_weather", strict=True, parallel_tool_calls=True
    )
    llm.invoke("Hi")
    body = _last_body(shared_emulator)
    assert body["tool_choice"] == {"type": "function", "name": "get_weather"}
    assert body["parallel_tool_calls"] is True
    assert all(
        t["strict"] is True and t["parameters"]["additionalProperties"] is False for t in body["tools"]
    )
    with pytest.raises(ValueError, match="names no bound tool"):
        make_model().bind_tools([get_weather], tool_choice="nope")


def test_parallel_calls_when_allowed(make_model: Make) -> None:
    llm = make_model().bind_tools([get_weather, magic_function], parallel_tool_calls=True)
    result = llm.invoke("Use magic_function on 5 and get the weather in Rome.")
    assert sorted(c["name"] for c in result.tool_calls) == ["get_weather", "magic_function"]
    assert len({c["id"] for c in result.tool_calls}) == 2


def test_core_client_is_built_once_without_warnings_for_loopback(make_model: Make) -> None:
    llm = make_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(llm.core_client, CodexOAuthLLM)
        assert llm.core_client is llm.core_client
    assert llm.batch(["one", "two", "three"])[2].text == 'Emulator reply to: "three"'


def test_foreign_base_url_warns_that_the_token_follows_it() -> None:
    llm = ChatCodexOAuth(
        base_url="https://example.com/backend-api/codex", token_provider=StaticTokenProvider("t")
    )
    with pytest.warns(UserWarning, match="access token will be sent to that host"):
        assert llm.core_client.base_url == "https://example.com/backend-api/codex"


def test_invoke_without_token_watchers_builds_the_same_message(make_model: Make) -> None:
    llm = make_model(reasoning_effort="low").bind_tools([magic_function])
    prompt = "What is the value of magic_function(4)?"
    quiet = llm.invoke(prompt)  # no callback handlers: text is gathered without per-delta chunks
    watched = llm.invoke(prompt, config={"callbacks": [TokenCounter()]})
    for message in (quiet, watched):
        assert message.tool_calls[0]["args"] == {"input": 4}
        assert message.additional_kwargs["reasoning_items"][0]["encrypted_content"]
        assert message.usage_metadata is not None
        assert message.response_metadata["finish_reason"] == "tool_calls"
    assert quiet.additional_kwargs["reasoning_content"] == watched.additional_kwargs["reasoning_content"]
    plain = make_model()
    assert plain.invoke("Hello there").text == 'Emulator reply to: "Hello there"'


def test_approximate_token_count_needs_no_tokenizer() -> None:
    llm = ChatCodexOAuth()
    short = llm.get_num_tokens_from_messages([HumanMessage("hi")])
    long = llm.get_num_tokens_from_messages([HumanMessage("word " * 400)], tools=[get_weather])
    assert 1 <= short < 10 < long


async def test_close_releases_the_core_clients_connections(make_model: Make) -> None:
    llm = make_model()
    assert (await llm.ainvoke("hi")).text and llm.invoke("hi").text
    await llm.aclose()
    llm.close()
    assert llm.invoke("again").text  # the core client reopens its connections on demand


def test_deep_copies_share_the_client_and_auth_objects(make_model: Make) -> None:
    import copy

    llm = make_model(tags=["a"])
    core = llm.core_client
    clone = copy.deepcopy(llm)
    assert clone.core_client is core and clone.token_store is llm.token_store
    assert clone.tags == ["a"] and clone.tags is not llm.tags
    assert clone.invoke("hi").text


def test_dumpd_round_trips_without_secrets() -> None:
    """dumpd used to give not_implemented (issue 12 §3); auth objects are excluded, so no secret is written."""
    from langchain_core.load import dumpd, dumps, loads

    from oauth_codex import StaticTokenProvider

    model = ChatCodexOAuth(
        model="gpt-5.5",
        reasoning_effort="low",
        token_provider=StaticTokenProvider("sk-secret-token"),
        base_url="http://127.0.0.1:9/backend-api/codex",
    )
    assert dumpd(model)["type"] == "constructor"
    text = dumps(model)
    assert "sk-secret-token" not in text and "token_provider" not in text
    copy = loads(text, valid_namespaces=["langchain_oauth_codex"], allowed_objects=[ChatCodexOAuth])
    assert isinstance(copy, ChatCodexOAuth)
    assert (copy.model_name, copy.reasoning_effort, copy.base_url) == ("gpt-5.5", "low", model.base_url)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_output_version_responses_v1_gives_responses_blocks(mode: str, make_model: Make) -> None:
    """output_version="responses/v1" used to leave content a plain string (issue 12 §3)."""
    llm = make_model(model="gpt-5.5", output_version="responses/v1", reasoning={"effort": "low"})
    if mode == "invoke":
        message: Any = llm.invoke("hi")
    else:
        message = None
        for chunk in llm.stream("hi"):
            message = chunk if message is None else message + chunk
    kinds = [block["type"] for block in message.content]
    assert kinds == ["reasoning", "text"]
    assert message.content[1]["text"] == message.text == 'Emulator reply to: "hi"'
    assert message.content[0]["summary"][0]["type"] == "summary_text" and message.content[0]["summary"][0]["text"]
    assert message.additional_kwargs["reasoning_items"]  # replay data kept


def test_output_version_v1_gives_standard_blocks(make_model: Make) -> None:
    message = make_model(model="gpt-5.5", output_version="v1", reasoning={"effort": "low"}).invoke("hi")
    assert [block["type"] for block in message.content] == ["reasoning", "text"]
    assert message.text == 'Emulator reply to: "hi"'
