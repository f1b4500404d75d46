"""Token counting for :class:`~langchain_oauth_codex.ChatCodexOAuth` (``get_num_tokens*``, ``trim_messages``).

Codex models use OpenAI's ``o200k_base`` encoding. ``tiktoken`` downloads that file at run time, which
fails offline, so the count uses ``bpe-openai`` (installed with the ``langchain`` extra: the same BPE
with the vocabulary built in, no download). Messages are counted like ``ChatOpenAI`` does: 3 tokens per
message, 1 per ``name``, 3 to prime the reply; text, tool-call names and arguments, tool outputs and tool
schemas are all encoded. Images count a flat 85 tokens (the "low detail" price; the real price depends on
the image size). Without ``bpe-openai`` a documented approximation is used: one token per 4 characters of
the same text.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

__all__ = ["count_message_tokens", "count_text_tokens"]

_PER_MESSAGE = 3
_PER_NAME = 1
_REPLY_PRIMING = 3
_IMAGE = 85
_IMAGE_TYPES = frozenset({"image", "image_url", "input_image"})


@lru_cache(maxsize=1)
def _encoder() -> Callable[[str], int]:
    """``len(encode(text))`` with o200k_base, or the 4-characters-per-token approximation."""
    with warnings.catch_warnings():  # bpe-openai loads its vocabulary with a deprecated importlib API
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import bpe_openai  # type: ignore[import-untyped]
        except ImportError:  # pragma: no cover - the langchain extra installs it
            return lambda text: (len(text) + 3) // 4
        encoding = bpe_openai.get_encoding("o200k_base")
    return lambda text: len(encoding.encode_ordinary(text))


def count_text_tokens(text: str) -> int:
    """Tokens of ``text`` as plain text (special-token strings count as ordinary text)."""
    return _encoder()(text) if text else 0


def count_message_tokens(messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]] | None = None) -> int:
    """Tokens of a conversation (and the flat Responses tool specs offered with it)."""
    count = count_text_tokens
    total = _REPLY_PRIMING
    for message in messages:
        total += _PER_MESSAGE + _content_tokens(message.content, count)
        if message.name:
            total += _PER_NAME
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                total += _PER_MESSAGE + count(call["name"]) + count(json.dumps(call["args"], ensure_ascii=False))
            for invalid in message.invalid_tool_calls:
                total += _PER_MESSAGE + count(invalid.get("name") or "") + count(invalid.get("args") or "")
    for tool in tools or ():
        total += count(json.dumps(tool, ensure_ascii=False))
    return total


def _content_tokens(content: str | list[str | dict[str, Any]], count: Callable[[str], int]) -> int:
    if isinstance(content, str):
        return count(content)
    total = 0
    for block in content:
        if isinstance(block, str):
            total += count(block)
        elif block.get("type") in _IMAGE_TYPES:
            total += _IMAGE
        elif isinstance(block.get("text"), str):
            total += count(block["text"])
        else:  # tool_use, json, reasoning, ...: what would be sent as text
            total += count(json.dumps(block, ensure_ascii=False, default=str))
    return total
