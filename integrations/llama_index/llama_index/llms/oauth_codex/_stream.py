"""Fold the core client's raw ``StreamEvent``s into LlamaIndex ``ChatResponse``s (pure, no I/O).

One :class:`ChatStreamState` serves ``chat``/``stream_chat`` and their async twins. Every response it
returns carries the **accumulated** message (thinking, text, tool calls so far) and the new text as
``delta``; ``FunctionAgent`` keeps only the last one, so :meth:`ChatStreamState.finish` builds it from the
core ``ResponseAccumulator``'s final result: every complete tool call, replayable reasoning, ``raw`` (the
final response object) and ``additional_kwargs["usage"]``. Failed or cut streams raise the core's typed
error there (or earlier, from the client) instead of returning a truncated message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from oauth_codex import ResponseAccumulator, StreamEvent
from oauth_codex.types import GenerateResult, RateLimits

from ._convert import REASONING_PROVIDER, thinking_block_from_item

__all__ = [
    "ChatStreamState",
    "assistant_message",
    "chat_response_or_raise",
    "final_chat_response",
    "legacy_tool_call",
]

_TEXT_DELTA = "response.output_text.delta"
_REASONING_DELTAS = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")
_ITEM_ADDED = "response.output_item.added"
_ITEM_DONE = "response.output_item.done"
_ARGS_DELTA = "response.function_call_arguments.delta"
_ARGS_DONE = "response.function_call_arguments.done"


@dataclass
class _PendingCall:
    call_id: str
    name: str
    arguments: str


class ChatStreamState:
    """Accumulates one streamed response; :meth:`feed` per event, :meth:`finish` at the end."""

    def __init__(self) -> None:
        self._acc = ResponseAccumulator()
        self._text = ""
        self._thinking = ""
        self._thinking_key: tuple[Any, ...] | None = None
        self._calls: dict[int, _PendingCall] = {}
        self._index_by_item_id: dict[str, int] = {}
        self._commentary = ""  # phase "commentary" text: additional_kwargs["commentary"], never the content

    def feed(self, event: StreamEvent) -> ChatResponse | None:
        """Take one event; return the response to yield for it, or ``None`` when nothing visible changed."""
        change = self._update(event)
        if change is None:
            return None
        delta, thinking_delta = change
        return self._snapshot(event, delta=delta, thinking_delta=thinking_delta)

    def _update(self, event: StreamEvent) -> tuple[str, str | None] | None:
        """Fold one event in; return ``(delta, thinking_delta)`` when something visible changed."""
        self._acc.add(event)
        kind = event.type
        data = event.raw
        if kind == _TEXT_DELTA and event.delta:
            if self._acc.is_commentary(data.get("output_index")):
                self._commentary += event.delta
                return None
            self._text += event.delta
            return event.delta, None
        if kind in _REASONING_DELTAS and event.delta:
            key = (data.get("output_index"), data.get("summary_index"), data.get("content_index"))
            piece = event.delta
            if self._thinking and key != self._thinking_key:
                piece = "\n\n" + piece
            self._thinking_key = key
            self._thinking += piece
            return "", piece
        if kind in (_ITEM_ADDED, _ITEM_DONE) and event.item and event.item.get("type") == "function_call":
            item = event.item
            index = self._output_index(data, item)
            call = self._calls.get(index)
            if call is None:
                call = self._calls[index] = _PendingCall(
                    str(item.get("call_id") or ""), str(item.get("name") or ""), ""
                )
            call.call_id = str(item.get("call_id") or call.call_id)
            call.name = str(item.get("name") or call.name)
            if isinstance(item.get("arguments"), str) and (item["arguments"] or kind == _ITEM_DONE):
                call.arguments = item["arguments"]
            return "", None
        if kind in (_ARGS_DELTA, _ARGS_DONE):
            pending = self._calls.get(self._output_index(data, None))
            if pending is None:
                return None
            if kind == _ARGS_DELTA:
                pending.arguments += event.delta or ""
            elif isinstance(data.get("arguments"), str):
                pending.arguments = data["arguments"]
            return "", None
        return None

    def finish(
        self,
        *,
        rate_limits: RateLimits | None = None,
        profile_name: str | None = None,
        account_id: str | None = None,
    ) -> ChatResponse:
        """The final response (complete tool calls, usage, raw); raises the core error for a failed stream.

        A ``response.incomplete`` answer raises the core's ``StreamError`` (``code`` = the reason,
        ``partial_text``/``partial_result`` = what arrived), as the core client's text stream does.
        ``rate_limits`` (the client's ``last_rate_limits``) and the login that answered (``profile_name``,
        ``account_id``) are reported too.
        """
        result = self._acc.result()
        known = {"rate_limits": rate_limits, "profile_name": profile_name, "account_id": account_id}
        missing = {k: v for k, v in known.items() if v is not None and getattr(result, k) is None}
        if missing:
            result = result.model_copy(update=missing)
        return final_chat_response(result, fallback_thinking=self._thinking)

    def _output_index(self, data: dict[str, Any], item: dict[str, Any] | None) -> int:
        item_id = data.get("item_id") or (item or {}).get("id")
        index = data.get("output_index")
        if isinstance(index, int):
            if isinstance(item_id, str):
                self._index_by_item_id[item_id] = index
            return index
        if isinstance(item_id, str) and item_id in self._index_by_item_id:
            return self._index_by_item_id[item_id]
        return len(self._calls)

    def _snapshot(
        self, event: StreamEvent, *, delta: str = "", thinking_delta: str | None = None
    ) -> ChatResponse:
        blocks: list[Any] = []
        if self._thinking:
            blocks.append(
                ThinkingBlock(content=self._thinking, additional_information={"provider": REASONING_PROVIDER})
            )
        if self._text:
            blocks.append(TextBlock(text=self._text))
        for index in sorted(self._calls):
            call = self._calls[index]
            blocks.append(
                ToolCallBlock(tool_call_id=call.call_id, tool_name=call.name, tool_kwargs=call.arguments)
            )
        extra: dict[str, Any] = {}
        if thinking_delta is not None:
            extra["thinking_delta"] = thinking_delta
        return ChatResponse(
            message=assistant_message(blocks, commentary=self._commentary),
            delta=delta,
            raw=event.raw,
            additional_kwargs=extra,
        )


def chat_response_or_raise(result: GenerateResult) -> ChatResponse:
    """``final_chat_response`` of a collected result; the core's ``StreamError`` when it is incomplete.

    The core returns a ``response.incomplete`` result with ``return_details=True``; folding its terminal
    response into a core ``ResponseAccumulator`` raises exactly the error the core's text stream raises.
    """
    if result.finish_reason in ("length", "content_filter"):
        acc = ResponseAccumulator()
        acc.add({"type": "response.incomplete", "response": result.raw_response or {}})
        acc.result()  # raises StreamError (code = the reason, partial_text = the text so far)
    return final_chat_response(result)


def final_chat_response(result: GenerateResult, *, fallback_thinking: str = "") -> ChatResponse:
    """The ``ChatResponse`` for a finished call: blocks in output order, ``raw`` and ``usage`` attached."""
    blocks: list[Any] = []
    text_placed = False
    call_ids: set[str] = set()
    for item in result.output_items:
        kind = item.get("type")
        if kind == "reasoning":
            thinking = thinking_block_from_item(item)
            if thinking.content or "encrypted_content" in thinking.additional_information:
                blocks.append(thinking)
        elif kind == "message" and not text_placed and result.text:
            blocks.append(TextBlock(text=result.text))
            text_placed = True
        elif kind == "function_call":
            call_id = str(item.get("call_id") or "")
            call_ids.add(call_id)
            blocks.append(
                ToolCallBlock(
                    tool_call_id=call_id,
                    tool_name=str(item.get("name") or ""),
                    tool_kwargs=_decode_arguments(item.get("arguments")),
                )
            )
    fallback_thinking = fallback_thinking or result.reasoning_summary or ""
    if fallback_thinking and not any(isinstance(block, ThinkingBlock) for block in blocks):
        blocks.insert(
            0,
            ThinkingBlock(content=fallback_thinking, additional_information={"provider": REASONING_PROVIDER}),
        )
    if result.text and not text_placed:
        blocks.insert(sum(isinstance(block, ThinkingBlock) for block in blocks), TextBlock(text=result.text))
    for call in result.tool_calls:
        if call.id not in call_ids:
            blocks.append(
                ToolCallBlock(
                    tool_call_id=call.id,
                    tool_name=call.name,
                    tool_kwargs=call.arguments if call.arguments is not None else call.arguments_json,
                )
            )
    extra: dict[str, Any] = {
        "usage": result.usage.model_dump() if result.usage is not None else None,
        "finish_reason": result.finish_reason,
        "response_id": result.response_id,
        "model": result.model,
    }
    if result.reasoning_summary:
        extra["reasoning_summary"] = result.reasoning_summary
    if result.commentary:
        extra["commentary"] = result.commentary
    if result.rate_limits is not None:
        extra["rate_limits"] = result.rate_limits.model_dump(mode="json")
    for key in ("profile_name", "account_id"):  # which login answered (never a token)
        if getattr(result, key) is not None:
            extra[key] = getattr(result, key)
    return ChatResponse(
        message=assistant_message(blocks, commentary=result.commentary),
        delta="",
        raw=result.raw_response,
        additional_kwargs=extra,
    )


def assistant_message(blocks: list[Any], *, commentary: str = "") -> ChatMessage:
    """An assistant message; tool calls are mirrored in ``additional_kwargs["tool_calls"]``.

    ``ToolCallBlock``s are the source of truth; the Chat-Completions-shaped mirror is for LlamaIndex code
    that still looks there (streaming structured output does). ``commentary`` (the ``phase: "commentary"``
    text) goes to ``additional_kwargs["commentary"]``, never into the content.
    """
    calls = [block for block in blocks if isinstance(block, ToolCallBlock)]
    extra: dict[str, Any] = {"tool_calls": [legacy_tool_call(block) for block in calls]} if calls else {}
    if commentary:
        extra["commentary"] = commentary
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def legacy_tool_call(block: ToolCallBlock) -> dict[str, Any]:
    """A ``ToolCallBlock`` in the Chat-Completions ``tool_calls`` shape."""
    arguments = block.tool_kwargs
    encoded = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return {
        "id": block.tool_call_id,
        "type": "function",
        "function": {"name": block.tool_name, "arguments": encoded},
    }


def _decode_arguments(arguments: Any) -> dict[str, Any] | str:
    if isinstance(arguments, dict):
        return arguments
    text = arguments if isinstance(arguments, str) else ""
    try:
        decoded = json.loads(text) if text else {}
    except ValueError:
        return text
    return decoded if isinstance(decoded, dict) else text
