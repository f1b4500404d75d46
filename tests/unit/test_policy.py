"""oauth_codex.policy: the decisions the core client and both adapters share (pure)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from oauth_codex import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    ModelNotSupportedError,
    RateLimitError,
    ServerError,
    StreamError,
    UsageLimitError,
)
from oauth_codex.policy import (
    FATAL_STREAM_CODES,
    drop_unsupported,
    is_retryable,
    merge_include,
    normalize_tool_choice,
)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        (False, None),
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("any", "required"),
        (True, "required"),
        ("magic", {"type": "function", "name": "magic"}),
        ({"type": "function", "name": "magic"}, {"type": "function", "name": "magic"}),
        ({"type": "function", "function": {"name": "magic"}}, {"type": "function", "name": "magic"}),
        ({"type": "required"}, "required"),
        (
            {"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "magic"}]},
            {"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "magic"}]},
        ),
    ],
)
def test_tool_choice_shapes(choice: Any, expected: Any) -> None:
    assert normalize_tool_choice(choice, ["magic", "add"]) == expected


def test_tool_choice_default_applies_only_when_unset() -> None:
    assert normalize_tool_choice(None, default="auto") == "auto"
    assert normalize_tool_choice(False, default="required") == "required"
    assert normalize_tool_choice("none", default="required") == "none"


@pytest.mark.parametrize("choice", ["unknown_tool", 3, {"foo": "bar"}, {"type": "function"}, {"name": "add"}])
def test_bad_tool_choice_raises(choice: Any) -> None:
    with pytest.raises(ValueError, match="tool_choice"):
        normalize_tool_choice(choice, ["magic"])


def test_include_merges_configured_and_per_call_values() -> None:
    assert merge_include(None) == ["reasoning.encrypted_content"]
    assert merge_include(["a"], ["b", "a"]) == ["a", "b", "reasoning.encrypted_content"]
    assert merge_include(["a"], encrypted_reasoning=False) == ["a"]
    assert merge_include(["reasoning.encrypted_content"], encrypted_reasoning=False) == [
        "reasoning.encrypted_content"
    ]


def test_unsupported_arguments_warn_once_per_name_and_are_dropped() -> None:
    with pytest.warns(UserWarning, match="Thing ignores the call argument 'store'") as caught:
        kept = drop_unsupported({"a": 1, "store": True, "stop": ["x"]}, {"a"}, owner="Thing", quiet={"stop"})
    assert kept == {"a": 1}
    assert len(caught) == 1
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("default")
        for _ in range(3):
            drop_unsupported({"mystery": 1}, (), owner="Thing")
    assert len(again) == 1  # Python's default filter: once per call site and message


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ServerError("x", status_code=500), True),
        (APIConnectionError("x"), True),
        (APITimeoutError("x"), True),
        (RateLimitError("x", status_code=429), True),
        (UsageLimitError("x", status_code=429), False),
        (BadRequestError("x", status_code=400), False),
        (ModelNotSupportedError("x", status_code=400), False),
        (AuthenticationError("x", status_code=401), False),
        (StreamError("x", code="server_error"), True),
        (StreamError("x", code="stream_disconnected"), True),
        (StreamError("x", code=None), True),
        (ContextWindowExceededError("x", code="context_length_exceeded"), False),
        (ValueError("x"), False),
    ],
)
def test_is_retryable(error: BaseException, expected: bool) -> None:
    assert is_retryable(error) is expected


@pytest.mark.parametrize("code", sorted(FATAL_STREAM_CODES))
def test_fatal_stream_codes_are_not_retryable(code: str) -> None:
    assert not is_retryable(StreamError("x", code=code))
