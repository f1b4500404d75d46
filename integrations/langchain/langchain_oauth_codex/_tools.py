"""Pure converters for ``bind_tools`` and ``with_structured_output``: tool specs, ``tool_choice``, formats."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_function, convert_to_openai_tool

from oauth_codex.policy import ensure_strict_schema

__all__ = [
    "ToolLike",
    "convert_tool",
    "json_object_format",
    "json_schema_format",
    "schema_name",
]

ToolLike = dict[str, Any] | type | Callable[..., Any] | BaseTool
"""What ``bind_tools`` accepts: JSON-schema / OpenAI tool dicts, pydantic classes, TypedDicts,
callables and LangChain tools."""


def convert_tool(tool: ToolLike, *, strict: bool | None = None) -> dict[str, Any]:
    """Return ``tool`` as a flat Responses function tool ``{"type": "function", "name", ...}``.

    Responses-shaped dicts (``{"type": "function", "name": ...}``) pass through (``strict`` applied
    when given); everything else goes through ``convert_to_openai_tool`` and is flattened.
    """
    if _is_responses_tool(tool):
        flat = dict(tool)
        if strict is not None:
            flat["strict"] = strict
        return _strict_valid(flat, "parameters")
    converted = convert_to_openai_tool(tool, strict=strict)
    function = converted.get("function")
    if not isinstance(function, Mapping):
        raise ValueError(
            f"Tool {converted.get('type')!r} is not supported by ChatCodexOAuth; pass function tools "
            "(functions, pydantic classes, LangChain tools or JSON-schema dicts)."
        )
    flat = {"type": "function", "name": function["name"]}
    if function.get("description"):
        flat["description"] = function["description"]
    flat["parameters"] = function.get("parameters") or {"type": "object", "properties": {}}
    if "strict" in function:
        flat["strict"] = function["strict"]
    return _strict_valid(flat, "parameters")


def _strict_valid(spec: dict[str, Any], key: str) -> dict[str, Any]:
    """``spec`` with ``spec[key]`` made strict-valid when ``spec["strict"]`` (the core's one helper)."""
    if spec.get("strict") is True and isinstance(spec.get(key), Mapping):
        spec[key] = ensure_strict_schema(spec[key])
    return spec


def _is_responses_tool(tool: ToolLike) -> TypeGuard[dict[str, Any]]:
    if not isinstance(tool, dict):
        return False
    return tool.get("type") == "function" and "name" in tool and "function" not in tool


_NAME_INVALID = re.compile(r"[^A-Za-z0-9_-]+")


def schema_name(schema: Any) -> str:
    """A ``text.format`` name for ``schema``: its title / class name, reduced to ``[A-Za-z0-9_-]{1,64}``."""
    name: Any = None
    if isinstance(schema, Mapping):
        name = schema.get("title") or schema.get("name")
        function = schema.get("function")
        if not name and isinstance(function, Mapping):
            name = function.get("name")
    elif isinstance(schema, type):
        name = schema.__name__
    cleaned = _NAME_INVALID.sub("_", str(name or "")).strip("_")[:64]
    return cleaned or "output"


def json_schema_format(schema: Any, *, strict: bool | None = None) -> dict[str, Any]:
    """The ``text.format`` for structured output with ``schema`` (pydantic v1/v2, TypedDict, JSON schema,
    OpenAI tool/function dict, a ready ``{"type": "json_schema", ...}`` format, or a Chat-Completions
    ``json_schema`` object ``{"name", "schema", "strict"}``).

    ``strict=True`` makes the schema strict-compatible (every property required, no additional ones).
    """
    named_schema = isinstance(schema, Mapping) and isinstance(schema.get("schema"), Mapping) and "name" in schema
    if isinstance(schema, Mapping) and (schema.get("type") == "json_schema" or named_schema):
        inner = schema.get("json_schema")
        if isinstance(inner, Mapping):  # Chat-Completions response_format
            fmt: dict[str, Any] = {"type": "json_schema", **inner}
        else:  # a Responses text.format, or the Chat-Completions {"name", "schema", "strict"} object
            fmt = {**schema, "type": "json_schema"}
        if strict is not None:
            fmt["strict"] = strict
        return _strict_valid(fmt, "schema")
    if strict is None and isinstance(schema, Mapping) and isinstance(schema.get("strict"), bool):
        strict = schema["strict"]
    function = convert_to_openai_function(schema, strict=bool(strict))
    name = schema_name({"title": function.get("name")} if function.get("name") else schema)
    fmt = {"type": "json_schema", "name": name, "schema": function["parameters"]}
    if function.get("description"):
        fmt["description"] = function["description"]
    fmt["strict"] = bool(strict)
    return _strict_valid(fmt, "schema")


def json_object_format() -> dict[str, Any]:
    """The ``text.format`` for JSON mode (the prompt has to ask for JSON)."""
    return {"type": "json_object"}
