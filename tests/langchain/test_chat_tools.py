"""Tool specs, ``tool_choice`` and ``text.format`` (ADAPTERS.md §1.4-1.5)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.tools import tool
from langchain_oauth_codex._tools import convert_tool, json_schema_format, schema_name
from pydantic import BaseModel, Field
from typing_extensions import TypedDict


class GetWeather(BaseModel):
    """Get the weather for a city."""

    city: str = Field(description="City name")
    units: str | None = None


class Person(TypedDict):
    """A person."""

    name: str


@tool
def magic(x: int) -> int:
    """Apply magic."""
    return x + 2


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        (GetWeather, "GetWeather"),
        (Person, "Person"),
        (magic, "magic"),
        (add, "add"),
        (
            {
                "type": "function",
                "function": {"name": "cc", "parameters": {"type": "object", "properties": {}}},
            },
            "cc",
        ),
        (GetWeather.model_json_schema(), "GetWeather"),
        (
            {
                "name": "color_picker",
                "input_schema": {"type": "object", "properties": {"c": {"type": "string"}}},
            },
            "color_picker",
        ),
    ],
)
def test_tools_are_flattened_to_the_responses_shape(spec: Any, name: str) -> None:
    flat = convert_tool(spec)
    assert flat["type"] == "function" and flat["name"] == name
    assert "function" not in flat
    assert flat["parameters"]["type"] == "object"


def test_strict_makes_schemas_strict_and_flat_dicts_pass_through() -> None:
    strict = convert_tool(GetWeather, strict=True)
    assert strict["strict"] is True
    assert strict["parameters"]["additionalProperties"] is False
    assert set(strict["parameters"]["required"]) == {"city", "units"}
    flat = {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}
    assert convert_tool(flat) == flat
    assert convert_tool(flat, strict=False)["strict"] is False


def test_builtin_tool_types_are_rejected() -> None:
    with pytest.raises(ValueError, match="not supported"):
        convert_tool({"type": "web_search_preview"})


def test_json_schema_format_from_each_schema_kind() -> None:
    fmt = json_schema_format(GetWeather)
    assert fmt["type"] == "json_schema" and fmt["name"] == "GetWeather" and fmt["strict"] is False
    assert fmt["schema"]["properties"]["city"]["type"] == "string"
    assert json_schema_format(Person)["name"] == "Person"
    strict = json_schema_format(GetWeather.model_json_schema(), strict=True)
    assert strict["strict"] is True and strict["schema"]["additionalProperties"] is False
    ready = {
        "type": "json_schema",
        "json_schema": {"name": "x", "schema": {"type": "object"}, "strict": True},
    }
    assert json_schema_format(ready) == {  # strict: made strict-valid by the core helper (issue 12 §3)
        "type": "json_schema",
        "name": "x",
        "schema": {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
        "strict": True,
    }
    assert json_schema_format(ready["json_schema"]) == json_schema_format(ready)


def test_schema_names_are_sanitized() -> None:
    assert schema_name({"title": "My Schema (v2)!"}) == "My_Schema_v2"
    assert schema_name({}) == "output"
    assert len(schema_name({"title": "x" * 100})) == 64


def test_parallel_tool_calls_default_comes_from_the_model_catalog(codex_emulator: Any) -> None:
    """Off unless asked, except when the catalog says the model supports parallel calls (issue 12 §3)."""
    from langchain_oauth_codex import ChatCodexOAuth

    from oauth_codex import MemoryTokenStore

    def model() -> ChatCodexOAuth:
        return ChatCodexOAuth(
            model="gpt-5.5",
            base_url=codex_emulator.base_url,
            oauth_config=codex_emulator.oauth_config(),
            token_store=MemoryTokenStore(codex_emulator.login_tokens()),
            interactive=False,
        )

    def sent(llm: ChatCodexOAuth, **bind: Any) -> Any:
        llm.bind_tools([GetWeather], **bind).invoke("weather in Paris?")
        return codex_emulator.responses_requests[-1].json["parallel_tool_calls"]

    plain = model()
    assert sent(plain) is False  # catalog unknown: the backend's default
    codex_emulator.update_model("gpt-5.5", supports_parallel_tool_calls=True)
    catalog = model()
    catalog.core_client.list_models()  # the catalog is now known
    assert sent(catalog) is True
    assert sent(catalog, parallel_tool_calls=False) is False  # an explicit choice wins
    plain.close()
    catalog.close()
