"""SSE events of a turn: created, in_progress, each output item, terminal (docs/protocol.md "Event grammar").

Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._model import ModelTurn, OutputPlan

__all__ = ["StreamOptions", "build_events", "finalize_events", "usage_for"]


@dataclass(frozen=True)
class StreamOptions:
    """Shape switches of the SSE stream (defaults match chatgpt.com)."""

    completed_output: bool = False
    include_usage: bool = True
    null_usage_details: bool = False
    sequence_numbers: bool = True
    obfuscation: bool = False


def _response_stub(response_id: str, model: str, created_at: int, status: str) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "model": model,
        "output": [],
        "usage": None,
    }


def _item_events(index: int, plan: OutputPlan) -> list[dict[str, Any]]:
    item = plan.item
    iid = item["id"]
    kind = item["type"]
    base = {"item_id": iid, "output_index": index}
    events: list[dict[str, Any]] = []
    if kind == "message":
        added = {**item, "status": "in_progress", "content": []}
        text = item["content"][0]["text"]
        part = {"type": "output_text", "annotations": [], "text": ""}
        events.append({"type": "response.output_item.added", "output_index": index, "item": added})
        events.append({"type": "response.content_part.added", **base, "content_index": 0, "part": part})
        events.extend(
            {"type": "response.output_text.delta", **base, "content_index": 0, "delta": d}
            for d in plan.deltas
        )
        events.append({"type": "response.output_text.done", **base, "content_index": 0, "text": text})
        events.append(
            {"type": "response.content_part.done", **base, "content_index": 0, "part": {**part, "text": text}}
        )
    elif kind == "function_call":
        added = {**item, "status": "in_progress", "arguments": ""}
        events.append({"type": "response.output_item.added", "output_index": index, "item": added})
        events.extend(
            {"type": "response.function_call_arguments.delta", **base, "delta": d} for d in plan.deltas
        )
        events.append(
            {"type": "response.function_call_arguments.done", **base, "arguments": item["arguments"]}
        )
    elif kind == "custom_tool_call":
        added = {**item, "status": "in_progress", "input": ""}
        events.append({"type": "response.output_item.added", "output_index": index, "item": added})
        events.extend(
            {"type": "response.custom_tool_call_input.delta", **base, "delta": d} for d in plan.deltas
        )
        events.append({"type": "response.custom_tool_call_input.done", **base, "input": item["input"]})
    else:
        added = {"id": iid, "type": "reasoning", "summary": []}
        events.append({"type": "response.output_item.added", "output_index": index, "item": added})
        if item.get("summary"):
            text = item["summary"][0]["text"]
            part = {"type": "summary_text", "text": ""}
            sbase = {**base, "summary_index": 0}
            events.append({"type": "response.reasoning_summary_part.added", **sbase, "part": part})
            events.extend(
                {"type": "response.reasoning_summary_text.delta", **sbase, "delta": d} for d in plan.deltas
            )
            events.append({"type": "response.reasoning_summary_text.done", **sbase, "text": text})
            events.append(
                {"type": "response.reasoning_summary_part.done", **sbase, "part": {**part, "text": text}}
            )
    events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return events


def build_events(
    turn: ModelTurn, *, response_id: str, model: str, created_at: int, options: StreamOptions
) -> list[dict[str, Any]]:
    """The SSE events of a successful turn: created, in_progress, each item, completed (no numbering yet)."""
    events: list[dict[str, Any]] = [
        {
            "type": "response.created",
            "response": _response_stub(response_id, model, created_at, "in_progress"),
        },
        {
            "type": "response.in_progress",
            "response": _response_stub(response_id, model, created_at, "in_progress"),
        },
    ]
    for index, plan in enumerate(turn.outputs):
        events.extend(_item_events(index, plan))
    completed = _response_stub(response_id, model, created_at, "completed")
    if options.completed_output:
        completed["output"] = [p.item for p in turn.outputs]
    completed["usage"] = usage_for(turn.usage, options)
    events.append({"type": "response.completed", "response": completed})
    return events


def usage_for(usage: dict[str, Any], options: StreamOptions) -> dict[str, Any] | None:
    """``usage`` as the stream options want it (absent, or with ``null`` details)."""
    if not options.include_usage:
        return None
    if options.null_usage_details:
        return {**usage, "input_tokens_details": None, "output_tokens_details": None}
    return usage


def finalize_events(events: list[dict[str, Any]], options: StreamOptions) -> list[dict[str, Any]]:
    """Add ``sequence_number`` (from 0) and ``obfuscation`` padding on deltas, as the options say."""
    if not options.sequence_numbers and not options.obfuscation:
        return events
    out = []
    for n, event in enumerate(events):
        event = dict(event)
        if options.sequence_numbers:
            event["sequence_number"] = n
        if options.obfuscation and event["type"].endswith(".delta"):
            event["obfuscation"] = "x" * (16 - len(str(event.get("delta", ""))) % 16)
        out.append(event)
    return out
