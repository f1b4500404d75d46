"""One pure request builder: call arguments + chat-style messages -> headers and Responses body.

The backend's rules (docs/protocol.md "Request" and "Rejected requests") are applied here: ``instructions`` is
always a non-empty string (system and developer messages are lifted into it), ``input`` is a list of Responses
items, ``stream`` is ``true``, ``store`` must be false (``store=True`` raises ``ValueError``), server ``id`` s
never leave the client, and ``include`` asks for the reasoning's ``encrypted_content`` by default (the only
way to carry reasoning across turns with ``store: false``).
"""

from __future__ import annotations

import json
import platform
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from ._catalog import wire_effort
from ._options import RequestOptions
from ._tools import ensure_strict_schema, to_response_tools
from ._version import __version__
from .auth._tokens import AccessToken
from .policy import normalize_tool_choice

__all__ = [
    "DEFAULT_INCLUDE",
    "DEFAULT_INSTRUCTIONS",
    "RequestOptions",
    "build_body",
    "build_headers",
    "convert_messages",
    "response_format_to_text_format",
    "strip_server_ids",
    "tool_results_to_items",
    "user_agent",
]

DEFAULT_INSTRUCTIONS = "You are a helpful assistant. Answer the user's request accurately and concisely."
DEFAULT_INCLUDE = ("reasoning.encrypted_content",)
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_SCHEMA_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def build_body(
    options: RequestOptions, *, default_instructions: str | None = None, session_id: str
) -> dict[str, Any]:
    """The JSON body of ``POST {base}/responses`` for ``options``.

    Raises ``ValueError`` for input the backend cannot take (no prompt and no messages, unknown roles, a tool
    message without ``tool_call_id``, ...). ``session_id`` is the default ``prompt_cache_key``.
    """
    model = options.get("model")
    prompt = options.get("prompt")
    messages = options.get("messages")
    if not model or not isinstance(model, str):
        raise ValueError("model must be a non-empty string such as 'gpt-5.5'")
    if prompt is None and not messages:
        raise ValueError("Pass a prompt='...' or a non-empty messages=[...] list.")
    if prompt is not None and not isinstance(prompt, str):
        raise ValueError(f"prompt must be a string, not {type(prompt).__name__}")
    if options.get("store"):
        # audit §2 / ranked mismatch 5: the ChatGPT backend answers every store=true with a 400
        raise ValueError(
            "store=True is not supported by the ChatGPT Codex backend (it only accepts store=false); "
            "leave store at False and carry the conversation with messages= or previous_output=."
        )
    system_texts, items = convert_messages(messages or [])
    if prompt is not None:
        items.append(_user_message(prompt))
    tool_results = options.get("tool_results")
    previous_output = options.get("previous_output")
    if tool_results:
        outputs = tool_results_to_items(tool_results)
        if previous_output:
            items.extend(_replay_items(previous_output, items))
        items.extend(outputs)
    elif previous_output:
        items.extend(_replay_items(previous_output, items))
    _pair_custom_outputs(items)

    instructions = "\n\n".join(t for t in [options.get("instructions") or "", *system_texts] if t and t.strip())
    if not instructions:
        instructions = default_instructions or DEFAULT_INSTRUCTIONS

    include = options.get("include")
    body: dict[str, Any] = {
        "model": model,
        "instructions": instructions,
        "input": items,
        "tools": to_response_tools(options.get("tools"), strict=bool(options.get("strict_output"))),
        "tool_choice": normalize_tool_choice(options.get("tool_choice"), default="auto"),
        "parallel_tool_calls": bool(options.get("parallel_tool_calls")),
        "store": bool(options.get("store")),
        "stream": True,
        "include": list(DEFAULT_INCLUDE if include is None else include),
        "prompt_cache_key": options.get("prompt_cache_key") or session_id,
    }
    reasoning = options.get("reasoning")
    if reasoning is not None:
        body["reasoning"] = dict(reasoning)
        if "effort" in body["reasoning"]:  # audit §2 / ranked mismatch 7: the CLI sends "ultra" as "max"
            body["reasoning"]["effort"] = wire_effort(body["reasoning"]["effort"])
    text: dict[str, Any] = dict(options.get("text") or {})
    response_format = options.get("response_format")
    if response_format is not None:
        text["format"] = response_format_to_text_format(response_format)
    if text:
        body["text"] = text
    return body


def build_headers(
    token: AccessToken,
    *,
    session_id: str,
    originator: str = "codex_cli_rs",
    agent: str | None = None,
    client_version: str | None = None,
) -> dict[str, str]:
    """Request headers per docs/protocol.md "Request headers" and audit CODEX-2026-12 §1 (``session_id`` =
    ``prompt_cache_key``).

    ``client_version`` (opt-in) adds the ``version`` header; pass the matching ``agent``
    (:func:`user_agent` with the same version) so the User-Agent claims the same Codex version.
    """
    headers = {
        "Authorization": f"Bearer {token.token}",
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
        "OpenAI-Beta": "responses=experimental",
        "originator": originator,
        "User-Agent": agent or user_agent(),
        # audit §1 session-id row (ranked mismatch 2): since 2026-09-11 (#44862) the backend derives prompt-cache
        # affinity from the hyphenated `session-id`, which the CLI sends with `thread-id` (build_session_headers).
        # `session_id` stays for older backends and proxies; default nginx drops underscore headers anyway.
        # One client conversation is one thread here, so both carry the prompt_cache_key.
        "session_id": session_id,
        "session-id": session_id,
        "thread-id": session_id,
    }
    if token.account_id:
        headers["ChatGPT-Account-ID"] = token.account_id
    if token.fedramp:
        # audit §1 X-OpenAI-Fedramp row (ranked 6): the CLI's apply_auth_headers sends it for FedRAMP accounts
        headers["X-OpenAI-Fedramp"] = "true"
    if client_version:
        # audit §1 version row / §7 gating: opt-in only. The backend gates models by the Codex version a client
        # advertises; a stale one fails every call, while advertising none passes today.
        headers["version"] = client_version
    return headers


def user_agent(client_version: str | None = None, originator: str = "codex_cli_rs") -> str:
    """``oauth-codex/<version> (<OS> <release>; <arch>) python/<version>``, or with ``client_version``
    the Codex CLI's form ``<originator>/<client_version> (<OS> <release>; <arch>) oauth-codex/<version>``."""
    system = f"({platform.system() or 'unknown'} {platform.release() or ''}".rstrip()
    system += f"; {platform.machine() or 'unknown'})"
    if client_version:
        # audit §1 User-Agent row: the CLI's get_codex_user_agent is "{originator}/{version} ({os}; {arch}) ..."
        return f"{originator}/{client_version} {system} oauth-codex/{__version__}"
    return f"oauth-codex/{__version__} {system} python/{platform.python_version()}"


# --------------------------------------------------------------------------- messages


def convert_messages(messages: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Chat-style messages -> (system/developer texts for ``instructions``, Responses input items).

    An item with a ``type`` and no ``role`` is a raw Responses item and passes through with its server
    ``id`` removed.
    """
    messages = _as_list(messages, "messages", "{'role': ..., 'content': ...} dicts")
    system: list[str] = []
    items: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        if isinstance(message, BaseModel):
            message = message.model_dump(exclude_none=True)
        if not isinstance(message, Mapping):
            raise ValueError(
                f"messages[{index}] must be a dict with 'role' and 'content', not {type(message).__name__}"
            )
        role = message.get("role")
        if role is None:
            if isinstance(message.get("type"), str):
                items.append(_raw_item(message, f"messages[{index}]"))
                continue
            raise ValueError(f"messages[{index}] has no 'role' (expected one of {sorted(_ROLES)})")
        if not isinstance(role, str) or role not in _ROLES:
            raise ValueError(f"messages[{index}] has unknown role {role!r}; expected one of {sorted(_ROLES)}")
        content = message.get("content")
        if role in ("system", "developer"):
            system.append(_plain_text(content, index))
        elif role == "user":
            items.append({"type": "message", "role": "user", "content": _user_parts(content, index)})
        elif role == "assistant":
            items.extend(_assistant_items(message, index))
        else:
            call_id = message.get("tool_call_id") or message.get("call_id")
            if not call_id:
                raise ValueError(f"messages[{index}] is a tool message without 'tool_call_id'")
            items.append(
                {"type": "function_call_output", "call_id": str(call_id), "output": _tool_output(content)}
            )
    return system, items


def _user_message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def _plain_text(content: Any, index: int) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts: list[str] = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, Mapping) and part.get("type") in ("text", "input_text", "output_text"):
                texts.append(str(part.get("text", "")))
            else:
                raise ValueError(f"messages[{index}]: system/developer content may only contain text parts")
        return "\n".join(texts)
    raise ValueError(f"messages[{index}]: content must be a string or a list of parts")


def _user_parts(content: Any, index: int) -> list[dict[str, Any]]:
    if content is None:
        raise ValueError(f"messages[{index}]: a user message needs 'content'")
    if isinstance(content, str):
        return [{"type": "input_text", "text": content}]
    if not isinstance(content, list):
        raise ValueError(f"messages[{index}]: content must be a string or a list of parts")
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, str):
            parts.append({"type": "input_text", "text": part})
            continue
        if not isinstance(part, Mapping):
            raise ValueError(f"messages[{index}]: content parts must be dicts")
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text"):
            parts.append({"type": "input_text", "text": str(part.get("text", ""))})
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, Mapping) else image
            if not isinstance(url, str) or not url:
                raise ValueError(f"messages[{index}]: image_url part without a url")
            converted: dict[str, Any] = {"type": "input_image", "image_url": url}
            detail = image.get("detail") if isinstance(image, Mapping) else part.get("detail")
            if detail:
                converted["detail"] = detail
            parts.append(converted)
        elif kind in ("input_image", "input_file", "input_audio"):
            parts.append(dict(part))
        else:
            raise ValueError(
                f"messages[{index}]: unsupported content part type {kind!r} "
                "(use text, image_url, input_text, input_image or input_file)"
            )
    return parts


def _assistant_items(message: Mapping[str, Any], index: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    content = message.get("content")
    texts: list[str] = []
    if isinstance(content, str):
        texts = [content] if content else []
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, Mapping) and part.get("type") in ("text", "output_text", "input_text"):
                texts.append(str(part.get("text", "")))
            elif isinstance(part, Mapping) and part.get("type") == "refusal":
                texts.append(str(part.get("refusal", "")))
    elif content is not None:
        raise ValueError(f"messages[{index}]: assistant content must be a string or a list of parts")
    if any(texts):
        item: dict[str, Any] = {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": t} for t in texts if t],
        }
        if message.get("phase") in ("commentary", "final_answer"):
            item["phase"] = message["phase"]  # replayed as the backend sent it (issue 14 item 4)
        items.append(item)
    for call in _as_list(message.get("tool_calls") or [], f"messages[{index}]: tool_calls", "dicts"):
        if not isinstance(call, Mapping):
            raise ValueError(f"messages[{index}]: tool_calls entries must be dicts")
        function = call.get("function")
        spec: Mapping[str, Any] = function if isinstance(function, Mapping) else call
        call_id = call.get("id") or call.get("call_id")
        name = spec.get("name")
        if not call_id or not name:
            raise ValueError(f"messages[{index}]: every tool call needs an 'id' and a function 'name'")
        if call.get("type") == "custom":
            raw_input = call.get("input", spec.get("input", ""))
            items.append(
                {"type": "custom_tool_call", "call_id": str(call_id), "name": str(name), "input": str(raw_input)}
            )
            continue
        arguments = spec.get("arguments", spec.get("args", ""))
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False, default=str)
        item = {"type": "function_call", "call_id": str(call_id), "name": str(name), "arguments": arguments}
        namespace = call.get("namespace", spec.get("namespace"))
        if isinstance(namespace, str) and namespace:
            item["namespace"] = namespace  # MCP-grouped tools carry it; replayed as given
        items.append(item)
    return items


def _tool_output(content: Any) -> Any:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[dict[str, Any]] = []
        for part in content:
            if isinstance(part, str):
                parts.append({"type": "input_text", "text": part})
            elif isinstance(part, Mapping) and part.get("type") in ("text", "input_text", "output_text"):
                parts.append({"type": "input_text", "text": str(part.get("text", ""))})
            elif isinstance(part, Mapping) and part.get("type") == "image_url":
                image = part.get("image_url")
                url = image.get("url") if isinstance(image, Mapping) else image
                parts.append({"type": "input_image", "image_url": url})
            elif isinstance(part, Mapping) and part.get("type") in ("input_image", "input_file"):
                parts.append(dict(part))
            else:
                return json.dumps(content, ensure_ascii=False, default=str)
        return parts
    return json.dumps(content, ensure_ascii=False, default=str)


def tool_results_to_items(tool_results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``[{"tool_call_id", "name", "output"}]`` -> ``function_call_output`` items."""
    tool_results = _as_list(tool_results, "tool_results", "{'tool_call_id', 'name', 'output'} dicts")
    items: list[dict[str, Any]] = []
    for index, result in enumerate(tool_results):
        if not isinstance(result, Mapping):
            raise ValueError(f"tool_results[{index}] must be a dict with 'tool_call_id' and 'output'")
        call_id = result.get("tool_call_id") or result.get("call_id") or result.get("id")
        if not call_id:
            raise ValueError(f"tool_results[{index}] has no 'tool_call_id' (use ToolCall.id from the result)")
        items.append(
            {
                "type": "function_call_output",
                "call_id": str(call_id),
                "output": _tool_output(result.get("output")),
            }
        )
    return items


_CALLS = ("function_call", "custom_tool_call")


def _replay_items(
    previous: Sequence[Mapping[str, Any]], current: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The previous turn's output items, unless the conversation already carries its tool calls.

    Items pass through as the backend sent them (minus ``id``): ``phase`` on messages and ``namespace`` on
    function calls are replayed unchanged (issue 14 item 4).
    """
    present = {i.get("call_id") for i in current if i.get("type") in _CALLS}
    previous = _as_list(previous, "previous_output", "output items (result.output_items)")
    replay = [_raw_item(i, f"previous_output[{n}]") for n, i in enumerate(previous) if isinstance(i, Mapping)]
    calls = {i.get("call_id") for i in replay if i.get("type") in _CALLS}
    if calls and calls <= present:
        return []
    return [
        i
        for i in replay
        if not (i.get("type") in _CALLS and i.get("call_id") in present)
        and not (i.get("type") == "reasoning" and not i.get("encrypted_content"))
    ]


def _pair_custom_outputs(items: list[dict[str, Any]]) -> None:
    """A tool result for a freeform (``custom_tool_call``) call is sent as ``custom_tool_call_output``."""
    custom = {i.get("call_id") for i in items if i.get("type") == "custom_tool_call"}
    if not custom:
        return
    for item in items:
        if item.get("type") == "function_call_output" and item.get("call_id") in custom:
            item["type"] = "custom_tool_call_output"


def _as_list(value: Any, what: str, shape: str) -> list[Any]:
    """``value`` as a list, or ``ValueError`` naming ``what`` when it is not a list-like of items."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValueError(f"{what} must be a list of {shape}, not {type(value).__name__}")
    return list(value)


def _raw_item(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A raw Responses item to pass through: server ``id`` removed, ``call_id`` (when present) a string."""
    call_id = item.get("call_id")
    if call_id is not None and not isinstance(call_id, str):
        raise ValueError(f"{where}: 'call_id' must be a string, not {type(call_id).__name__}")
    return strip_server_ids(item)


def strip_server_ids(item: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a Responses item without its server ``id`` (never valid with ``store: false``)."""
    return {k: v for k, v in item.items() if k != "id"}


# --------------------------------------------------------------------------- options




def response_format_to_text_format(response_format: Any) -> dict[str, Any]:
    """``response_format`` -> ``text.format``.

    Dicts are sent as given, except the chat-completions ``{"type": "json_schema", "json_schema": {...}}``
    shape, which is flattened, and a ``strict`` schema, which is made strict-valid
    (:func:`~oauth_codex.policy.ensure_strict_schema`). A pydantic model class becomes a strict
    ``json_schema`` format.
    """
    if isinstance(response_format, type) and issubclass(response_format, BaseModel):
        schema = response_format.model_json_schema(ref_template="#/$defs/{model}")
        schema.pop("title", None)
        return {
            "type": "json_schema",
            "name": _SCHEMA_NAME.sub("_", response_format.__name__)[:64] or "output",
            "schema": ensure_strict_schema(schema),
            "strict": True,
        }
    if isinstance(response_format, Mapping):
        nested = response_format.get("json_schema")
        if response_format.get("type") == "json_schema" and isinstance(nested, Mapping):
            flat: dict[str, Any] = {"type": "json_schema", **dict(nested)}
            flat.setdefault("name", "output")
        else:
            flat = dict(response_format)
        if flat.get("strict") is True and isinstance(flat.get("schema"), Mapping):
            flat["schema"] = ensure_strict_schema(flat["schema"])  # else the backend answers 400
        return flat
    if isinstance(response_format, str):
        return {"type": response_format}
    raise ValueError(
        "response_format must be a dict such as {'type': 'json_object'} or a pydantic model class, "
        f"not {type(response_format).__name__}"
    )
