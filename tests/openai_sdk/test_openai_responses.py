"""``client.responses`` of the real openai SDK, through ``oauth_codex.openai``, against the emulator."""

from __future__ import annotations

import json
import warnings

import openai
import pytest
from pydantic import BaseModel

from oauth_codex import CodexOAuthLLM, MemoryTokenStore
from oauth_codex.openai import AsyncOpenAI, OpenAI
from oauth_codex.testing import CodexEmulator

MODEL = "gpt-5.5"

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def test_clients_are_genuine_openai_clients(client: OpenAI, emu: CodexEmulator) -> None:
    assert isinstance(client, openai.OpenAI)
    assert isinstance(AsyncOpenAI(llm=client.llm), openai.AsyncOpenAI)
    assert str(client.base_url) == emu.base_url + "/"
    copied = client.with_options(timeout=30.0)
    assert isinstance(copied, OpenAI) and copied.llm is client.llm
    assert copied.responses.create(model=MODEL, input="after with_options").output_text


def test_text_answer_lifts_instructions_and_sends_the_login(client: OpenAI, emu: CodexEmulator) -> None:
    response = client.responses.create(
        model=MODEL,
        input=[
            {"role": "system", "content": "Be brief."},
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "No jokes."}]},
            {"role": "user", "content": "hello there"},
        ],
    )
    assert response.output_text == 'Emulator reply to: "hello there"'
    assert response.status == "completed" and response.id.startswith("resp_")
    assert response.usage is not None and response.usage.output_tokens > 0
    assert response.tools == [] and response.parallel_tool_calls is False

    (sent,) = emu.responses_requests
    body = sent.json
    assert body["store"] is False and body["stream"] is True
    assert body["instructions"] == "Be brief.\n\nNo jokes."
    assert [item["role"] for item in body["input"]] == ["user"]
    tokens = client.llm.token_provider.get_token()
    assert sent.header("authorization") == f"Bearer {tokens.token}"
    assert sent.header("chatgpt-account-id") == tokens.account_id
    assert "chatgpt-oauth" not in json.dumps(sent.headers)


def test_default_instructions_when_none_are_given(client: OpenAI, emu: CodexEmulator) -> None:
    client.responses.create(model=MODEL, input="hi")
    assert emu.responses_requests[-1].json["instructions"].strip()


def test_streaming_yields_the_backend_events_and_a_completed_response_with_output(client: OpenAI) -> None:
    stream = client.responses.create(model=MODEL, input="stream this please", stream=True)
    events = list(stream)
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    final = events[-1].response
    assert deltas == final.output_text == 'Emulator reply to: "stream this please"'
    assert final.usage is not None and final.usage.total_tokens > 0


def test_stream_frames_leave_the_transport_as_they_arrive(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    """Frames are batched per network read only: a delta never waits for the next one to arrive.

    (Measured at the transport: openai 3.x itself may hand several events to the caller at once.)
    """
    import time

    import httpx2

    from oauth_codex.openai._transport import CodexTransport

    emu.set_answer(text="one two three four", deltas=4, delta_delay=0.4)
    transport = CodexTransport(llm, status_error=OpenAI(llm=llm)._make_status_error, owns_llm=False)
    body = json.dumps({"model": MODEL, "input": "slowly", "stream": True}).encode()
    arrivals: list[float] = []
    with httpx2.Client(transport=transport) as http:
        with http.stream("POST", f"{emu.base_url}/responses", content=body) as response:
            for chunk in response.iter_bytes():
                arrivals.extend(time.monotonic() for _ in range(chunk.count(b"output_text.delta")))
    assert len(arrivals) == 4
    assert arrivals[-1] - arrivals[0] > 0.8  # the first delta was handed on while the others were still coming


def test_stream_helper_gets_the_final_response(client: OpenAI) -> None:
    with client.responses.stream(model=MODEL, input="helper") as stream:
        texts = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(texts) == final.output_text == 'Emulator reply to: "helper"'


async def test_async_text_and_stream(aclient: AsyncOpenAI, emu: CodexEmulator) -> None:
    response = await aclient.responses.create(model=MODEL, input="async hello")
    assert response.output_text == 'Emulator reply to: "async hello"'
    stream = await aclient.responses.create(model=MODEL, input="async stream", stream=True)
    deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
    assert "".join(deltas) == 'Emulator reply to: "async stream"'
    assert all(r.json["store"] is False for r in emu.responses_requests)


def test_tool_round_trip_replays_the_output_without_server_ids(client: OpenAI, emu: CodexEmulator) -> None:
    history: list[object] = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.responses.create(model=MODEL, input=history, tools=[WEATHER_TOOL])  # type: ignore[arg-type]
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Paris"}
    assert call.id  # the server id is in the answer ...

    history += [item.model_dump(exclude_none=True) for item in first.output]
    history.append({"type": "function_call_output", "call_id": call.call_id, "output": "Sunny, 22C"})
    second = client.responses.create(model=MODEL, input=history, tools=[WEATHER_TOOL])  # type: ignore[arg-type]
    assert "Sunny, 22C" in second.output_text

    replayed = emu.responses_requests[-1].json["input"]
    assert not any("id" in item for item in replayed)  # ... and never sent back (store is false)
    assert [i.get("type", "message") for i in replayed][-2:] == ["function_call", "function_call_output"]


class City(BaseModel):
    name: str
    population: int


def test_parse_with_a_pydantic_model(client: OpenAI, emu: CodexEmulator) -> None:
    response = client.responses.parse(model=MODEL, input="Describe the city 'Lyon'", text_format=City)
    assert isinstance(response.output_parsed, City)
    assert emu.responses_requests[-1].json["text"]["format"]["type"] == "json_schema"


def test_rejected_parameters_are_dropped_with_one_warning_each(client: OpenAI, emu: CodexEmulator) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            response = client.responses.create(
                model=MODEL, input="hi", temperature=0.2, max_output_tokens=50, top_p=None, store=True
            )
            assert response.output_text
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 3, messages
    assert all("dropped" in m for m in messages)
    assert [m.split("`")[1] for m in messages] == ["max_output_tokens", "store", "temperature"]
    for sent in emu.responses_requests:
        assert not {"temperature", "max_output_tokens", "top_p"} & set(sent.json)
        assert sent.json["store"] is False


def test_storage_parameters_raise_a_clear_bad_request(client: OpenAI, emu: CodexEmulator) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi", previous_response_id="resp_123")
    assert "send the whole conversation" in caught.value.message
    assert isinstance(caught.value.__cause__, ValueError)
    assert emu.responses_requests == []


def test_other_hosts_never_get_the_login(client: OpenAI, emu: CodexEmulator) -> None:
    with CodexEmulator() as other:
        with pytest.raises(openai.APIConnectionError, match="nothing was sent"):
            client.get(f"{other.base_url}/responses", cast_to=object)
        assert other.requests == []
    with pytest.raises(openai.APIConnectionError):
        client.post(f"{emu.url}/oauth/token", cast_to=object, body={})
    assert emu.requests == []


def test_unsupported_endpoints_are_a_clear_404(client: OpenAI, emu: CodexEmulator) -> None:
    with pytest.raises(openai.NotFoundError, match="embeddings is not available") as caught:
        client.embeddings.create(model="text-embedding-3-small", input="x")
    assert "responses.create" in caught.value.message
    with pytest.raises(openai.NotFoundError, match="not stored"):
        client.responses.retrieve("resp_1")
    assert emu.requests == []


def test_the_sdk_client_closes_the_core_client_it_built(emu: CodexEmulator) -> None:
    store = MemoryTokenStore(emu.login_tokens())
    sdk = OpenAI(base_url=emu.base_url, oauth_config=emu.oauth_config(), token_store=store, interactive=False)
    assert isinstance(sdk.llm, CodexOAuthLLM) and sdk.llm.base_url == emu.base_url
    assert sdk.responses.create(model=MODEL, input="hi").output_text
    assert sdk.llm._http_client is not None
    sdk.close()
    assert sdk.llm._http_client is None


def test_a_foreign_http_client_or_conflicting_options_are_refused(llm: CodexOAuthLLM) -> None:
    import httpx2

    with pytest.raises(TypeError, match="llm=CodexOAuthLLM"):
        OpenAI(http_client=httpx2.Client())
    with pytest.raises(TypeError, match="llm=CodexOAuthLLM"):
        AsyncOpenAI(http_client=httpx2.AsyncClient())
    with pytest.raises(ValueError, match="either llm= or base_url, instructions"):
        OpenAI(llm=llm, base_url="http://127.0.0.1:1/backend-api/codex", instructions="x")


def test_a_stream_left_early_frees_its_connection(client: OpenAI, emu: CodexEmulator) -> None:
    emu.set_answer(text="one two three four five six", deltas=6)
    with client.responses.create(model=MODEL, input="hi", stream=True) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                break
    assert client.responses.create(model=MODEL, input="next").output_text == "one two three four five six"


def test_one_async_client_serves_several_event_loops(llm: CodexOAuthLLM) -> None:
    import asyncio

    sdk = AsyncOpenAI(llm=llm)

    async def ask(text: str) -> str:
        return (await sdk.responses.create(model=MODEL, input=text)).output_text

    assert asyncio.run(ask("first loop")) == 'Emulator reply to: "first loop"'
    assert asyncio.run(ask("second loop")) == 'Emulator reply to: "second loop"'
