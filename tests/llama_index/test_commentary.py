"""``phase: "commentary"`` in the LlamaIndex adapter (issue 14 item 4): never in the content, kept in
``additional_kwargs["commentary"]`` and replayed with its phase."""

from __future__ import annotations

from llama_index.core.llms import ChatMessage
from llama_index.llms.oauth_codex import CodexOAuth

from oauth_codex.testing import CodexEmulator

NOTE = "Checking the atlas first."


async def test_commentary_stays_out_of_content(emu: CodexEmulator) -> None:
    emu.set_answer(text="Paris.", commentary=NOTE)
    llm = CodexOAuth(client=emu.client(), model="gpt-5.5")
    question = [ChatMessage(role="user", content="capital?")]
    for response in (llm.chat(question), await llm.achat(question)):
        assert response.message.content == "Paris."
        assert response.message.additional_kwargs["commentary"] == NOTE
        assert response.additional_kwargs["commentary"] == NOTE
    streamed = list(llm.stream_chat(question))
    assert "".join(r.delta or "" for r in streamed) == "Paris."
    assert streamed[-1].message.content == "Paris."
    assert streamed[-1].message.additional_kwargs["commentary"] == NOTE
    astreamed = [r async for r in await llm.astream_chat(question)]
    assert "".join(r.delta or "" for r in astreamed) == "Paris."
    assert llm.complete("capital?").text == "Paris."

    emu.set_answer()
    llm.chat([*question, response.message, ChatMessage(role="user", content="and Italy?")])
    sent = emu.responses_requests[-1].json["input"]
    phases = [i.get("phase") for i in sent if i.get("role") == "assistant"]
    assert phases == ["commentary", None]
    await llm.client.aclose()


def test_context_window_comes_from_the_cached_catalog(emu: CodexEmulator) -> None:
    # issue 14 item 2: the catalog's input window (+ the output budget) once it is cached
    llm = CodexOAuth(client=emu.client(), model="gpt-5.6-sol")
    assert llm.metadata.context_window == 400_000  # the static table
    llm.client.list_models()
    assert llm.metadata.context_window == 372_000 + 128_000
    assert CodexOAuth(client=emu.client(), model="gpt-5.6-sol", context_window=9_000).metadata.context_window == 9_000
    llm.client.close()
