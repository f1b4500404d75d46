"""The adapters on ``route="siwc"`` against the SIWC emulator: a LangGraph agent with tools,
``with_structured_output``, a LlamaIndex ``FunctionAgent`` and a query engine (unchanged for users)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langchain_oauth_codex import ChatCodexOAuth
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.tools import FunctionTool
from llama_index.llms.oauth_codex import CodexOAuth
from pydantic import BaseModel

from oauth_codex._siwc_request import FORBIDDEN_FIELDS
from oauth_codex.auth import SiwcConfig, SiwcCredentials, SiwcTokenProvider
from oauth_codex.testing import SiwcEmulator

MODEL = "gpt-6.1-sol"


@tool
def get_weather(city: str) -> str:
    """Current weather of a city."""
    return f"Sunny, 22C in {city}"


def add(a: int, b: int) -> int:
    """Add two integers a and b."""
    return a + b


class City(BaseModel):
    name: str
    country: str


@pytest.fixture
def chat(emu: SiwcEmulator, config: SiwcConfig, signed_in: SiwcCredentials) -> ChatCodexOAuth:
    return ChatCodexOAuth(
        model=MODEL, route="siwc", siwc_config=config, token_provider=SiwcTokenProvider(config, interactive=False)
    )


@pytest.fixture
def llm(emu: SiwcEmulator, config: SiwcConfig, signed_in: SiwcCredentials) -> CodexOAuth:
    return CodexOAuth(
        model=MODEL, route="siwc", siwc_config=config, token_provider=SiwcTokenProvider(config, interactive=False)
    )


@pytest.fixture
def clean_settings() -> Iterator[None]:
    saved = dict(vars(Settings))
    try:
        yield
    finally:
        vars(Settings).clear()
        vars(Settings).update(saved)


def _bodies(emu: SiwcEmulator) -> list[dict[str, Any]]:
    return [r.json for r in emu.requests_to("/v1/responses") if isinstance(r.json, dict)]


def test_a_langgraph_agent_with_tools_runs_on_siwc(emu: SiwcEmulator, chat: ChatCodexOAuth) -> None:
    from langchain.agents import create_agent

    agent = create_agent(chat, [get_weather], system_prompt="You are a helpful assistant.")
    state = agent.invoke({"messages": [HumanMessage("What is the weather in 'Paris'?")]})
    assert "Sunny, 22C in Paris" in str(state["messages"][-1].content)
    bodies = _bodies(emu)
    assert len(bodies) == 2
    for body in bodies:
        assert body["input"][0]["type"] == "additional_tools" and "tools" not in body
        assert body["instructions"].startswith("You are a helpful assistant.")
        assert all(item.get("role") != "system" for item in body["input"])
    assert {"function_call", "function_call_output"} <= {i.get("type") for i in bodies[1]["input"]}
    assert chat.invoke("hi").response_metadata.get("profile_name") == "default"


def test_with_structured_output_on_siwc(emu: SiwcEmulator, chat: ChatCodexOAuth) -> None:
    city = chat.with_structured_output(City).invoke("Name the city 'Paris' in 'France'.")
    assert isinstance(city, City)
    assert _bodies(emu)[-1]["text"]["format"]["type"] == "json_schema"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    temperature=st.none() | st.floats(0, 2),
    max_tokens=st.none() | st.integers(1, 4096),
    top_p=st.none() | st.floats(0, 1),
)
def test_langchain_sampling_kwargs_never_reach_the_body(
    emu: SiwcEmulator, chat: ChatCodexOAuth, temperature: float | None, max_tokens: int | None, top_p: float | None
) -> None:
    model = chat.model_copy(update={"temperature": temperature, "max_tokens": max_tokens})
    kwargs = {"top_p": top_p} if top_p is not None else {}
    assert model.invoke("hello", **kwargs).content
    assert not FORBIDDEN_FIELDS & set(_bodies(emu)[-1])


async def test_a_llamaindex_function_agent_runs_on_siwc(emu: SiwcEmulator, llm: CodexOAuth) -> None:
    tools = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=get_weather.func)]  # type: ignore[arg-type]
    agent = FunctionAgent(tools=tools, llm=llm, system_prompt="You are a helpful assistant.")
    result = await agent.run(user_msg="Add 2 and 3, and what is the weather in 'Paris'?")
    assert "add returned: 5" in str(result) and "Sunny, 22C in Paris" in str(result)
    bodies = _bodies(emu)
    assert len(bodies) == 2 and bodies[0]["input"][0]["type"] == "additional_tools"
    assert not FORBIDDEN_FIELDS & set(bodies[0])


def test_a_llamaindex_query_engine_runs_on_siwc(emu: SiwcEmulator, llm: CodexOAuth, clean_settings: None) -> None:
    docs = [
        Document(text="The lighthouse of Alexandria was one of the Seven Wonders of the Ancient World."),
        Document(text="The Rosetta Stone helped scholars decipher Egyptian hieroglyphs."),
    ]
    index = VectorStoreIndex.from_documents(docs, embed_model=MockEmbedding(embed_dim=8))
    answer = index.as_query_engine(llm=llm, similarity_top_k=2).query("What did the Rosetta Stone help with?")
    assert str(answer)
    body = _bodies(emu)[-1]
    text = " ".join(
        part.get("text", "") for item in body["input"] if item.get("role") == "user" for part in item["content"]
    )
    assert "Rosetta" in text and all(item.get("role") != "system" for item in body["input"])


def test_structured_output_falls_back_to_json_in_the_instructions_when_text_format_is_refused(
    emu: SiwcEmulator, chat: ChatCodexOAuth
) -> None:
    emu.quirks.reject_structured_outputs = True
    structured = chat.with_structured_output(City)
    with pytest.warns(UserWarning, match="text.format"):
        city = structured.invoke("Name the city 'Paris' in 'France'.")
    assert isinstance(city, City)
    first, second = _bodies(emu)[-2:]
    assert first["text"]["format"]["type"] == "json_schema" and "text" not in second
    assert '"country"' in second["instructions"]
    assert isinstance(structured.invoke("Name the city 'Rome' in 'Italy'."), City)  # asked that way at once
    assert "text" not in _bodies(emu)[-1] and len(_bodies(emu)) == 3
