"""Static typing of the public API, checked by mypy in CI (``mypy tests/types_check.py``); never run.

Each ``assert_type`` pins what a type checker infers for a call, so the overloads stay precise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import assert_type

from oauth_codex import CodexOAuthLLM, GenerateResult, ResponseAccumulator, StreamEvent
from oauth_codex.client import GenerateOptions


def sync_calls(llm: CodexOAuthLLM, flag: bool) -> None:
    assert_type(llm.generate(prompt="x"), str)
    assert_type(llm.generate(prompt="x", return_details=True, tools=[len]), GenerateResult)
    assert_type(llm.generate(prompt="x", return_details=flag), str | GenerateResult)
    assert_type(llm.generate_stream(prompt="x"), Iterator[str])
    assert_type(llm.generate_stream(prompt="x", raw_events=True), Iterator[StreamEvent])
    assert_type(llm.generate_stream(prompt="x", raw_events=flag), Iterator[str | StreamEvent])
    llm.generate_stream(prompt="x", return_details=True)  # type: ignore[call-overload]  # generate() only
    llm.generate(prompt="x", reasonning={"effort": "low"})  # type: ignore[call-overload]  # misspelt option
    acc = ResponseAccumulator()
    for event in llm.generate_stream(prompt="x", raw_events=True):
        acc.add(event)
        assert_type(event.delta, str | None)
    assert_type(acc.result(), GenerateResult)


async def async_calls(llm: CodexOAuthLLM) -> None:
    assert_type(await llm.agenerate(prompt="x"), str)
    assert_type(await llm.agenerate(prompt="x", return_details=True), GenerateResult)
    assert_type(llm.agenerate_stream(prompt="x"), AsyncIterator[str])
    assert_type(llm.agenerate_stream(prompt="x", raw_events=True), AsyncIterator[StreamEvent])


def wrapper(llm: CodexOAuthLLM) -> None:
    opts: GenerateOptions = {"model": "gpt-5.5", "reasoning": {"effort": "low"}}
    assert_type(llm.generate(prompt="x", **opts), str)
