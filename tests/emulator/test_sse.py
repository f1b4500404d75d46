"""SSE framing and event order (SPEC §4), checked against the recorded fixtures' grammar."""

from __future__ import annotations

import time
from itertools import groupby
from pathlib import Path
from typing import Any

import httpx
import pytest

from oauth_codex.auth import TokenData
from oauth_codex.testing import CodexEmulator

from .helpers import auth_headers, body, check_grammar, parse_sse, post, stream, user

FIXTURES = Path(__file__).parent.parent / "fixtures"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Retrieves current weather for the given location.",
    "parameters": {
        "type": "object",
        "properties": {
            "location": {
                "type": "object",
                "properties": {"x": {"type": "string"}, "y": {"type": "string"}},
                "required": ["x", "y"],
                "additionalProperties": False,
            },
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["location", "units"],
        "additionalProperties": False,
    },
    "strict": True,
}


def shape(events: list[dict[str, Any]]) -> list[str]:
    """Event types with runs of the same delta type collapsed, e.g. ``[..., "x.delta", "x.done"]``."""
    return [kind for kind, _ in groupby(e["type"] for e in events)]


def fixture_events(name: str) -> list[dict[str, Any]]:
    return parse_sse((FIXTURES / name).read_text(encoding="utf-8"))


def test_grammar_checker_accepts_the_recorded_stream() -> None:
    events = fixture_events("responses_function_call_o3_platform.sse")
    assert check_grammar(events) == "response.completed"


def test_function_call_stream_has_the_recorded_shape(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    recorded = fixture_events("responses_function_call_o3_platform.sse")
    payload = body(
        "What is the weather like in Beijing, China today?",
        tools=[WEATHER],
        reasoning={"effort": "medium"},
        include=["reasoning.encrypted_content"],
    )
    events = stream(http, emu, tokens, payload)
    assert check_grammar(events) == "response.completed"
    assert shape(events) == shape(recorded)
    call = [e for e in events if e["type"] == "response.output_item.done"][1]["item"]
    assert call["name"] == "get_weather" and call["call_id"].startswith("call_")
    assert call["arguments"] == '{"location": {"x": "Beijing", "y": "China"}, "units": "celsius"}'
    deltas = [e for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert len(deltas) >= 3
    for e in events:
        for key in ("sequence_number",):
            assert key in e
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


def test_text_stream_order(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    response = post(http, emu, tokens, body("hi"))
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "[DONE]" not in response.text
    events = parse_sse(response.text)
    assert check_grammar(events) == "response.completed"
    assert shape(events) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    created, completed = events[0]["response"], events[-1]["response"]
    assert created["id"] == completed["id"] and created["id"].startswith("resp_")
    assert created["model"] == completed["model"] == "gpt-5.5"
    assert completed["status"] == "completed" and completed["output"] == []
    message = events[-2]["item"]
    assert message["id"].startswith("msg_") and message["role"] == "assistant"


def test_reasoning_summary_and_encrypted_content(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    payload = body(
        "plan it", reasoning={"effort": "high", "summary": "auto"}, include=["reasoning.encrypted_content"]
    )
    events = stream(http, emu, tokens, payload)
    assert check_grammar(events) == "response.completed"
    reasoning = events[2]["item"]
    assert reasoning["type"] == "reasoning" and events[2]["output_index"] == 0
    summary_deltas = [e["delta"] for e in events if e["type"] == "response.reasoning_summary_text.delta"]
    assert len(summary_deltas) > 1
    done = next(e for e in events if e["type"] == "response.output_item.done")["item"]
    assert done["summary"][0]["text"] == "".join(summary_deltas)
    assert done["encrypted_content"].startswith("gAAAAB")
    usage = events[-1]["response"]["usage"]
    assert 0 < usage["output_tokens_details"]["reasoning_tokens"] <= usage["output_tokens"]
    message = [e for e in events if e["type"] == "response.output_item.done"][1]
    assert message["output_index"] == 1

    # replayed without its id, the reasoning item is accepted; with its id it is the row-12 404
    replay = {k: v for k, v in done.items() if k != "id"}
    assistant = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]}
    follow_up = body(
        input=[user("plan it"), replay, assistant, user("and then?")], reasoning={"effort": "low"}
    )
    assert post(http, emu, tokens, follow_up).status_code == 200
    follow_up["input"][1] = done
    assert post(http, emu, tokens, follow_up).status_code == 404


def test_no_encrypted_content_without_include(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    events = stream(http, emu, tokens, body("x", reasoning={"effort": "low"}))
    reasoning = next(e for e in events if e["type"] == "response.output_item.done")["item"]
    assert reasoning["type"] == "reasoning" and "encrypted_content" not in reasoning
    assert reasoning["summary"] == []
    assert events[-1]["response"]["usage"]["output_tokens_details"]["reasoning_tokens"] > 0


def test_no_reasoning_item_without_reasoning(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    events = stream(http, emu, tokens, body("x"))
    assert all(e.get("item", {}).get("type") != "reasoning" for e in events)
    assert events[-1]["response"]["usage"]["output_tokens_details"]["reasoning_tokens"] == 0


@pytest.mark.parametrize(
    ("switch", "check"),
    [
        ("completed_output", lambda c: [i["type"] for i in c["response"]["output"]] == ["message"]),
        ("no_usage", lambda c: c["response"]["usage"] is None),
        ("null_details", lambda c: c["response"]["usage"]["input_tokens_details"] is None),
        ("no_sequence", lambda c: "sequence_number" not in c),
    ],
)
def test_stream_shape_switches(tokens: TokenData, http: httpx.Client, switch: str, check: Any) -> None:
    options = {
        "completed_output": {"completed_output": True},
        "no_usage": {"include_usage": False},
        "null_details": {"null_usage_details": True},
        "no_sequence": {"sequence_numbers": False},
    }[switch]
    with CodexEmulator(**options) as emu:
        events = stream(http, emu, emu.login_tokens(), body("x"))
        assert check_grammar(events) == "response.completed"
        assert check(events[-1])


def test_obfuscation_switch(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.configure_stream(obfuscation=True)
    events = stream(http, emu, tokens, body("x"))
    assert all("obfuscation" in e for e in events if e["type"].endswith(".delta"))
    assert all("obfuscation" not in e for e in events if not e["type"].endswith(".delta"))


def test_twenty_thousand_deltas(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.set_answer(deltas=20_000)
    started = time.perf_counter()
    events = stream(http, emu, tokens, body("long answer please"))
    elapsed = time.perf_counter() - started
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) == 20_000
    assert check_grammar(events) == "response.completed"
    done = next(e for e in events if e["type"] == "response.output_text.done")
    assert done["text"] == "".join(deltas) and done["text"].startswith(
        'Emulator reply to: "long answer please"'
    )
    assert elapsed < 60  # linear, not quadratic (generous: a loaded machine is slow, never wrong)


def test_fixed_answer_and_delta_delay(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.set_answer(text="Hello from a script.", deltas=4, delta_delay=0.05)
    started = time.perf_counter()
    events = stream(http, emu, tokens, body("x"))
    assert time.perf_counter() - started >= 0.2
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) == 4 and "".join(deltas) == "Hello from a script."
    emu.set_answer()
    assert "x" in "".join(e.get("delta", "") for e in stream(http, emu, tokens, body("x")))


def test_deltas_arrive_incrementally(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    # the body stops after the first event for longer than the read timeout: reading that event proves
    # it was sent on its own (a buffered body would time out), with no wall-clock bound to flake under load
    emu.stall(60, after_events=1)
    with http.stream(
        "POST", f"{emu.base_url}/responses", json=body("x"), headers=auth_headers(tokens), timeout=20
    ) as response:
        first = next(response.iter_lines())
        assert first.startswith("event: response.created")


def test_usage_is_deterministic_and_cache_hits_on_repeated_key(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    def usage(payload: dict[str, Any]) -> dict[str, Any]:
        result = stream(http, emu, tokens, payload)[-1]["response"]["usage"]
        assert isinstance(result, dict)
        return result

    first = usage(body("same"))
    assert usage(body("same")) == first
    assert first["input_tokens_details"]["cached_tokens"] == 0
    keyed = body("same", prompt_cache_key="conv-1")
    assert usage(keyed)["input_tokens_details"]["cached_tokens"] == 0
    again = usage(keyed)
    assert 0 < again["input_tokens_details"]["cached_tokens"] <= again["input_tokens"]


def test_rate_limit_headers_rise_per_request(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    used = []
    for _ in range(3):
        response = post(http, emu, tokens, body())
        headers = response.headers
        used.append(float(headers["x-codex-primary-used-percent"]))
        assert headers["x-codex-primary-window-minutes"] == "300"
        assert headers["x-codex-secondary-window-minutes"] == "10080"
        assert int(headers["x-codex-primary-reset-at"]) > time.time()
        assert headers["x-codex-plan-type"] == "plus"
        assert headers["x-codex-credits-has-credits"] in {"True", "False"}
    assert used[0] < used[1] < used[2]


def test_free_plan_windows(emu: CodexEmulator, http: httpx.Client) -> None:
    free = emu.login_tokens(email="free@example.com", plan_type="free")
    headers = post(http, emu, free, body()).headers
    assert headers["x-codex-primary-window-minutes"] == "10080"
    assert headers["x-codex-secondary-window-minutes"] == "0"
    assert headers["x-codex-plan-type"] == "free"


def test_models_endpoint(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    response = http.get(f"{emu.base_url}/models?client_version=1.0.0", headers=auth_headers(tokens))
    assert response.status_code == 200
    slugs = [m["slug"] for m in response.json()["models"]]
    assert "gpt-5.5" in slugs and "gpt-5.2" not in slugs and "gpt-5.3-codex" not in slugs
    assert http.get(f"{emu.base_url}/models").status_code == 401
