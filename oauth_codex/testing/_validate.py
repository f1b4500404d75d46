"""Request validation of the emulated backend: docs/protocol.md "Rejected requests", check by check, in table order.
Pure functions.

:func:`validate_body` returns ``None`` for a valid body or ``(status, payload)`` with the real (or, where
the real text is unknown, an emulator-invented) error body. The bearer checks live in the backend; the
policy block and the usage limit are fault injections. Each check is named after what it checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "FORBIDDEN_PARAMETERS",
    "KNOWN_PARAMETERS",
    "Rejection",
    "detail",
    "invalid_request",
    "validate_body",
]

Rejection = tuple[int, dict[str, Any]]

#: Deliberately not shared with oauth_codex.openai's REJECTED_PARAMETERS (duplicates lists both): the emulator
#: states the server's rules on its own, so a client list that drifts from them fails the tests.
FORBIDDEN_PARAMETERS: tuple[str, ...] = (
    "max_output_tokens",
    "max_completion_tokens",
    "max_tokens",
    "temperature",
    "top_p",
    "truncation",
    "frequency_penalty",
    "presence_penalty",
    "metadata",
    "previous_response_id",
)
KNOWN_PARAMETERS = frozenset(
    {
        "model",
        "instructions",
        "input",
        "store",
        "stream",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "include",
        "prompt_cache_key",
        "text",
        "client_metadata",
        "service_tier",
        "user",
        "safety_identifier",
        "prompt_cache_retention",
        "stream_options",
        "background",
        "max_tool_calls",
        "top_logprobs",
        "conversation",
        "prompt",
    }
)
ITEM_TYPES = (
    "message",
    "reasoning",
    "function_call",
    "function_call_output",
    "custom_tool_call",
    "custom_tool_call_output",
    "local_shell_call",
    "local_shell_call_output",
    "web_search_call",
    "item_reference",
)
ROLES = ("user", "assistant", "system", "developer")
INPUT_PARTS = ("input_text", "input_image", "input_file")
OUTPUT_PARTS = ("output_text", "refusal")
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")  # no "ultra" (audit §2)
SUMMARIES = ("auto", "concise", "detailed")
PHASES = ("commentary", "final_answer")  # assistant message phase (audit CODEX-2026-12 §3)
VERBOSITY = ("low", "medium", "high")
FORMATS = ("text", "json_schema", "json_object")
TOOL_TYPES = ("function", "custom", "web_search", "web_search_preview", "local_shell")
TOOL_CHOICES = ("none", "auto", "required")
INCLUDES = ("reasoning.encrypted_content", "message.output_text.logprobs", "web_search_call.action.sources")


def detail(status: int, text: str) -> Rejection:
    return status, {"detail": text}


def invalid_request(message: str, param: str | None, code: str | None = None, status: int = 400) -> Rejection:
    return status, {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }


def _quote_list(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def invalid_value(value: Any, allowed: Sequence[str], param: str) -> Rejection:
    return invalid_request(
        f"Invalid value: '{value}'. Supported values are: {_quote_list(allowed)}.", param, "invalid_value"
    )


def _missing(param: str) -> Rejection:
    return invalid_request(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def _invalid_type(param: str, expected: str, value: Any) -> Rejection:
    got = type(value).__name__.replace("str", "string").replace("dict", "object").replace("list", "array")
    return invalid_request(
        f"Invalid type for '{param}': expected {expected}, but got {got} instead.", param, "invalid_type"
    )


# -------------------------------------------------------------------------------------------- the table


def validate_body(
    raw: bytes,
    *,
    allowed_models: Sequence[str],
    official_instructions: Sequence[str] | None,
    verify_encrypted: Callable[[str], bool],
) -> tuple[dict[str, Any] | None, Rejection | None]:
    """``(body, None)`` when ``raw`` is a valid Codex request, else ``(None, error)``."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, detail(400, "Could not parse the request body as JSON.")  # the real text is unknown
    if not isinstance(body, dict):
        return None, detail(400, "Could not parse the request body as JSON.")
    error = (
        _top_level_fields(body, official_instructions)
        or _model_allowed(body, allowed_models)
        or _input_shape(body)
        or _no_system_messages(body)
        or _tool_calls_paired(body)
        or _no_server_ids(body)
        or _item_and_option_values(body)
        or _tools_and_format(body)
        or _encrypted(body, verify_encrypted)
    )
    if error is not None:
        return None, error
    return body, None


def _top_level_fields(body: dict[str, Any], official: Sequence[str] | None) -> Rejection | None:
    if body.get("stream") is not True:
        return detail(400, "Stream must be set to true")
    if body.get("store") is not False:
        return detail(400, "Store must be set to false")
    instructions = body.get("instructions")
    if not isinstance(instructions, str) or not instructions.strip():
        return detail(400, "Instructions are required")
    if official is not None and instructions not in official:
        return detail(400, "Instructions are not valid")
    for name in FORBIDDEN_PARAMETERS:
        if name in body:
            return detail(400, f"Unsupported parameter: {name}")
    for name in body:
        if name not in KNOWN_PARAMETERS:
            return invalid_request(f"Unknown parameter: '{name}'.", name, "unknown_parameter")
    return None


def _model_allowed(body: dict[str, Any], allowed: Sequence[str]) -> Rejection | None:
    model = body.get("model")
    if not isinstance(model, str) or model not in allowed:
        return detail(400, f"The '{model}' model is not supported when using Codex with a ChatGPT account.")
    return None


def _input_shape(body: dict[str, Any]) -> Rejection | None:
    items = body.get("input")
    if "input" not in body:
        return _missing("input")
    if not isinstance(items, list):  # a bare string is [U] on this backend: the stricter choice rejects it
        return _invalid_type("input", "an array of input items", items)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            return _invalid_type(f"input[{i}]", "an object", item)
    return None


def _item_type(item: dict[str, Any]) -> Any:
    return item.get("type", "message" if "role" in item else None)


def _no_system_messages(body: dict[str, Any]) -> Rejection | None:
    for item in body["input"]:
        if _item_type(item) == "message" and item.get("role") == "system":
            return detail(400, "System messages are not allowed")
    return None


def _tool_calls_paired(body: dict[str, Any]) -> Rejection | None:
    items = body["input"]
    calls = {
        (i.get("call_id"), "custom" if _item_type(i) == "custom_tool_call" else "function")
        for i in items
        if _item_type(i) in {"function_call", "custom_tool_call"}
    }
    outputs = set()
    for item in items:
        kind = _item_type(item)
        if kind in {"function_call_output", "custom_tool_call_output"}:
            key = (item.get("call_id"), "custom" if kind == "custom_tool_call_output" else "function")
            outputs.add(key)
            if key not in calls:
                return invalid_request(
                    f"No tool call found for function call output with call_id {item.get('call_id')}.",
                    "input",
                )
    for item in items:
        kind = _item_type(item)
        if kind in {"function_call", "custom_tool_call"}:
            key = (item.get("call_id"), "custom" if kind == "custom_tool_call" else "function")
            if key not in outputs:
                return invalid_request(
                    f"No tool output found for function call {item.get('call_id')}.", "input"
                )
    return None


def _no_server_ids(body: dict[str, Any]) -> Rejection | None:
    for item in body["input"]:
        item_id = item.get("id")
        if item_id is not None:
            return invalid_request(
                f"Item with id '{item_id}' not found. Items are not persisted when `store` is set to false. "
                "Try again with `store` set to true, or remove this item from your input.",
                "input",
                status=404,
            )
    return None


def _item_and_option_values(body: dict[str, Any]) -> Rejection | None:
    for i, item in enumerate(body["input"]):
        kind = _item_type(item)
        if kind not in ITEM_TYPES:
            return invalid_value(kind, ITEM_TYPES, f"input[{i}].type")
        if kind == "message":
            error = _message_enums(item, f"input[{i}]")
            if error is not None:
                return error
        elif kind == "function_call":
            for key in ("call_id", "name", "arguments"):
                if not isinstance(item.get(key), str):
                    return _missing(f"input[{i}].{key}")
        elif kind == "reasoning" and not isinstance(item.get("summary"), list):
            return _missing(f"input[{i}].summary")
        elif kind == "function_call_output":
            if not isinstance(item.get("call_id"), str):
                return _missing(f"input[{i}].call_id")
            if not isinstance(item.get("output"), str | list):
                return _invalid_type(
                    f"input[{i}].output", "a string or an array of content parts", item.get("output")
                )
    reasoning = body.get("reasoning")
    if reasoning is not None:
        if not isinstance(reasoning, dict):
            return _invalid_type("reasoning", "an object", reasoning)
        effort = reasoning.get("effort")
        if effort is not None and effort not in EFFORTS:
            return invalid_value(effort, EFFORTS, "reasoning.effort")
        error = _effort_for_model(effort, str(body["model"]))
        if error is not None:
            return error
        summary = reasoning.get("summary")
        if summary is not None and summary not in SUMMARIES:
            return invalid_value(summary, SUMMARIES, "reasoning.summary")
    text = body.get("text")
    if text is not None:
        if not isinstance(text, dict):
            return _invalid_type("text", "an object", text)
        verbosity = text.get("verbosity")
        if verbosity is not None and verbosity not in VERBOSITY:
            return invalid_value(verbosity, VERBOSITY, "text.verbosity")
        fmt = text.get("format")
        if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type") not in FORMATS):
            return invalid_value(
                (fmt or {}).get("type") if isinstance(fmt, dict) else fmt, FORMATS, "text.format.type"
            )
    include = body.get("include")
    if include is not None:
        if not isinstance(include, list):
            return _invalid_type("include", "an array of strings", include)
        for j, value in enumerate(include):
            if value not in INCLUDES:
                return invalid_value(value, INCLUDES, f"include[{j}]")
    choice = body.get("tool_choice")
    if isinstance(choice, str) and choice not in TOOL_CHOICES:
        return invalid_value(choice, TOOL_CHOICES, "tool_choice")
    if choice is not None and not isinstance(choice, str | dict):
        return _invalid_type("tool_choice", "a string or an object", choice)
    if "parallel_tool_calls" in body and not isinstance(body["parallel_tool_calls"], bool):
        return _invalid_type("parallel_tool_calls", "a boolean", body["parallel_tool_calls"])
    return None


def _message_enums(item: dict[str, Any], path: str) -> Rejection | None:
    role = item.get("role")
    if role not in ROLES:
        return invalid_value(role, ROLES, f"{path}.role")
    phase = item.get("phase")
    if phase is not None and phase not in PHASES:
        return invalid_value(phase, PHASES, f"{path}.phase")
    content = item.get("content")
    if isinstance(content, str):
        return None
    if not isinstance(content, list):
        return _invalid_type(f"{path}.content", "a string or an array of content parts", content)
    allowed = OUTPUT_PARTS if role == "assistant" else INPUT_PARTS
    for j, part in enumerate(content):
        part_type = part.get("type") if isinstance(part, dict) else None
        if part_type not in allowed:
            return invalid_value(part_type, allowed, f"{path}.content[{j}].type")
    return None


def _effort_for_model(effort: Any, model: str) -> Rejection | None:
    """``none`` is rejected by codex models and ``minimal`` by the newer ones (texts invented)."""
    older = model in {"gpt-5", "gpt-5-codex", "gpt-5-codex-mini", "codex-mini-latest"}
    if (effort == "none" and "codex" in model) or (effort == "minimal" and not older):
        supported = [e for e in ("low", "medium", "high") if e != effort]
        return invalid_request(
            f"Unsupported value: '{effort}' is not supported with the '{model}' model. "
            f"Supported values are: {_quote_list(supported)}.",
            "reasoning.effort",
            "unsupported_value",
        )
    return None


# ---------------------------------------------------------------------------------- tools and formats


def _strict_schema_problem(schema: Any, root: dict[str, Any], path: str = "") -> str | None:
    """The first violation of the strict-mode rules (every property required, no additional ones)."""
    if not isinstance(schema, dict):
        return None
    props = schema.get("properties")
    if isinstance(props, dict) or schema.get("type") == "object":
        props = props if isinstance(props, dict) else {}
        required = schema.get("required") or []
        missing = [k for k in props if k not in required]
        if missing:
            return (
                f"In context=({path}), 'required' is required to be supplied and to be an array including "
                f"every key in properties. Missing '{missing[0]}'."
            )
        if schema.get("additionalProperties", True) is not False:
            return f"In context=({path}), 'additionalProperties' is required to be supplied and to be false."
        for key, sub in props.items():
            problem = _strict_schema_problem(sub, root, f"{path}, 'properties', '{key}'".lstrip(", "))
            if problem:
                return problem
    for key in ("items",):
        problem = _strict_schema_problem(schema.get(key), root, f"{path}, '{key}'".lstrip(", "))
        if problem:
            return problem
    for key in ("anyOf", "allOf", "oneOf"):
        for n, sub in enumerate(schema.get(key) or []):
            problem = _strict_schema_problem(sub, root, f"{path}, '{key}', {n}".lstrip(", "))
            if problem:
                return problem
    for key in ("$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            problem = _strict_schema_problem(sub, root, f"{path}, '{key}', '{name}'".lstrip(", "))
            if problem:
                return problem
    return None


def _tools_and_format(body: dict[str, Any]) -> Rejection | None:
    tools = body.get("tools")
    names: list[str] = []
    if tools is not None:
        if not isinstance(tools, list):
            return _invalid_type("tools", "an array of tools", tools)
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict):
                return _invalid_type(f"tools[{i}]", "an object", tool)
            kind = tool.get("type")
            if kind not in TOOL_TYPES:
                return invalid_value(kind, TOOL_TYPES, f"tools[{i}].type")
            if kind in {"function", "custom"}:
                if not isinstance(tool.get("name"), str) or not tool.get("name"):
                    return _missing(f"tools[{i}].name")  # also what a nested chat-completions tool gets
                names.append(tool["name"])
            if kind == "function" and tool.get("strict") is True:
                problem = _strict_schema_problem(tool.get("parameters") or {}, tool.get("parameters") or {})
                if problem:
                    return invalid_request(
                        f"Invalid schema for function '{tool['name']}': {problem}",
                        f"tools[{i}].parameters",
                        "invalid_function_parameters",
                    )
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        if choice.get("type") not in {"function", "custom", "allowed_tools"}:
            return invalid_value(
                choice.get("type"), ("function", "custom", "allowed_tools"), "tool_choice.type"
            )
        name = choice.get("name")
        if choice.get("type") in {"function", "custom"} and name not in names:
            return invalid_request(
                f"Tool choice '{name}' not found in 'tools' parameter.", "tool_choice", "invalid_value"
            )
    text = body.get("text") or {}
    fmt = text.get("format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        if not isinstance(fmt.get("name"), str) or not fmt.get("name"):
            return _missing("text.format.name")
        if not isinstance(fmt.get("schema"), dict):
            return _missing("text.format.schema")
        if fmt.get("strict") is True:
            problem = _strict_schema_problem(fmt["schema"], fmt["schema"])
            if problem:
                return invalid_request(
                    f"Invalid schema for response_format '{fmt['name']}': {problem}",
                    "text.format.schema",
                    "invalid_json_schema",
                )
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        words = (
            json.dumps(body.get("input"), ensure_ascii=False).lower() + str(body.get("instructions")).lower()
        )
        if "json" not in words:
            return invalid_request(
                "Response input messages must contain the word 'json' in some form to use 'text.format' of "
                "type "
                "'json_object'.",
                "input",
            )
    return None


def _encrypted(body: dict[str, Any], verify: Callable[[str], bool]) -> Rejection | None:
    for item in body["input"]:
        if _item_type(item) == "reasoning":
            blob = item.get("encrypted_content")
            if blob is not None and (not isinstance(blob, str) or not verify(blob)):
                return invalid_request(
                    "The encrypted content for item could not be verified. Reason: Encrypted content could "
                    "not be decrypted or parsed.",
                    "input",
                    "invalid_encrypted_content",
                )
    return None
