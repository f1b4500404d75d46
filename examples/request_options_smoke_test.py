"""Smoke test of every request option: each check prints PASS or FAIL; exit code 0 when all pass.

    python3 examples/request_options_smoke_test.py --model gpt-5.5             # real chatgpt.com
    python3 examples/request_options_smoke_test.py --model gpt-5.5 --emulator  # offline

Covers response_format (json_object and a pydantic schema), tool_choice, strict_output, reasoning, store,
text verbosity, a manual function-calling round trip, raw event streaming and async.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable

from _offline import environment
from pydantic import BaseModel

from oauth_codex import (
    CodexError,
    CodexOAuthLLM,
    ResponseAccumulator,
    StreamEvent,
    ToolCallRequiredError,
)


class Article(BaseModel):
    title: str
    summary: str


def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: The city name.
    """
    return f"Sunny in {city}"


def checks(llm: CodexOAuthLLM) -> list[tuple[str, Callable[[], str]]]:
    def json_object() -> str:
        text = llm.generate(
            prompt="Return valid JSON with keys title and summary about OAuth.",
            response_format={"type": "json_object"},
        )
        return f"keys {sorted(json.loads(text))}"

    def json_schema() -> str:
        text = llm.generate(prompt="Give a title and a one-line summary about PKCE.", response_format=Article)
        return f"parsed {Article.model_validate_json(text)!r}"

    def seed_options() -> str:
        result = llm.generate(
            prompt="Return valid JSON with title and summary",
            response_format={"type": "json_object"},
            tools=[get_weather],
            tool_choice="required",
            strict_output=True,
            reasoning={"effort": "high"},
            store=False,
            return_details=True,
        )
        assert result.finish_reason == "tool_calls", result.finish_reason
        return f"tool_choice=required called {result.tool_calls[0].name}"

    def reasoning() -> str:
        result = llm.generate(
            prompt="What is 17 * 23? Answer with the number.",
            reasoning={"effort": "low", "summary": "auto"},
            return_details=True,
        )
        assert result.usage is not None
        kept = [i for i in result.output_items if i.get("type") == "reasoning" and i.get("encrypted_content")]
        return (
            f"text {result.text!r}, reasoning tokens {result.usage.reasoning_tokens}, "
            f"replayable items {len(kept)}"
        )

    def store_true_is_rejected() -> str:
        try:
            llm.generate(prompt="hi", store=True)
        except ValueError as exc:
            return f"refused before sending: {exc}"
        return "store=True was sent (the codex backend rejects it)"

    def verbosity() -> str:
        return repr(llm.generate(prompt="Say hi.", text={"verbosity": "low"}))

    def function_calling() -> str:
        messages = [{"role": "user", "content": "What is the weather in Seoul? Use the tool."}]
        try:
            llm.generate(messages=messages, tools=[get_weather])
            raise AssertionError("expected ToolCallRequiredError")
        except ToolCallRequiredError as exc:
            calls = exc.tool_calls
        results = [
            {
                "tool_call_id": c.id,
                "name": c.name,
                "output": get_weather(**(c.arguments or {"city": "Seoul"})),
            }
            for c in calls
        ]
        final = llm.generate(messages=messages, tools=[get_weather], tool_results=results)
        assert "Sunny" in final, final
        return f"{calls[0].name}({calls[0].arguments_json}) -> {final!r}"

    def raw_events() -> str:
        acc = ResponseAccumulator()
        kinds: set[str] = set()
        for event in llm.generate_stream(prompt="Count to three.", raw_events=True):
            assert isinstance(event, StreamEvent)
            kinds.add(event.type)
            acc.add(event)
        result = acc.result()
        return f"{len(kinds)} event types, text {result.text!r}"

    def async_stream() -> str:
        async def collect() -> str:
            return "".join([str(c) async for c in llm.agenerate_stream(prompt="Say hello.")])

        return repr(asyncio.run(collect()))

    return [
        ("response_format json_object", json_object),
        ("response_format pydantic schema", json_schema),
        ("seed options (tool_choice, strict_output, reasoning, store=False)", seed_options),
        ("reasoning + encrypted content", reasoning),
        ("store=True is refused before sending", store_true_is_rejected),
        ("text verbosity", verbosity),
        ("manual function calling round trip", function_calling),
        ("raw events + ResponseAccumulator", raw_events),
        ("async streaming", async_stream),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gpt-5.5", help="model slug, e.g. gpt-5.5 or gpt-5.3-codex")
    parser.add_argument("--emulator", action="store_true", help="run offline against an in-process emulator")
    args = parser.parse_args(argv)
    failures = 0
    with environment(args.emulator, args.model):
        llm = CodexOAuthLLM(model=args.model, interactive=True)
        for name, check in checks(llm):
            try:
                detail = check()
            except (CodexError, AssertionError, ValueError) as exc:
                failures += 1
                print(f"FAIL {name}: {type(exc).__name__}: {exc}")
            else:
                print(f"PASS {name}: {detail}")
        llm.close()
    print("OK" if not failures else f"{failures} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
