"""``phase: "commentary"`` in the LangChain adapter (issue 14 item 4): never in ``content``, kept in
``additional_kwargs["commentary"]`` and replayed with its phase."""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_oauth_codex import ChatCodexOAuth

from oauth_codex.testing import CodexEmulator

NOTE = "Checking the atlas first."


async def test_commentary_stays_out_of_content(make_model: Callable[..., ChatCodexOAuth]) -> None:
    with CodexEmulator() as emu:
        emu.set_answer(text="Paris.", commentary=NOTE)
        model = make_model(emu=emu)
        for message in (model.invoke("capital?"), await model.ainvoke("capital?")):
            assert isinstance(message, AIMessage)
            assert message.content == "Paris." and message.additional_kwargs["commentary"] == NOTE
        chunks = list(model.stream("capital?"))
        assert "".join(str(c.content) for c in chunks) == "Paris."
        merged = sum(chunks[1:], chunks[0])
        assert isinstance(merged, AIMessageChunk) and merged.additional_kwargs["commentary"] == NOTE
        achunks = [c async for c in model.astream("capital?")]
        assert "".join(str(c.content) for c in achunks) == "Paris."

        emu.set_answer()
        model.invoke([HumanMessage("capital?"), message, HumanMessage("and Italy?")])
        sent = emu.responses_requests[-1].json["input"]
        assistant = [(i.get("phase"), i["content"][0]["text"]) for i in sent if i.get("role") == "assistant"]
        assert assistant == [("commentary", NOTE), ("final_answer", "Paris.")]
