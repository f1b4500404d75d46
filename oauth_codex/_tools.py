"""Tools -> flat Responses function-tool schemas (pure).

Accepted tool forms:

* a Python callable: the name, the first docstring paragraph as description, parameters from the signature
  and type hints (``str``, ``int``, ``float``, ``bool``, ``None``, ``Optional``/``X | None``, ``Literal``,
  ``Enum``, ``list[X]``, ``tuple``, ``set``, ``dict[str, X]``, ``Any``, pydantic models,
  ``Annotated[X, "description"]``),
  parameter descriptions from Google (``Args:``), NumPy (``Parameters``) or reST (``:param x:``) docstrings;
* a pydantic model class: its name, docstring and JSON schema;
* a dict in the flat Responses shape ``{"type": "function", "name", "description", "parameters", "strict"}``
  or the chat-completions shape ``{"type": "function", "function": {...}}``; other tool types (e.g.
  ``{"type": "web_search"}``) pass through unchanged.

Function names must be unique and match ``[A-Za-z0-9_-]{1,64}`` (the backend's rule); anything else raises
``ValueError`` before a request is sent.

``strict=True`` (``strict_output``) marks every function tool ``"strict": true`` and makes its schema strict:
every property required (optional ones become nullable) and ``additionalProperties: false`` on every object.
"""

from __future__ import annotations

import copy
import enum
import functools
import inspect
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, PydanticUserError, TypeAdapter

__all__ = ["ensure_strict_schema", "function_schema", "to_response_tools"]

#: the backend's rule for function names
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def to_response_tools(tools: Sequence[Any] | None, *, strict: bool = False) -> list[dict[str, Any]]:
    """Convert every tool to the flat Responses shape; ``strict`` forces strict function tools."""
    if not tools:
        return []
    if isinstance(tools, str | bytes | Mapping) or not isinstance(tools, Sequence):
        raise ValueError("tools must be a list of callables, pydantic model classes or function-tool dicts")
    converted = [_convert(tool, strict=strict) for tool in tools]
    seen: set[str] = set()
    for tool in converted:
        if tool.get("type") != "function":
            continue
        name = tool["name"]
        if not _TOOL_NAME.fullmatch(name):
            raise ValueError(
                f"invalid tool name {name[:80]!r}: use 1-64 letters, digits, '_' or '-' (the backend rejects "
                "other names)"
            )
        if name in seen:
            raise ValueError(f"two tools are named {name!r}: every tool needs its own name")
        seen.add(name)
    return converted


def _convert(tool: Any, *, strict: bool) -> dict[str, Any]:
    if isinstance(tool, Mapping):
        return _from_dict(tool, strict=strict)
    if isinstance(tool, type) and issubclass(tool, BaseModel):
        schema = _pydantic_schema(tool)
        return _function(
            tool.__name__, _description(tool.__doc__ if tool.__doc__ != _BASE_DOC else None), schema, strict
        )
    if callable(tool):
        name = getattr(tool, "__name__", None)
        if not name or name == "<lambda>":
            raise ValueError("a callable tool needs a real name (lambdas cannot be offered as tools)")
        return _function(name, _description(inspect.getdoc(tool)), function_schema(tool), strict)
    raise ValueError(
        f"unsupported tool {tool!r}: pass a Python function, a pydantic model class, or a function-tool dict"
    )


_BASE_DOC = BaseModel.__doc__


def _from_dict(tool: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
    kind = tool.get("type", "function")
    if kind != "function":
        return dict(tool)
    inner = tool.get("function")
    spec: Mapping[str, Any] = inner if isinstance(inner, Mapping) else tool
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"function tool dict without a 'name': {dict(tool)!r}")
    parameters = spec.get("parameters")
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    if not isinstance(parameters, Mapping):
        raise ValueError(f"tool {name!r}: 'parameters' must be a JSON-schema object")
    own_strict = spec.get("strict")
    flat: dict[str, Any] = {"type": "function", "name": name}
    if spec.get("description"):
        flat["description"] = spec["description"]
    use_strict = True if strict else bool(own_strict)
    flat["parameters"] = ensure_strict_schema(parameters) if use_strict else copy.deepcopy(dict(parameters))
    flat["strict"] = use_strict
    return flat


def _function(name: str, description: str | None, schema: dict[str, Any], strict: bool) -> dict[str, Any]:
    tool: dict[str, Any] = {"type": "function", "name": name}
    if description:
        tool["description"] = description
    tool["parameters"] = ensure_strict_schema(schema) if strict else schema
    tool["strict"] = strict
    return tool


def _description(doc: str | None) -> str | None:
    if not doc:
        return None
    doc = inspect.cleandoc(doc)
    lines: list[str] = []
    for line in doc.splitlines():
        stripped = line.strip()
        if not stripped and lines:
            break
        if _SECTION.match(stripped) or stripped.startswith(":param") or stripped.startswith(":return"):
            break
        if stripped:
            lines.append(stripped)
    return " ".join(lines) or None


# --------------------------------------------------------------------------- callables

_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Returns|Return|Raises|Yields|Examples?|Notes?)\s*:?\s*$",
    re.IGNORECASE,
)


def function_schema(func: Callable[..., Any]) -> dict[str, Any]:
    """JSON schema of ``func``'s parameters (``self``/``cls``/``*args``/``**kwargs`` left out)."""
    signature = inspect.signature(func)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable forward references: fall back to raw annotations
        hints = {}
    docs = _param_docs(inspect.getdoc(func) or "")
    properties: dict[str, Any] = {}
    required: list[str] = []
    defs: dict[str, Any] = {}
    for name, param in signature.parameters.items():
        if name in ("self", "cls") or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(name, param.annotation)
        schema = _type_schema(annotation, defs) if annotation is not inspect.Parameter.empty else {}
        if name in docs and "description" not in schema:
            schema = {**schema, "description": docs[name]}
        if param.default is not inspect.Parameter.empty:
            default = param.default
            if isinstance(default, enum.Enum):
                default = default.value
            if _json_safe(default):
                schema = {**schema, "default": default}
        else:
            required.append(name)
        properties[name] = schema
    result: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if defs:
        result["$defs"] = defs
    return result


def _json_safe(value: Any) -> bool:
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list | tuple):
        return all(_json_safe(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v) for k, v in value.items())
    return False


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """JSON schema of one parameter type, by pydantic; nested models go to ``defs``.

    On top of ``TypeAdapter(tp).json_schema()``: ``Annotated[X, "text"]`` becomes a description, enums are
    inlined, ``X | None`` of a simple ``X`` is written ``{"type": [X, "null"]}`` (as the model sees it most
    often), ``typing.TypedDict`` works on Python 3.11 too, and a type pydantic cannot describe is ``{}``.
    """
    if typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        schema = _type_schema(args[0], defs)
        notes = [meta for meta in args[1:] if isinstance(meta, str)]
        return {**schema, "description": notes[-1]} if notes else schema
    if tp is Any or tp is object or tp is inspect.Parameter.empty or isinstance(tp, str | typing.ForwardRef):
        return {}
    try:
        schema = _pydantic_type_schema(tp)
    except (PydanticUserError, TypeError, ValueError):
        if not typing.is_typeddict(tp):
            return {}
        hints = typing.get_type_hints(tp)  # a typing.TypedDict: pydantic takes only typing_extensions' before 3.12
        return {
            "type": "object",
            "properties": {k: _type_schema(v, defs) for k, v in hints.items()},
            "required": [k for k in hints if k in tp.__required_keys__],
        }
    found: dict[str, Any] = schema.pop("$defs", {})
    enums = {name: d for name, d in found.items() if "enum" in d}
    defs.update({name: d for name, d in found.items() if name not in enums})
    return _simplify(_tidy(schema, enums))


def _pydantic_type_schema(tp: Any) -> dict[str, Any]:
    try:
        return copy.deepcopy(_cached_type_schema(tp))  # tools are converted on every request
    except TypeError as exc:
        if "unhashable" not in str(exc):
            raise
        return TypeAdapter(tp).json_schema(ref_template="#/$defs/{model}")


@functools.lru_cache(maxsize=256)
def _cached_type_schema(tp: Any) -> dict[str, Any]:
    return TypeAdapter(tp).json_schema(ref_template="#/$defs/{model}")


def _tidy(node: Any, enums: dict[str, Any]) -> Any:
    """``node`` with enum ``$ref`` s inlined, enums untitled, ``additionalProperties: true`` (the default) left out."""
    if isinstance(node, list):
        return [_tidy(item, enums) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.rpartition("/")[2] in enums:
        node = {**enums[ref.rpartition("/")[2]], **{k: v for k, v in node.items() if k != "$ref"}}
    return {
        k: _tidy(v, enums)
        for k, v in node.items()
        if not (k == "title" and isinstance(node.get("enum"), list)) and not (k == "additionalProperties" and v is True)
    }


def _simplify(schema: dict[str, Any]) -> dict[str, Any]:
    """``{"anyOf": [X, {"type": "null"}]}`` -> ``{"type": [X, "null"]}`` when ``X`` is a plain typed value."""
    variants = schema.get("anyOf")
    if not (isinstance(variants, list) and len(variants) == 2 and {"type": "null"} in variants):
        return schema
    inner = variants[0] if variants[1] == {"type": "null"} else variants[1]
    if not (isinstance(inner.get("type"), str) and set(inner) <= {"type", "items", "enum"}):
        return schema
    out = {**inner, **{k: v for k, v in schema.items() if k != "anyOf"}, "type": [inner["type"], "null"]}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


_PARAM_HEADERS = ("args", "arguments", "parameters", "params")
_GOOGLE_ENTRY = re.compile(r"\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)")
_REST_PARAM = re.compile(r":param\s+(?:[^:\s]+\s+)?(\w+)\s*:\s*(.+?)(?=\n\s*:|\Z)", re.DOTALL)


def _param_docs(doc: str) -> dict[str, str]:
    """Parameter descriptions from Google (``Args:``), NumPy (``Parameters`` + dashes) or reST docstrings."""
    result = {m.group(1): " ".join(m.group(2).split()) for m in _REST_PARAM.finditer(doc)}
    lines = doc.splitlines()
    for index, line in enumerate(lines):
        header = line.strip()
        underlined = index + 1 < len(lines) and _is_underline(lines[index + 1])
        if header.lower() in _PARAM_HEADERS and underlined:
            result.update(_entries(_block(lines[index + 2 :], numpy=True), numpy=True))
        elif header.endswith(":") and header[:-1].lower() in _PARAM_HEADERS:
            result.update(_entries(_block(lines[index + 1 :], numpy=False), numpy=False))
    return {name: text for name, text in result.items() if text}


def _is_underline(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and set(stripped) == {"-"}


def _block(lines: list[str], *, numpy: bool) -> list[str]:
    """The lines of one section: until a dedent (Google) or the next underlined header (NumPy)."""
    block: list[str] = []
    indent: int | None = None
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        current = len(line) - len(line.lstrip())
        if indent is None:
            indent = current
        if numpy and index + 1 < len(lines) and _is_underline(lines[index + 1]):
            break
        if current < indent:
            break
        block.append(line)
    return block


def _entries(block: list[str], *, numpy: bool) -> dict[str, str]:
    """``name -> description`` from a section's lines (entries at the block indent, text below them)."""
    result: dict[str, str] = {}
    if not block:
        return result
    indent = len(block[0]) - len(block[0].lstrip())
    name: str | None = None
    for line in block:
        stripped = line.strip()
        if len(line) - len(line.lstrip()) == indent:
            if numpy:
                candidate = stripped.split(":")[0].strip()
                name = candidate if candidate.isidentifier() else None
                if name:
                    result[name] = ""
            else:
                match = _GOOGLE_ENTRY.match(stripped)
                name = match.group(1) if match else None
                if match and name:
                    result[name] = match.group(2).strip()
        elif name:
            result[name] = f"{result[name]} {stripped}".strip()
    return result


# --------------------------------------------------------------------------- schemas


def _pydantic_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    schema.pop("title", None)
    schema.pop("description", None)
    schema.setdefault("type", "object")
    return schema


def ensure_strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` valid for strict mode.

    Every object gets ``additionalProperties: false`` and lists all its properties in ``required``; properties
    that were optional become nullable. ``$ref`` siblings are kept, single-element ``allOf`` is inlined, and
    ``default: null`` is dropped.
    """
    result: dict[str, Any] = _strict(copy.deepcopy(dict(schema)))
    if "type" not in result and "properties" in result:
        result["type"] = "object"
    return result


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    for key in ("$defs", "definitions"):
        if isinstance(node.get(key), dict):
            node[key] = {k: _strict(v) for k, v in node[key].items()}
    if node.get("type") == "object" or "properties" in node:
        properties = node.get("properties")
        if isinstance(properties, dict):
            originally_required = set(node.get("required") or [])
            new_props: dict[str, Any] = {}
            for name, prop in properties.items():
                prop = _strict(prop)
                if name not in originally_required:
                    prop = _nullable(prop)
                new_props[name] = prop
            node["properties"] = new_props
            node["required"] = list(new_props)
        else:
            node["properties"] = {}
            node["required"] = []
        node["additionalProperties"] = False
    for key in ("items", "not"):
        if key in node:
            node[key] = _strict(node[key])
    for key in ("anyOf", "oneOf", "prefixItems"):
        if isinstance(node.get(key), list):
            node[key] = [_strict(n) for n in node[key]]
    all_of = node.get("allOf")
    if isinstance(all_of, list):
        if len(all_of) == 1 and isinstance(all_of[0], dict):
            node.pop("allOf")
            node.update({k: v for k, v in _strict(all_of[0]).items() if k not in node})
        else:
            node["allOf"] = [_strict(n) for n in all_of]
    if "default" in node and node["default"] is None:
        node.pop("default")
    return node


def _nullable(prop: Any) -> Any:
    if not isinstance(prop, dict):
        return prop
    kind = prop.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return prop
    any_of = prop.get("anyOf")
    if isinstance(any_of, list):
        if not any(isinstance(v, dict) and v.get("type") == "null" for v in any_of):
            prop["anyOf"] = [*any_of, {"type": "null"}]
        return prop
    if isinstance(kind, str) and "$ref" not in prop:
        prop["type"] = [kind, "null"]
        if isinstance(prop.get("enum"), list) and None not in prop["enum"]:
            prop["enum"] = [*prop["enum"], None]
        return prop
    if isinstance(kind, list):
        prop["type"] = [*kind, "null"]
        return prop
    description = prop.pop("description", None)
    wrapped: dict[str, Any] = {"anyOf": [prop, {"type": "null"}]}
    if description:
        wrapped["description"] = description
    return wrapped
