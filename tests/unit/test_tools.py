"""Tools from callables, pydantic models and dicts -> flat Responses function tools."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal, Optional

import pytest
from pydantic import BaseModel, Field

from oauth_codex._tools import ensure_strict_schema, function_schema, to_response_tools


def get_weather(city: str) -> str:
    return f"Sunny in {city}"


def test_seed_readme_function() -> None:
    assert to_response_tools([get_weather]) == [
        {
            "type": "function",
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
            "strict": False,
        }
    ]


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Point(BaseModel):
    x: int
    y: int = 0


def everything(
    name: str,
    count: int,
    ratio: float,
    flag: bool,
    maybe: Optional[str],  # noqa: UP045 - the typing form must work too
    either: int | None,
    mode: Literal["fast", "slow"],
    color: Color,
    items: list[int],
    mapping: dict[str, float],
    point: Point,
    anything: Any,
    labelled: Annotated[str, "a labelled string"],
    pair: tuple[int, str],
    unit: Literal["c", "f"] = "c",
    color_default: Color = Color.BLUE,
) -> None:
    """Do everything.

    Longer explanation that is not part of the description.

    Args:
        name: The name.
        count (int): How many,
            spanning two lines.
        ratio: A ratio.
    """


def test_type_hints_to_schema() -> None:
    schema = function_schema(everything)
    props = schema["properties"]
    assert props["name"] == {"type": "string", "description": "The name."}
    assert props["count"] == {"type": "integer", "description": "How many, spanning two lines."}
    assert props["ratio"]["type"] == "number"
    assert props["flag"] == {"type": "boolean"}
    assert props["maybe"] == {"type": ["string", "null"]}
    assert props["either"] == {"type": ["integer", "null"]}
    assert props["mode"] == {"type": "string", "enum": ["fast", "slow"]}
    assert props["color"] == {"type": "string", "enum": ["red", "blue"]}
    assert props["items"] == {"type": "array", "items": {"type": "integer"}}
    assert props["mapping"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert props["point"]["properties"]["x"]["type"] == "integer"
    assert props["anything"] == {}
    assert props["labelled"] == {"type": "string", "description": "a labelled string"}
    assert props["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert props["unit"] == {"type": "string", "enum": ["c", "f"], "default": "c"}
    assert props["color_default"]["default"] == "blue"
    assert "unit" not in schema["required"] and "name" in schema["required"]
    tool = to_response_tools([everything])[0]
    assert tool["description"] == "Do everything."


def numpy_doc(city: str, days: int = 1) -> str:
    """Forecast.

    Parameters
    ----------
    city : str
        The city name.
    days : int
        Number of days.

    Returns
    -------
    str
    """
    return city


def rest_doc(city: str, days: int = 1) -> str:
    """Forecast.

    :param city: The city name.
    :param int days: Number of days.
    :returns: text
    """
    return city


@pytest.mark.parametrize("func", [numpy_doc, rest_doc])
def test_numpy_and_rest_docstrings(func: Any) -> None:
    tool = to_response_tools([func])[0]
    assert tool["description"] == "Forecast."
    assert tool["parameters"]["properties"]["city"]["description"] == "The city name."
    assert tool["parameters"]["properties"]["days"]["description"] == "Number of days."


class Search(BaseModel):
    """Search the web."""

    query: str = Field(description="what to look for")
    limit: int | None = None


def test_pydantic_model_tool() -> None:
    tool = to_response_tools([Search])[0]
    assert tool["name"] == "Search"
    assert tool["description"] == "Search the web."
    assert tool["parameters"]["properties"]["query"]["description"] == "what to look for"
    assert tool["parameters"]["required"] == ["query"]
    strict = to_response_tools([Search], strict=True)[0]
    assert strict["strict"] is True
    assert strict["parameters"]["required"] == ["query", "limit"]
    assert strict["parameters"]["additionalProperties"] is False
    assert "default" not in strict["parameters"]["properties"]["limit"]


def test_dict_tools_flat_and_chat_completions_shapes() -> None:
    params = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    flat = {"type": "function", "name": "find", "description": "d", "parameters": params}
    chat = {"type": "function", "function": {"name": "find", "description": "d", "parameters": params}}
    assert to_response_tools([flat]) == to_response_tools([chat])
    assert to_response_tools([chat])[0] == {
        "type": "function",
        "name": "find",
        "description": "d",
        "parameters": params,
        "strict": False,
    }
    strict = to_response_tools([chat], strict=True)[0]
    assert strict["strict"] is True and strict["parameters"]["additionalProperties"] is False
    # a dict asking for strict keeps it; other tool types pass through
    assert to_response_tools([{**flat, "strict": True}])[0]["strict"] is True
    assert to_response_tools([{"type": "web_search"}]) == [{"type": "web_search"}]


def test_strict_schema_nested_objects_and_nullable_optionals() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"b": {"type": "string"}}},
            "c": {"type": "array", "items": {"type": "object", "properties": {"d": {"type": "integer"}}}},
            "e": {"$ref": "#/$defs/E"},
        },
        "required": ["a"],
        "$defs": {"E": {"type": "object", "properties": {"f": {"type": "string", "default": None}}}},
    }
    strict = ensure_strict_schema(schema)
    assert strict["required"] == ["a", "c", "e"]
    assert strict["properties"]["a"]["additionalProperties"] is False
    assert strict["properties"]["a"]["required"] == ["b"]
    assert strict["properties"]["c"]["type"] == ["array", "null"]
    assert strict["properties"]["c"]["items"]["additionalProperties"] is False
    assert strict["properties"]["e"] == {"anyOf": [{"$ref": "#/$defs/E"}, {"type": "null"}]}
    assert strict["$defs"]["E"]["additionalProperties"] is False
    assert "default" not in strict["$defs"]["E"]["properties"]["f"]
    assert "additionalProperties" not in schema  # input untouched


def test_bad_tools() -> None:
    with pytest.raises(ValueError, match="real name"):
        to_response_tools([lambda x: x])
    with pytest.raises(ValueError, match="unsupported tool"):
        to_response_tools([42])
    with pytest.raises(ValueError, match="without a 'name'"):
        to_response_tools([{"type": "function", "parameters": {}}])
    with pytest.raises(ValueError, match="must be a list"):
        to_response_tools(get_weather)  # type: ignore[arg-type]


def test_methods_skip_self_and_varargs() -> None:
    class Box:
        def put(self, item: str, *args: Any, **kwargs: Any) -> None:
            """Put an item."""

    assert function_schema(Box().put) == {
        "type": "object",
        "properties": {"item": {"type": "string"}},
        "required": ["item"],
    }


def google_with_sections(city: str, days: int = 1) -> str:
    """Forecast for a city.

    Args:
        city (str): The city.
        days: How many
            days ahead.

    Returns:
        str: the forecast text, not a parameter.

    Raises:
        ValueError: never a parameter either.
    """
    return city


def test_google_sections_after_args_are_not_parameters() -> None:
    tool = to_response_tools([google_with_sections])[0]
    props = tool["parameters"]["properties"]
    assert tool["description"] == "Forecast for a city."
    assert props["city"]["description"] == "The city."
    assert props["days"]["description"] == "How many days ahead."
    assert set(props) == {"city", "days"}
    assert "str" not in props and "ValueError" not in props
