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


def test_profile_comes_from_the_cached_catalog() -> None:
    # issue 14 item 2: the catalog (cached by list_models) wins over the static table
    with CodexEmulator() as emu:
        config = emu.oauth_config()
        static = ChatCodexOAuth(model="gpt-5.6-sol", oauth_config=config).profile
        assert static is not None and static["max_input_tokens"] == 272_000
        assert "max" in static["reasoning_effort_levels"]
        assert ChatCodexOAuth(model="gpt-5.4", oauth_config=config).profile is None  # retired: not in the table
        emu.client().list_models()
        cached = ChatCodexOAuth(model="gpt-5.6-sol", oauth_config=config).profile
        assert cached is not None and cached["max_input_tokens"] == 372_000  # the emulator's catalog says so
        assert cached["reasoning_effort_levels"] == ["low", "medium", "high", "xhigh", "max"]
        future = ChatCodexOAuth(model="gpt-5.4", oauth_config=config).profile  # listed by this backend
        assert future is not None and future["max_input_tokens"] == 272_000
