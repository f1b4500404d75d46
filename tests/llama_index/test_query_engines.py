"""Stock query and chat engines over a VectorStoreIndex (MockEmbedding) answered by CodexOAuth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding

if TYPE_CHECKING:
    from llama_index.llms.oauth_codex import CodexOAuth

    from oauth_codex.testing import CodexEmulator

DOCS = [
    Document(text="The lighthouse of Alexandria was one of the Seven Wonders of the Ancient World."),
    Document(text="Basalt columns at the Giant's Causeway formed from cooling lava."),
    Document(text="The Rosetta Stone helped scholars decipher Egyptian hieroglyphs."),
]


@pytest.fixture
def index(clean_settings: Any) -> VectorStoreIndex:
    # building an index caches default parsers on Settings: clean_settings restores them
    return VectorStoreIndex.from_documents(DOCS, embed_model=MockEmbedding(embed_dim=8))


def user_text(body: dict[str, Any]) -> str:
    return "\n".join(
        part["text"]
        for item in body["input"]
        if item.get("role") == "user"
        for part in item["content"]
        if part.get("type") == "input_text"
    )


def assert_context_reached_the_model(emu: CodexEmulator, question: str) -> None:
    body = emu.responses_requests[-1].json
    text = user_text(body)
    assert question in text
    assert "Seven Wonders" in text or "Giant's Causeway" in text or "Rosetta" in text
    assert all(item.get("role") != "system" for item in body["input"])


def test_query_engine_with_settings_llm(clean_settings: Any, llm: CodexOAuth, emu: CodexEmulator) -> None:
    clean_settings.llm = llm
    clean_settings.embed_model = MockEmbedding(embed_dim=8)
    engine = VectorStoreIndex.from_documents(DOCS).as_query_engine(similarity_top_k=2)
    response = engine.query("Which wonder stood in Alexandria?")
    assert "Which wonder stood in Alexandria?" in str(response)  # the scripted model quotes its prompt
    assert len(response.source_nodes) == 2
    assert_context_reached_the_model(emu, "Which wonder stood in Alexandria?")


def test_streaming_query_engine(index: VectorStoreIndex, llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.set_answer(deltas=10)
    engine = index.as_query_engine(llm=llm, streaming=True, similarity_top_k=2)
    response = engine.query("What helped decipher hieroglyphs?")
    tokens = list(response.response_gen)
    assert len([t for t in tokens if t]) == 10
    assert "What helped decipher hieroglyphs?" in "".join(tokens)
    assert_context_reached_the_model(emu, "What helped decipher hieroglyphs?")


async def test_aquery(index: VectorStoreIndex, llm: CodexOAuth, emu: CodexEmulator) -> None:
    engine = index.as_query_engine(llm=llm, similarity_top_k=2)
    response = await engine.aquery("How did the Causeway form?")
    assert "How did the Causeway form?" in str(response)
    assert_context_reached_the_model(emu, "How did the Causeway form?")


def test_context_chat_engine(index: VectorStoreIndex, llm: CodexOAuth, emu: CodexEmulator) -> None:
    engine = index.as_chat_engine(chat_mode="context", llm=llm, similarity_top_k=2)
    first = engine.chat("Tell me about the Rosetta Stone")
    assert "Rosetta Stone" in str(first)
    # the retrieved context goes into instructions (system prompt), never a system item
    body = emu.responses_requests[-1].json
    assert "Rosetta Stone helped scholars" in body["instructions"] or "Rosetta" in user_text(body)
    assert all(item.get("role") != "system" for item in body["input"])

    streamed = engine.stream_chat("And the lighthouse?")
    text = "".join(streamed.response_gen)
    assert "And the lighthouse?" in text
    history = [(i.get("role"), i.get("type")) for i in emu.responses_requests[-1].json["input"]]
    assert history.count(("user", "message")) == 2 and ("assistant", "message") in history


async def test_async_context_chat_engine(index: VectorStoreIndex, llm: CodexOAuth) -> None:
    engine = index.as_chat_engine(chat_mode="context", llm=llm)
    response = await engine.achat("What formed from cooling lava?")
    assert "What formed from cooling lava?" in str(response)
    streamed = await engine.astream_chat("Tell me more")
    tokens = [token async for token in streamed.async_response_gen()]
    assert "Tell me more" in "".join(tokens)
