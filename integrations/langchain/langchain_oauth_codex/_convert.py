"""Pure converters: LangChain messages -> the core client's ``messages``; core ``StreamEvent``s -> chunks.

Nothing here does I/O. The wire rules they encode (ADAPTERS.md §1.2, §1.6):

* system / developer messages are lifted into ``instructions`` (the backend rejects system items);
* user content becomes ``input_text`` / ``input_image`` / ``input_file`` parts;
* an assistant turn replays, in order, its reasoning items (encrypted content, never a server id),
  its text, and one ``function_call`` per tool call with ``call_id`` = the LangChain tool-call id;
* a ``ToolMessage`` becomes a ``function_call_output`` with ``call_id`` = ``tool_call_id``;
* stream events become ``AIMessageChunk``s; the one final chunk carries ``usage_metadata``,
  ``response_metadata`` and ``chunk_position="last"``.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from oauth_codex.types import StreamEvent

__all__ = [
    "MODEL_PROVIDER",
    "REASONING_ITEMS_KEY",
    "StreamConverter",
    "convert_messages",
    "usage_to_metadata",
]

MODEL_PROVIDER = "openai-codex"
"""``response_metadata["model_provider"]`` (and ``ls_provider``)."""

REASONING_ITEMS_KEY = "reasoning_items"
"""``AIMessage.additional_kwargs`` key holding the replayable reasoning items of a turn."""
COMMENTARY_KEY = "commentary"
"""``AIMessage.additional_kwargs`` key holding the ``phase: "commentary"`` text (never in ``content``)."""

Item = dict[str, Any]


# ============================================================================ LangChain -> core


def convert_messages(messages: Sequence[BaseMessage]) -> tuple[str | None, list[Item]]:
    """Split LangChain messages into lifted ``instructions`` and the core client's ``messages`` list.

    Returns ``(instructions, items)``: ``instructions`` joins every system / developer message with a
    blank line (``None`` when there is none); ``items`` holds chat-style dicts (``role`` user / assistant)
    and raw Responses items (``reasoning``, ``function_call``, ``function_call_output``), which the core
    client passes through.

    Raises:
        ValueError: a message or content block the Codex backend cannot take (a non-text system block,
            audio, a tool call without an id, an unknown role).
    """
    system_parts: list[str] = []
    items: list[Item] = []
    for index, message in enumerate(messages):
        role = _role_of(message)
        if role in ("system", "developer"):
            system_parts.append(_system_text(message, index))
        elif role == "user":
            items.append({"role": "user", "content": _user_content(message.content, index)})
        elif role == "assistant":
            items.extend(_assistant_items(message, index))
        elif role == "tool":
            assert isinstance(message, ToolMessage)
            items.append(_tool_output_item(message, index))
        else:
            raise ValueError(
                f"Message {index} has role {role!r}, which ChatCodexOAuth cannot send: use system, "
                "developer, human (user), ai (assistant) or tool messages."
            )
    instructions = "\n\n".join(system_parts) if system_parts else None
    return instructions, items


def _role_of(message: BaseMessage) -> str:
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, ToolMessage):
        return "tool"
    if isinstance(message, ChatMessage):
        return {"human": "user", "ai": "assistant"}.get(message.role, message.role)
    return message.type


def _system_text(message: BaseMessage, index: int) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for position, block in enumerate(content):
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, dict) and block.get("type") in ("text", "input_text") and "text" in block:
            texts.append(str(block["text"]))
        else:
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            raise ValueError(
                f"System message {index} has a {kind!r} block at position {position}; the Codex backend "
                "takes system text only as `instructions`. Move images and files into a HumanMessage."
            )
    return "".join(texts)


# ---------------------------------------------------------------------------- user content


def _user_content(content: str | list[str | dict[str, Any]], index: int) -> str | list[Item]:
    if isinstance(content, str):
        return content
    parts: list[Item] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "input_text", "text": block})
        else:
            part = _user_part(block, index)
            if part is not None:
                parts.append(part)
    return parts


def _user_part(block: dict[str, Any], index: int) -> Item | None:
    kind = block.get("type")
    if kind in ("text", "text-plain") and "text" in block and "source_type" not in block:
        return {"type": "input_text", "text": block["text"]}
    if kind == "input_text":
        return {"type": "input_text", "text": block.get("text", "")}
    if kind in ("input_image", "input_file"):
        return {k: v for k, v in block.items() if k != "id"}
    if kind == "image_url":
        return _image_url_part(block)
    if kind == "image":
        return _image_part(block, index)
    if kind == "file":
        return _file_part(block, index)
    if kind in ("audio", "input_audio", "video"):
        raise ValueError(
            f"Message {index} has a {kind!r} block; the Codex backend accepts text, images and files only."
        )
    if kind in ("tool_result", "tool_use", "thinking", "reasoning", "non_standard"):
        return None  # foreign provider blocks carry nothing the backend can take in a user turn
    raise ValueError(f"Message {index} has an unsupported content block of type {kind!r}.")


def _image_url_part(block: Mapping[str, Any]) -> Item:
    image_url = block.get("image_url")
    if isinstance(image_url, Mapping):
        part: Item = {"type": "input_image", "image_url": image_url["url"]}
        if image_url.get("detail"):
            part["detail"] = image_url["detail"]
        return part
    return {"type": "input_image", "image_url": str(image_url)}


def _data_url(mime_type: str, data: str) -> str:
    return f"data:{mime_type};base64,{data}"


def _image_part(block: Mapping[str, Any], index: int) -> Item:
    source = block.get("source")
    if isinstance(source, Mapping):  # Anthropic shape
        if source.get("type") == "base64":
            return {"type": "input_image", "image_url": _data_url(source["media_type"], source["data"])}
        if source.get("type") == "url":
            return {"type": "input_image", "image_url": source["url"]}
    if "url" in block:
        return {"type": "input_image", "image_url": block["url"]}
    if "file_id" in block:
        return {"type": "input_image", "file_id": block["file_id"]}
    data = block.get("base64", block.get("data"))
    if isinstance(data, str):
        mime_type = block.get("mime_type")
        if not mime_type:
            raise ValueError(f"Message {index} has a base64 image without `mime_type`.")
        return {"type": "input_image", "image_url": _data_url(mime_type, data)}
    raise ValueError(f"Message {index} has an image block without `url`, `base64` or `file_id`.")


def _file_part(block: Mapping[str, Any], index: int) -> Item:
    nested = block.get("file")
    if isinstance(nested, Mapping):  # OpenAI Chat Completions shape
        part: Item = {"type": "input_file"}
        for key in ("file_data", "file_id", "filename", "file_url"):
            if nested.get(key):
                part[key] = nested[key]
        return part
    if "url" in block:
        return {"type": "input_file", "file_url": block["url"]}
    if "file_id" in block or block.get("source_type") == "id":
        return {"type": "input_file", "file_id": block.get("file_id", block.get("id"))}
    data = block.get("base64", block.get("data"))
    if isinstance(data, str):
        mime_type = block.get("mime_type") or "application/pdf"
        extras = block.get("extras") or block.get("metadata") or {}
        filename = block.get("filename") or extras.get("filename")
        if not filename:
            filename = "document" + (mimetypes.guess_extension(mime_type) or "")
        return {"type": "input_file", "file_data": _data_url(mime_type, data), "filename": filename}
    raise ValueError(f"Message {index} has a file block without `url`, `base64` or `file_id`.")


# ---------------------------------------------------------------------------- assistant turns


def _assistant_items(message: BaseMessage, index: int) -> list[Item]:
    items: list[Item] = list(_reasoning_items(message))
    text = _assistant_text(message.content)
    commentary = message.additional_kwargs.get(COMMENTARY_KEY)
    if isinstance(commentary, str) and commentary:  # replayed with its phase (issue 14 item 4)
        items.append({"role": "assistant", "content": commentary, "phase": "commentary"})
    if text:
        items.append({"role": "assistant", "content": text, **({"phase": "final_answer"} if commentary else {})})
    if not isinstance(message, AIMessage):
        return items
    for call in message.tool_calls:
        items.append(
            {
                "type": "function_call",
                "call_id": _require_call_id(call.get("id"), index),
                "name": call["name"],
                "arguments": json.dumps(call["args"], ensure_ascii=False),
            }
        )
    for invalid in message.invalid_tool_calls:
        items.append(
            {
                "type": "function_call",
                "call_id": _require_call_id(invalid.get("id"), index),
                "name": invalid.get("name") or "",
                "arguments": invalid.get("args") or "",
            }
        )
    return items


def _require_call_id(call_id: str | None, index: int) -> str:
    if not call_id:
        raise ValueError(
            f"AIMessage {index} has a tool call without an id; the backend pairs calls with their "
            "ToolMessage through the id (`tool_call_id`)."
        )
    return call_id


def _assistant_text(content: str | list[str | dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif block.get("type") in ("text", "output_text") and isinstance(block.get("text"), str):
            texts.append(block["text"])
        # tool calls come from `tool_calls`; reasoning from `_reasoning_items`; foreign blocks
        # (Anthropic `tool_use` / `thinking`, v1 `tool_call`, ...) carry nothing else to replay.
    return "".join(texts)


def _reasoning_items(message: BaseMessage) -> list[Item]:
    """Replayable reasoning items of an assistant turn: encrypted content, no server id."""
    candidates: list[Mapping[str, Any]] = []
    stored = message.additional_kwargs.get(REASONING_ITEMS_KEY)
    if isinstance(stored, list):
        candidates.extend(item for item in stored if isinstance(item, Mapping))
    legacy = message.additional_kwargs.get("reasoning")  # langchain-openai v0.3 shape
    if isinstance(legacy, Mapping):
        candidates.append(legacy)
    if isinstance(message.content, list):
        for block in message.content:
            if isinstance(block, dict) and block.get("type") == "reasoning":
                candidates.append(_reasoning_block_as_item(block))
    items: list[Item] = []
    seen: set[str] = set()
    for candidate in candidates:
        encrypted = candidate.get("encrypted_content")
        if not isinstance(encrypted, str) or not encrypted or encrypted in seen:
            continue  # without encrypted content a reasoning item cannot be replayed statelessly
        seen.add(encrypted)
        summary = [
            {"type": "summary_text", "text": part.get("text", "")}
            for part in candidate.get("summary") or []
            if isinstance(part, Mapping)
        ]
        items.append({"type": "reasoning", "summary": summary, "encrypted_content": encrypted})
    return items


def _reasoning_block_as_item(block: Mapping[str, Any]) -> Mapping[str, Any]:
    if "summary" in block:  # Responses-shaped block
        return block
    extras = block.get("extras") or {}  # v1 standard reasoning block
    summary = [{"text": block["reasoning"]}] if isinstance(block.get("reasoning"), str) else []
    return {"summary": summary, "encrypted_content": extras.get("encrypted_content")}


# ---------------------------------------------------------------------------- tool results


def _tool_output_item(message: ToolMessage, index: int) -> Item:
    content = message.content
    output: str | list[Item]
    if isinstance(content, str):
        output = content
    else:
        parts = [_tool_output_part(block, index) for block in content]
        if all(part["type"] == "input_text" for part in parts):
            output = "".join(part["text"] for part in parts)
        else:
            output = parts
    return {"type": "function_call_output", "call_id": message.tool_call_id, "output": output}


def _tool_output_part(block: str | dict[str, Any], index: int) -> Item:
    """One tool-output part: text, image and file blocks as input parts; any other block (``json``, a
    custom type, ...) as its JSON text, like ``ChatOpenAI`` (a tool result is never refused)."""
    if isinstance(block, str):
        return {"type": "input_text", "text": block}
    try:
        part = _user_part(block, index)
    except ValueError:
        part = None
    if part is None:
        return {"type": "input_text", "text": json.dumps(block, ensure_ascii=False, default=str)}
    return part


# ============================================================================ core events -> chunks


def usage_to_metadata(usage: Mapping[str, Any] | None) -> UsageMetadata | None:
    """Map a Responses ``usage`` object onto LangChain ``UsageMetadata`` (missing or null counts are 0)."""
    if not isinstance(usage, Mapping):
        return None
    input_tokens = _as_int(usage.get("input_tokens"))
    output_tokens = _as_int(usage.get("output_tokens"))
    total_tokens = _as_int(usage.get("total_tokens")) or input_tokens + output_tokens
    input_details = usage.get("input_tokens_details") or {}
    output_details = usage.get("output_tokens_details") or {}
    return UsageMetadata(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total_tokens,
        input_token_details=InputTokenDetails(cache_read=_as_int(input_details.get("cached_tokens"))),
        output_token_details=OutputTokenDetails(reasoning=_as_int(output_details.get("reasoning_tokens"))),
    )


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


_INCOMPLETE_REASONS: dict[str, Literal["length", "content_filter"]] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}


class StreamConverter:
    """I/O-free state machine: one core ``StreamEvent`` in, at most one ``ChatGenerationChunk`` out.

    Text deltas become string content, function calls ``tool_call_chunks`` indexed by their
    ``output_index`` (name and id on the first chunk only), reasoning summaries
    ``additional_kwargs["reasoning_content"]``, finished reasoning items with encrypted content
    ``additional_kwargs["reasoning_items"]`` (read from ``output_item.done``, never ``.added``), and the
    terminal ``response.completed`` / ``response.incomplete`` event the one final chunk.

    A ``.done`` event whose deltas never arrived is turned into a chunk of its full value, so nothing
    is lost when the backend skips deltas. ``model`` is the requested slug, reported when the
    response does not echo one.

    With ``collect_text=True`` text is not returned per delta but gathered for :meth:`text_chunk` (one
    chunk for the whole answer: the cheap path when nobody watches the tokens). ``identity`` returns
    ``{"profile_name", "account_id"}`` of the login that answered, for the final chunk's
    ``response_metadata`` (never a token).
    """

    __slots__ = (
        "_args_streamed",
        "_calls_started",
        "_commentary",
        "_identity",
        "_model",
        "_reasoning_emitted",
        "_reasoning_streamed",
        "_text_streamed",
        "_texts",
        "_tool_calls",
    )

    def __init__(
        self,
        model: str,
        *,
        collect_text: bool = False,
        identity: Callable[[], Mapping[str, str | None]] | None = None,
    ) -> None:
        self._model = model
        self._identity = identity
        self._texts: list[str] | None = [] if collect_text else None
        self._text_streamed: set[tuple[int, int]] = set()
        self._calls_started: set[int] = set()
        self._commentary: set[int] = set()
        self._args_streamed: set[int] = set()
        self._reasoning_streamed: set[int] = set()
        self._reasoning_emitted = False
        self._tool_calls = False

    def convert(self, event: StreamEvent) -> ChatGenerationChunk | None:
        """Return the chunk for ``event``, or ``None`` when it carries nothing for LangChain."""
        kind = event.type
        if kind == "response.output_text.delta":
            raw = event.raw
            self._text_streamed.add((raw.get("output_index", 0), raw.get("content_index", 0)))
            if raw.get("output_index", 0) in self._commentary:
                return _kwargs_chunk({COMMENTARY_KEY: event.delta or ""})
            return self._text(event.delta or "")
        if kind == "response.function_call_arguments.delta":
            output_index = event.raw.get("output_index", 0)
            self._args_streamed.add(output_index)
            return _tool_chunk(None, None, event.delta or "", output_index)
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            self._reasoning_streamed.add(event.raw.get("output_index", 0))
            return self._reasoning_chunk(event.delta or "")
        if kind == "response.output_item.added":
            return self._item_added(event)
        if kind == "response.output_item.done":
            return self._item_done(event)
        if kind == "response.output_text.done":
            raw = event.raw
            key = (raw.get("output_index", 0), raw.get("content_index", 0))
            if key not in self._text_streamed and raw.get("text"):
                self._text_streamed.add(key)
                if key[0] in self._commentary:
                    return _kwargs_chunk({COMMENTARY_KEY: raw["text"]})
                return self._text(raw["text"])
            return None
        if kind == "response.function_call_arguments.done":
            output_index = event.raw.get("output_index", 0)
            if output_index not in self._args_streamed and event.raw.get("arguments"):
                self._args_streamed.add(output_index)
                return _tool_chunk(None, None, event.raw["arguments"], output_index)
            return None
        if kind == "response.reasoning_summary_part.added":
            return self._reasoning_chunk("\n\n") if self._reasoning_emitted else None
        if kind == "response.refusal.delta":
            return _kwargs_chunk({"refusal": event.delta or ""})
        if kind in ("response.completed", "response.incomplete"):
            return self._final_chunk(event)
        return None

    # -- items ------------------------------------------------------------------------------------

    def _item_added(self, event: StreamEvent) -> ChatGenerationChunk | None:
        item = event.item or {}
        if item.get("phase") == "commentary":
            self._commentary.add(event.raw.get("output_index", 0))
        if item.get("type") != "function_call":
            return None
        output_index = event.raw.get("output_index", 0)
        self._calls_started.add(output_index)
        self._tool_calls = True
        arguments = item.get("arguments") or ""
        if arguments:
            self._args_streamed.add(output_index)
        return _tool_chunk(item.get("name"), item.get("call_id"), arguments, output_index)

    def _item_done(self, event: StreamEvent) -> ChatGenerationChunk | None:
        item = event.item or {}
        kind = item.get("type")
        output_index = event.raw.get("output_index", 0)
        if kind == "function_call":
            self._tool_calls = True
            if output_index not in self._calls_started:
                self._calls_started.add(output_index)
                self._args_streamed.add(output_index)
                arguments = item.get("arguments") or ""
                return _tool_chunk(item.get("name"), item.get("call_id"), arguments, output_index)
            if output_index not in self._args_streamed and item.get("arguments"):
                self._args_streamed.add(output_index)
                return _tool_chunk(None, None, item["arguments"], output_index)
            return None
        if kind == "reasoning":
            return self._reasoning_done(item, output_index)
        if kind == "message":
            return self._message_done(item, output_index)
        return None

    def _message_done(self, item: Mapping[str, Any], output_index: int) -> ChatGenerationChunk | None:
        missing: list[str] = []
        for content_index, part in enumerate(item.get("content") or []):
            key = (output_index, content_index)
            if part.get("type") == "output_text" and key not in self._text_streamed and part.get("text"):
                self._text_streamed.add(key)
                missing.append(part["text"])
        if not missing:
            return None
        if item.get("phase") == "commentary" or output_index in self._commentary:
            return _kwargs_chunk({COMMENTARY_KEY: "".join(missing)})
        return self._text("".join(missing))

    def _text(self, text: str) -> ChatGenerationChunk | None:
        if self._texts is not None:
            self._texts.append(text)
            return None
        return ChatGenerationChunk(message=AIMessageChunk(content=text))

    def text_chunk(self) -> ChatGenerationChunk:
        """The text gathered with ``collect_text=True``, as one chunk."""
        return ChatGenerationChunk(message=AIMessageChunk(content="".join(self._texts or ())))

    def _reasoning_done(self, item: Mapping[str, Any], output_index: int) -> ChatGenerationChunk | None:
        additional: dict[str, Any] = {}
        if output_index not in self._reasoning_streamed:
            summary = "\n\n".join(
                part.get("text", "") for part in item.get("summary") or [] if isinstance(part, Mapping)
            )
            if summary:
                additional["reasoning_content"] = ("\n\n" if self._reasoning_emitted else "") + summary
                self._reasoning_emitted = True
        encrypted = item.get("encrypted_content")
        if isinstance(encrypted, str) and encrypted:
            summary_parts = [
                {"type": "summary_text", "text": part.get("text", "")}
                for part in item.get("summary") or []
                if isinstance(part, Mapping)
            ]
            additional[REASONING_ITEMS_KEY] = [
                {"type": "reasoning", "summary": summary_parts, "encrypted_content": encrypted}
            ]
        return _kwargs_chunk(additional) if additional else None

    def _reasoning_chunk(self, text: str) -> ChatGenerationChunk | None:
        if not text:
            return None
        self._reasoning_emitted = True
        return _kwargs_chunk({"reasoning_content": text})

    # -- terminal ---------------------------------------------------------------------------------

    def _final_chunk(self, event: StreamEvent) -> ChatGenerationChunk:
        response = event.response or {}
        if not self._tool_calls:
            self._tool_calls = any(
                isinstance(item, Mapping) and item.get("type") == "function_call"
                for item in response.get("output") or []
            )
        default_status = "completed" if event.type == "response.completed" else "incomplete"
        status = response.get("status") or default_status
        finish_reason: str = "tool_calls" if self._tool_calls else "stop"
        if event.type == "response.incomplete":
            reason = (response.get("incomplete_details") or {}).get("reason")
            finish_reason = _INCOMPLETE_REASONS.get(reason or "", "length")
        metadata: dict[str, Any] = {
            "model_name": response.get("model") or self._model,
            "model_provider": MODEL_PROVIDER,
            "finish_reason": finish_reason,
            "status": status,
        }
        if response.get("id"):
            metadata["id"] = response["id"]
        if self._identity is not None:
            metadata.update({k: v for k, v in self._identity().items() if v is not None})
        message = AIMessageChunk(
            content="",
            usage_metadata=usage_to_metadata(response.get("usage")),
            response_metadata=metadata,
            chunk_position="last",
        )
        return ChatGenerationChunk(message=message)


def _kwargs_chunk(additional_kwargs: dict[str, Any]) -> ChatGenerationChunk:
    return ChatGenerationChunk(message=AIMessageChunk(content="", additional_kwargs=additional_kwargs))


def _tool_chunk(name: str | None, call_id: str | None, args: str, index: int) -> ChatGenerationChunk:
    chunk = tool_call_chunk(name=name, args=args, id=call_id, index=index)
    return ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[chunk]))


_REASONING_BLOCK = 0
_TEXT_BLOCK = 1


def to_responses_v1(chunk: ChatGenerationChunk) -> ChatGenerationChunk:
    """``chunk`` in the ``output_version="responses/v1"`` shape: content is a list of Responses-style blocks.

    Text becomes ``{"type": "text", "text", "annotations": []}`` and reasoning summaries
    ``{"type": "reasoning", "summary": [{"type": "summary_text", "text"}]}``; each block kind keeps one
    ``index`` so merged chunks concatenate (reasoning first, then text). Tool calls stay in ``tool_calls``
    and the v0 ``additional_kwargs`` are kept for replay.
    """
    message = chunk.message
    blocks: list[str | dict[str, Any]] = []
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        summary = [{"type": "summary_text", "text": reasoning, "index": 0}]
        blocks.append({"type": "reasoning", "summary": summary, "index": _REASONING_BLOCK})
    if isinstance(message.content, str) and message.content:
        blocks.append({"type": "text", "text": message.content, "annotations": [], "index": _TEXT_BLOCK})
    if not isinstance(message.content, str):
        return chunk
    return _with_content(chunk, blocks)


def _with_content(chunk: ChatGenerationChunk, content: list[str | dict[str, Any]]) -> ChatGenerationChunk:
    message = chunk.message.model_copy(update={"content": content})
    return ChatGenerationChunk(message=message, generation_info=chunk.generation_info)
