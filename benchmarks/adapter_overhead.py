"""Streaming cost of the LangChain adapter (``ChatCodexOAuth``) against the core ``generate_stream``.

    python benchmarks/adapter_overhead.py [--deltas 20000] [--rounds 7]

The emulator runs in a separate process (so it does not compete with the client for the GIL) and answers
every request with the same stream of ``--deltas`` text deltas (``emu.set_answer(deltas=...)``). Each round
runs, in rotating order:

* ``core``: ``CodexOAuthLLM.generate_stream(prompt=...)``, text deltas (the baseline);
* ``core_raw``: the same with ``raw_events=True`` (what the adapter consumes);
* ``lc_floor``: the cheapest possible LangChain chat model on the core client: a ``BaseChatModel`` whose
  ``_stream`` wraps the text-mode ``generate_stream`` in one ``AIMessageChunk`` per delta (no tools, usage
  or metadata), streamed with ``.stream()``. It measures LangChain's own per-chunk cost;
* ``adapter_layer``: ``ChatCodexOAuth._stream(messages)`` iterated directly: the adapter's own layer (event
  conversion and chunk objects) without LangChain's ``stream`` machinery;
* ``adapter``: ``ChatCodexOAuth.stream(prompt)``, every ``AIMessageChunk`` through LangChain's ``stream``
  (callback manager, run ids, the final chunk) and the adapter's event-to-chunk converter;
* ``adapter_async``: ``ChatCodexOAuth.astream(prompt)`` in one event loop;
* ``adapter_invoke``: ``ChatCodexOAuth.invoke(prompt)`` (streams and aggregates into one ``AIMessage``).

Reported: median wall and client CPU time per stream, the ratio to ``core``, and ``adapter / lc_floor``
(what the adapter itself adds on top of LangChain's per-chunk machinery). Target: ``adapter`` <= 1.3x
``core``. Not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterator
from typing import Any, cast

from _harness import INSTRUCTIONS, MODEL, PROMPT, emulator_process, print_table, run_rounds

TARGET = 1.3
FLOOR_TARGET = 1.15  # an adapter over its framework's do-nothing model yielding the same chunks


def make_runners(info: dict[str, str]) -> dict[str, Callable[[], str]]:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage
    from langchain_core.outputs import ChatGenerationChunk, ChatResult
    from langchain_oauth_codex import ChatCodexOAuth

    from oauth_codex import CodexOAuthLLM, StaticTokenProvider, StreamEvent

    class Floor(BaseChatModel):
        """One AIMessageChunk per text delta of the core client; nothing else."""

        @property
        def _llm_type(self) -> str:
            return "floor"

        def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
            raise NotImplementedError

        def _stream(
            self, messages: list[BaseMessage], *args: Any, **kwargs: Any
        ) -> Iterator[ChatGenerationChunk]:
            for delta in core.generate_stream(prompt=str(messages[-1].content)):
                yield ChatGenerationChunk(message=AIMessageChunk(content=delta))

    def provider() -> StaticTokenProvider:
        return StaticTokenProvider(info["token"], info["account_id"])

    core = CodexOAuthLLM(
        base_url=info["base_url"], token_provider=provider(), model=MODEL, instructions=INSTRUCTIONS
    )
    llm = ChatCodexOAuth(
        base_url=info["base_url"], token_provider=provider(), model=MODEL, instructions=INSTRUCTIONS
    )
    floor = Floor()
    loop = asyncio.new_event_loop()

    def run_core() -> str:
        return "".join(core.generate_stream(prompt=PROMPT))  # type: ignore[arg-type]

    def run_core_raw() -> str:
        events = cast(Iterator[StreamEvent], core.generate_stream(prompt=PROMPT, raw_events=True))
        return "".join(e.delta or "" for e in events if e.type == "response.output_text.delta")

    def run_floor() -> str:
        return "".join(chunk.text for chunk in floor.stream(PROMPT))

    def run_adapter_layer() -> str:
        return "".join(chunk.text for chunk in llm._stream([HumanMessage(PROMPT)]))

    def run_adapter() -> str:
        return "".join(chunk.text for chunk in llm.stream(PROMPT))

    async def astream() -> str:
        parts = [chunk.text async for chunk in llm.astream(PROMPT)]
        return "".join(parts)

    def run_adapter_async() -> str:
        return loop.run_until_complete(astream())

    def run_adapter_invoke() -> str:
        message = llm.invoke(PROMPT)
        assert not isinstance(message, AIMessageChunk)
        return message.text

    return {
        "core": run_core,
        "core_raw": run_core_raw,
        "lc_floor": run_floor,
        "adapter_layer": run_adapter_layer,
        "adapter": run_adapter,
        "adapter_async": run_adapter_async,
        "adapter_invoke": run_adapter_invoke,
        **make_llama_index_runners(info),
    }


def make_llama_index_runners(info: dict[str, str]) -> dict[str, Callable[[], str]]:
    """``li_floor``: the cheapest LlamaIndex LLM on the core client; ``li_adapter``: ``CodexOAuth``."""
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        ChatResponseGen,
        CompletionResponse,
        CompletionResponseGen,
        LLMMetadata,
    )
    from llama_index.core.llms.callbacks import llm_chat_callback
    from llama_index.core.llms.custom import CustomLLM
    from llama_index.llms.oauth_codex import CodexOAuth

    from oauth_codex import CodexOAuthLLM, StaticTokenProvider

    def client() -> CodexOAuthLLM:
        provider = StaticTokenProvider(info["token"], info["account_id"])
        return CodexOAuthLLM(
            base_url=info["base_url"], token_provider=provider, model=MODEL, instructions=INSTRUCTIONS
        )

    core = client()

    class Floor(CustomLLM):
        """One ``ChatResponse`` (accumulated content + delta) per text delta of the core client; nothing else."""

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True)

        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            raise NotImplementedError

        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
            raise NotImplementedError

        @llm_chat_callback()
        def stream_chat(self, messages: Any, **kwargs: Any) -> ChatResponseGen:
            def gen() -> ChatResponseGen:
                content = ""
                for delta in core.generate_stream(prompt=str(messages[-1].content)):
                    content += delta
                    yield ChatResponse(message=ChatMessage(role="assistant", content=content), delta=delta)

            return gen()

    floor = Floor()
    adapter = CodexOAuth(client=client())
    messages = [ChatMessage(role="user", content=PROMPT)]

    def run_floor() -> str:
        return "".join(r.delta or "" for r in floor.stream_chat(messages))

    def run_adapter() -> str:
        return "".join(r.delta or "" for r in adapter.stream_chat(messages))

    return {"li_floor": run_floor, "li_adapter": run_adapter}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ChatCodexOAuth streaming overhead vs the core client")
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

    with emulator_process(args.deltas) as info:
        results = run_rounds(make_runners(info), args.rounds)
    print_table(results, "core", args.deltas, args.rounds, width=16)
    base = results["core"]
    ratio = results["adapter"]["wall"] / base["wall"]
    print(f"adapter / core = {ratio:.3f} (target <= {TARGET}): {'met' if ratio <= TARGET else 'NOT met'}")
    layer = results["adapter_layer"]["wall"] / results["core_raw"]["wall"]
    print(f"adapter_layer / core_raw = {layer:.3f} (event conversion + chunk objects on the raw stream)")
    for adapter, floor in (("adapter", "lc_floor"), ("li_adapter", "li_floor")):
        wall = results[adapter]["wall"] / results[floor]["wall"]
        cpu = results[adapter]["cpu"] / results[floor]["cpu"]
        verdict = "met" if max(wall, cpu) <= FLOOR_TARGET else "NOT met"
        print(f"{adapter} / {floor} = {wall:.3f} wall, {cpu:.3f} cpu (target <= {FLOOR_TARGET}): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
