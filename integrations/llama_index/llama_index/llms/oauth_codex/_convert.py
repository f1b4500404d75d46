"""Pure mapping between LlamaIndex types and the core client's inputs (no I/O).

* :func:`to_core_messages` turns a ``ChatMessage`` list into ``(instructions, messages)`` for
  ``CodexOAuthLLM``: system/developer text is lifted into ``instructions`` (the backend rejects system
  items), everything else becomes chat-completions style dicts, and reasoning with ``encrypted_content``
  (kept in ``ThinkingBlock.additional_information``) is replayed as raw ``reasoning`` items, since
  ``store`` is false and server ids must never be sent.
* :func:`to_tool_specs` builds the flat Responses tool list (``tool_choice``: ``oauth_codex.policy``).
* :func:`tool_selections` reads tool calls (complete or still streaming) back from a ``ChatResponse``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from copy import deepcopy
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.llm import ToolSelection

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = [
    "REASONING_PROVIDER",
    "arguments_to_kwargs",
    "complete_partial_json",
    "reasoning_item_from_block",
    "thinking_block_from_item",
    "to_core_messages",
    "tool_selections",
    "to_tool_specs",
]

#: Marks ``ThinkingBlock``s made by this adapter (their ``additional_information`` holds the item to replay).
REASONING_PROVIDER = "oauth-codex"

_INSTRUCTION_ROLES = {MessageRole.SYSTEM, MessageRole.DEVELOPER}
_ASSISTANT_ROLES = {MessageRole.ASSISTANT, MessageRole.CHATBOT, MessageRole.MODEL}
_TOOL_ROLES = {MessageRole.TOOL, MessageRole.FUNCTION}


# --------------------------------------------------------------------------- messages


def to_core_messages(messages: Sequence[ChatMessage]) -> tuple[str | None, list[dict[str, Any]]]:
    """Split LlamaIndex messages into ``(instructions, core messages)``.

    ``instructions`` joins the text of every system/developer message (``None`` when there is none).
    Raises ``ValueError`` for content the Codex backend cannot take (audio, video, non-text system
    content) and for tool results or tool calls without an id.
    """
    instructions: list[str] = []
    out: list[dict[str, Any]] = []
    for message in messages:
        role = MessageRole(message.role)
        if role in _INSTRUCTION_ROLES:
            text = _instruction_text(message)
            if text:
                instructions.append(text)
        elif role in _ASSISTANT_ROLES:
            out.extend(_assistant_items(message))
        elif role in _TOOL_ROLES:
            out.append(_tool_output_item(message))
        else:
            out.append({"role": "user", "content": _user_content(message.blocks)})
    return ("\n\n".join(instructions) or None), out


def _instruction_text(message: ChatMessage) -> str:
    texts: list[str] = []
    for block in _flatten(message.blocks):
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif not isinstance(block, CachePoint):
            raise ValueError(
                f"A {message.role.value} message can only hold text (it becomes the request's "
                f"`instructions`); got a {type(block).__name__}. Move it to a user message."
            )
    return "\n".join(texts).strip()


def _flatten(blocks: Iterable[Any]) -> Iterable[Any]:
    for block in blocks:
        if isinstance(block, CitableBlock):
            yield from _flatten(block.content)
        elif isinstance(block, CitationBlock):
            yield block.cited_content
        else:
            yield block


def _user_content(blocks: Sequence[Any]) -> str | list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for block in _flatten(blocks):
        part = _input_part(block)
        if part is not None:
            parts.append(part)
    if all(part["type"] == "input_text" for part in parts):
        return "\n".join(part["text"] for part in parts)
    return parts


def _input_part(block: Any) -> dict[str, Any] | None:
    if isinstance(block, TextBlock):
        return {"type": "input_text", "text": block.text}
    if isinstance(block, ImageBlock):
        part: dict[str, Any] = {"type": "input_image", "image_url": _image_url(block)}
        if block.detail:
            part["detail"] = block.detail
        return part
    if isinstance(block, DocumentBlock):
        if block.url and block.data is None and block.path is None:
            return {"type": "input_file", "file_url": str(block.url)}
        return {"type": "input_file", "filename": _document_filename(block), "file_data": block.inline_url()}
    if isinstance(block, AudioBlock | VideoBlock):
        raise ValueError(
            f"The Codex backend does not accept {type(block).__name__} input; "
            "send text, images (ImageBlock) or documents (DocumentBlock)."
        )
    # CachePoint, ThinkingBlock, ToolCallBlock: nothing to send from a user/tool message.
    return None


def _image_url(block: ImageBlock) -> str:
    if block.url is not None and block.image is None and block.path is None:
        return str(block.url)
    return block.inline_url()


def _document_filename(block: DocumentBlock) -> str:
    title = block.title or "input_document"
    extension = block.guess_format()
    if block.document_mimetype == "application/pdf" and not title.lower().endswith(".pdf"):
        return f"{title}.pdf"
    if extension and "." not in title:
        return f"{title}.{extension}"
    return title


def _assistant_items(message: ChatMessage) -> list[dict[str, Any]]:
    """An assistant turn: reasoning items (raw) in place, text and tool calls as chat-style dicts."""
    items: list[dict[str, Any]] = []
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    commentary = message.additional_kwargs.get("commentary")
    if isinstance(commentary, str) and commentary:  # replayed with its phase (issue 14 item 4)
        items.append({"role": "assistant", "content": commentary, "phase": "commentary"})

    def flush() -> None:
        if texts or calls:
            entry: dict[str, Any] = {"role": "assistant", "content": "\n".join(texts)}
            if calls:
                entry["tool_calls"] = list(calls)
            items.append(entry)
        texts.clear()
        calls.clear()

    for block in _flatten(message.blocks):
        if isinstance(block, ThinkingBlock):
            reasoning = reasoning_item_from_block(block)
            if reasoning is not None:
                flush()
                items.append(reasoning)
        elif isinstance(block, TextBlock):
            if block.text:
                texts.append(block.text)
        elif isinstance(block, ToolCallBlock):
            call = _chat_tool_call(block.tool_call_id, block.tool_name, block.tool_kwargs)
            seen_ids.add(call["id"])
            calls.append(call)
    for legacy in message.additional_kwargs.get("tool_calls") or ():
        call = _legacy_tool_call(legacy)
        if call["id"] not in seen_ids:
            seen_ids.add(call["id"])
            calls.append(call)
    flush()
    return items


def _chat_tool_call(call_id: str | None, name: str, arguments: Mapping[str, Any] | str) -> dict[str, Any]:
    if not call_id:
        raise ValueError(
            f"The tool call to {name!r} has no id, so its result cannot be matched to it; "
            "keep the ToolCallBlock.tool_call_id returned by the model."
        )
    encoded = arguments if isinstance(arguments, str) else json.dumps(dict(arguments), ensure_ascii=False)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": encoded}}


def _legacy_tool_call(call: Any) -> dict[str, Any]:
    """``additional_kwargs["tool_calls"]`` entries: Chat-Completions or Responses shaped, dicts or models."""
    data: Any = call.model_dump() if hasattr(call, "model_dump") else call
    if not isinstance(data, Mapping):
        raise ValueError(f"Unsupported entry in additional_kwargs['tool_calls']: {call!r}")
    function = data.get("function")
    if isinstance(function, Mapping):
        return _chat_tool_call(data.get("id"), str(function.get("name", "")), function.get("arguments") or "")
    return _chat_tool_call(
        data.get("call_id") or data.get("id"), str(data.get("name", "")), data.get("arguments") or ""
    )


def _tool_output_item(message: ChatMessage) -> dict[str, Any]:
    call_id = message.additional_kwargs.get("tool_call_id") or message.additional_kwargs.get("call_id")
    if not call_id:
        raise ValueError(
            "A tool message needs additional_kwargs['tool_call_id'] (the id of the tool call it answers)."
        )
    blocks = list(_flatten(message.blocks))
    if any(isinstance(block, ImageBlock | DocumentBlock) for block in blocks):
        parts = [part for part in (_input_part(block) for block in blocks) if part is not None]
        return {"type": "function_call_output", "call_id": str(call_id), "output": parts}
    text = "\n".join(block.text for block in blocks if isinstance(block, TextBlock))
    return {"role": "tool", "tool_call_id": str(call_id), "content": text}


# --------------------------------------------------------------------------- reasoning


def reasoning_item_from_block(block: ThinkingBlock) -> dict[str, Any] | None:
    """The ``reasoning`` input item to replay for a ``ThinkingBlock``, or ``None`` if it cannot be replayed.

    Only blocks this adapter made (``provider`` = :data:`REASONING_PROVIDER`) and that carry
    ``encrypted_content`` are replayed (the backend keeps nothing with ``store=false``): encrypted reasoning
    from another provider (OpenAIResponses, Anthropic, ... in the same memory) would be rejected with 400.
    The server item id is never sent.
    """
    info = block.additional_information
    if info.get("provider") != REASONING_PROVIDER:
        return None
    encrypted = info.get("encrypted_content")
    if not isinstance(encrypted, str) or not encrypted:
        return None
    summary = info.get("summary")
    if not isinstance(summary, list):
        summary = [{"type": "summary_text", "text": block.content}] if block.content else []
    return {"type": "reasoning", "summary": deepcopy(summary), "encrypted_content": encrypted}


def thinking_block_from_item(item: Mapping[str, Any]) -> ThinkingBlock:
    """A ``ThinkingBlock`` for a ``reasoning`` output item (summary as content, replay data kept)."""
    summary = [part for part in item.get("summary") or [] if isinstance(part, Mapping)]
    text = "\n\n".join(str(part.get("text", "")) for part in summary if part.get("text"))
    info: dict[str, Any] = {"provider": REASONING_PROVIDER, "summary": [dict(part) for part in summary]}
    encrypted = item.get("encrypted_content")
    if isinstance(encrypted, str) and encrypted:
        info["encrypted_content"] = encrypted
    return ThinkingBlock(content=text or None, additional_information=info)


# --------------------------------------------------------------------------- tools


def to_tool_specs(tools: Sequence[BaseTool], *, strict: bool = False) -> list[dict[str, Any]]:
    """Flat Responses function tools for LlamaIndex tools (``strict`` closes each parameters object)."""
    specs: list[dict[str, Any]] = []
    for tool in tools:
        function = deepcopy(tool.metadata.to_openai_tool(skip_length_check=True)["function"])
        spec: dict[str, Any] = {"type": "function", **function}
        if strict:
            spec["strict"] = True
            parameters = spec.setdefault("parameters", {"type": "object", "properties": {}})
            parameters["additionalProperties"] = False
        specs.append(spec)
    return specs


def arguments_to_kwargs(arguments: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """Tool arguments as a dict; partial JSON (mid-stream) is completed, hopeless input gives ``{}``."""
    if arguments is None:
        return {}
    if isinstance(arguments, Mapping):
        return dict(arguments)
    try:
        parsed = json.loads(arguments)
    except ValueError:
        completed = complete_partial_json(arguments)
        try:
            parsed = json.loads(completed) if completed is not None else None
        except ValueError:
            parsed = None
    return parsed if isinstance(parsed, dict) else {}


_PARTIAL_LITERAL = re.compile(r"[-+0-9.eE]+$|[a-z]+$")


def complete_partial_json(text: str) -> str | None:
    """Close a JSON document cut off mid-stream: ``'{"city": "Par'`` -> ``'{"city": "Par"}'``.

    An unfinished string value is kept, an unfinished key or literal is dropped, a key without a value
    gets ``null``. Returns ``None`` when the text is not the start of a JSON document.
    """
    stack: list[str] = []
    expect_key: list[bool] = []
    in_string = escaped = is_key = False
    key_start = 0
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
            is_key = bool(stack) and stack[-1] == "{" and expect_key[-1]
            key_start = index
        elif char in "{[":
            stack.append(char)
            expect_key.append(char == "{")
        elif char in "}]":
            if not stack or (stack.pop(), char) not in (("{", "}"), ("[", "]")):
                return None
            expect_key.pop()
        elif char == ":" and stack:
            expect_key[-1] = False
        elif char == "," and stack and stack[-1] == "{":
            expect_key[-1] = True
    if not stack:
        return None
    body = text
    if in_string:
        if is_key:
            body = body[:key_start]
        else:
            body = re.sub(r"\\u[0-9a-fA-F]{0,3}$", "", body[:-1] if escaped else body) + '"'
    else:
        body = body.rstrip()
        if stack[-1] == "{" and expect_key[-1] and body.endswith('"'):
            body = body[: body.rindex('"', 0, len(body) - 1)]  # a key without its colon
        elif (literal := _PARTIAL_LITERAL.search(body)) is not None:
            try:
                json.loads(literal.group())
            except ValueError:
                body = body[: literal.start()]
    body = body.rstrip()
    if body.endswith(","):
        body = body[:-1]
    elif body.endswith(":"):
        body += " null"
    return body + "".join("}" if opener == "{" else "]" for opener in reversed(stack))


def tool_selections(response: ChatResponse) -> list[ToolSelection]:
    """Every tool call on the response's message: ``ToolCallBlock``s, then legacy ``tool_calls`` kwargs."""
    selections: list[ToolSelection] = []
    seen: set[str] = set()
    for block in response.message.blocks:
        if isinstance(block, ToolCallBlock):
            tool_id = block.tool_call_id or ""
            seen.add(tool_id)
            selections.append(
                ToolSelection(
                    tool_id=tool_id,
                    tool_name=block.tool_name,
                    tool_kwargs=arguments_to_kwargs(block.tool_kwargs),
                )
            )
    for legacy in response.message.additional_kwargs.get("tool_calls") or ():
        call = _legacy_tool_call(legacy)
        if call["id"] in seen:
            continue
        seen.add(call["id"])
        function = call["function"]
        selections.append(
            ToolSelection(
                tool_id=call["id"],
                tool_name=function["name"],
                tool_kwargs=arguments_to_kwargs(function["arguments"]),
            )
        )
    return selections
