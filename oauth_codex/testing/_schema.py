"""Schema-valid values drawn from a prompt: the argument and JSON filler of the scripted model.

Pure functions. :class:`PromptFacts` pulls numbers, quoted strings and named entities out of the text;
:func:`fill_schema` walks a JSON schema (``$ref``/``$defs``, ``anyOf``/``oneOf``/``allOf``, enums, nesting,
arrays) and consumes those facts in order, falling back to schema defaults and then to plain placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PromptFacts", "fill_schema", "quoted_strings", "resolve_ref"]

_QUOTED = re.compile(
    r"'([^'\n]{1,200})'|\"([^\"\n]{1,200})\"|“([^”\n]{1,200})”|‘([^’\n]{1,200})’|「([^」\n]{1,200})」"
)
_NUMBER = re.compile(r"(?<![\w.\-])-?\d+(?:\.\d+)?(?![\w.\-]*\w)")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_CAPITALISED = re.compile(r"\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")
_NON_ASCII = re.compile(
    r"[^\x00-\x7f\s.,;:!?()\[\]{}'\"“”‘’「」]+(?:\s+[^\x00-\x7f\s.,;:!?()\[\]{}'\"“”‘’「」]+)*"
)

_GREETINGS = frozenset({"hi", "hello", "hey", "dear", "ok", "okay", "sure", "thanks"})
# Capitalised words that start questions or commands rather than name things.
_NOT_ENTITIES = frozenset(
    """a an and are as be but by call can could create do does explain find for from get give how i if
    in is it json let list make me my no not of on or please provide return say show so summarize tell thanks
    that the then this to use using was we what when where which who why will with would yes
    you your add book buy calculate check compute convert describe draft generate look open order plan
    remind run schedule search send set translate write""".split()
)


def quoted_strings(text: str) -> list[str]:
    """The texts between quotes ('', "", “”, ‘’, 「」), in order."""
    return [next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(text)]


@dataclass
class PromptFacts:
    """Values found in a prompt, handed out in order of appearance (each at most once)."""

    text: str
    numbers: list[float] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)

    @classmethod
    def from_text(cls, text: str) -> PromptFacts:
        quoted = quoted_strings(text)
        unquoted = _QUOTED.sub(" ", text)
        entities: list[tuple[int, str]] = []
        for m in _CAPITALISED.finditer(unquoted):
            words = m.group(0).split()
            sentence_start = not unquoted[: m.start()].strip() or unquoted[: m.start()].rstrip()[-1] in ".!?:"
            while words and (
                words[0].lower().split("'")[0] in _NOT_ENTITIES
                or (sentence_start and words[0].lower() in _GREETINGS)
            ):
                words.pop(0)
                sentence_start = False
            if words:
                entities.append((m.start(), " ".join(words)))
        for m in _NON_ASCII.finditer(unquoted):
            entities.append((m.start(), m.group(0).strip()))
        entities.sort()
        strings: list[str] = []
        for value in [*quoted, *(e for _, e in entities)]:
            if value and value not in strings:
                strings.append(value)
        numbers = [float(m.group(0)) for m in _NUMBER.finditer(text)]
        return cls(text=text, numbers=numbers, strings=strings)

    def take_number(self, integer: bool) -> float | None:
        for i, value in enumerate(self.numbers):
            if not integer or value == int(value):
                return self.numbers.pop(i)
        return None

    def take_string(self) -> str | None:
        return self.strings.pop(0) if self.strings else None

    def mentions(self, word: str) -> bool:
        return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", self.text, re.IGNORECASE) is not None


def resolve_ref(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` pointers (``#/$defs/X``, ``#/definitions/X``, any local JSON pointer)."""
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < 32:
        ref: str = schema["$ref"]
        target: Any = root
        if ref.startswith("#"):
            for part in ref.lstrip("#").strip("/").split("/"):
                if not part:
                    continue
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part, {}) if isinstance(target, dict) else {}
        else:
            target = {}
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**(target if isinstance(target, dict) else {}), **extra}
        seen += 1
    return schema


def _placeholder_string(name: str, schema: dict[str, Any], facts: PromptFacts) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2025-01-01T00:00:00Z"
    if fmt == "date":
        found = _DATE.search(facts.text)
        return found.group(0) if found else "2025-01-01"
    if fmt == "time":
        return "00:00:00"
    if fmt == "email":
        return "user@example.com"
    if fmt in {"uri", "url"}:
        return "https://example.com"
    if fmt == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    snippet = " ".join(facts.text.split())[:60]
    label = name.replace("_", " ") if name else "value"
    value = f"{label} for: {snippet}" if snippet else label
    min_len = schema.get("minLength")
    if isinstance(min_len, int) and len(value) < min_len:
        value = value + "x" * (min_len - len(value))
    max_len = schema.get("maxLength")
    if isinstance(max_len, int) and len(value) > max_len:
        value = value[:max_len]
    return value


def _clamp(value: float, schema: dict[str, Any]) -> float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(low, int | float) and value < low:
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    if isinstance(high, int | float) and value > high:
        value = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
    return value


def _schema_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        return str(non_null[0]) if non_null else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def fill_schema(schema: Any, facts: PromptFacts, root: dict[str, Any] | None = None, name: str = "") -> Any:
    """A value valid for ``schema``, using values from ``facts`` where they fit.

    Order of preference: a value from the prompt (number, quoted string, named entity, mentioned enum
    member), the schema's ``default``, then a placeholder (first enum member, ``minimum`` or 0, a short
    string naming the field, ``False``, one array item, every object property).
    """
    if not isinstance(schema, dict):
        return None
    root = schema if root is None else root
    schema = resolve_ref(schema, root)
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            resolved = [resolve_ref(o, root) for o in options if isinstance(o, dict)]
            chosen = next((o for o in resolved if _schema_type(o) != "null"), resolved[0] if resolved else {})
            merged = {k: v for k, v in schema.items() if k != key}
            return fill_schema({**merged, **chosen}, facts, root, name)
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and all_of:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in all_of:
            if isinstance(part, dict):
                part = resolve_ref(part, root)
                props = {**merged.get("properties", {}), **part.get("properties", {})}
                required = [*merged.get("required", []), *part.get("required", [])]
                merged = {**merged, **part, "properties": props, "required": required}
        return fill_schema(merged, facts, root, name)
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        for member in enum:
            if isinstance(member, str) and facts.mentions(member):
                return member
        return schema["default"] if schema.get("default") in enum else enum[0]
    kind = _schema_type(schema)
    if kind == "object":
        props = schema.get("properties")
        if not isinstance(props, dict):
            return {}
        return {key: fill_schema(sub, facts, root, key) for key, sub in props.items()}
    if kind == "array":
        count = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 1
        max_items = schema.get("maxItems")
        if isinstance(max_items, int):
            count = min(count, max_items)
        items = schema.get("items", {})
        singular = name[:-1] if name.endswith("s") else name
        return [fill_schema(items, facts, root, singular) for _ in range(count)]
    if kind in {"integer", "number"}:
        found = facts.take_number(integer=kind == "integer")
        if found is None:
            default = schema.get("default")
            found = float(default) if isinstance(default, int | float) else 0.0
        value = _clamp(found, schema)
        return int(value) if kind == "integer" else (int(value) if value == int(value) else value)
    if kind == "boolean":
        default = schema.get("default")
        return default if isinstance(default, bool) else False
    if kind == "null":
        return None
    if kind == "string" or kind is None:
        if schema.get("format") in {"date-time", "date", "time", "email", "uri", "url", "uuid"}:
            return _placeholder_string(name, schema, facts)
        found_s = facts.take_string()
        if found_s is not None:
            return found_s
        default = schema.get("default")
        if isinstance(default, str):
            return default
        return _placeholder_string(name, schema, facts)
    return None
