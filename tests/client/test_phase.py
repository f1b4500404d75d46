"""``phase`` (commentary vs final answer), freeform tool calls and ``namespace`` (issue 14 item 4; audit §3, §8.7)."""

from __future__ import annotations

import pytest

from oauth_codex import CodexOAuthLLM, GenerateResult, ToolCallRequiredError
from oauth_codex.testing import CodexEmulator

from .helpers import MODES, run

NOTE = "Let me look that up first."


@pytest.mark.parametrize("mode", MODES)
async def test_commentary_is_kept_out_of_the_answer(llm: CodexOAuthLLM, emu: CodexEmulator, mode: str) -> None:
    emu.set_answer(text="Paris.", commentary=NOTE)
    result = await run(llm, mode, prompt="capital of France?")
    assert result.text == "Paris."
    assert result.commentary == NOTE
    phases = [(i["type"], i.get("phase")) for i in result.output_items]
    assert phases == [("message", "commentary"), ("message", "final_answer")]


async def test_text_streams_carry_only_the_answer(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    emu.set_answer(text="Paris is the capital.", commentary=NOTE)
    assert "".join(llm.generate_stream(prompt="x")) == "Paris is the capital."
    assert "".join([d async for d in llm.agenerate_stream(prompt="x")]) == "Paris is the capital."
    raw = [e.delta for e in llm.generate_stream(prompt="x", raw_events=True) if e.type.endswith("text.delta")]
    assert "".join(d or "" for d in raw) == NOTE + "Paris is the capital."  # events as usual
    assert llm.generate(prompt="x") == "Paris is the capital."


async def test_phase_is_replayed(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    emu.set_answer(text="Paris.", commentary=NOTE)
    first = await llm.agenerate(prompt="capital of France?", return_details=True)
    emu.set_answer()
    await llm.agenerate(messages=[{"role": "user", "content": "capital of France?"}, *first.output_items,
                                  {"role": "user", "content": "and of Italy?"}])
    sent = emu.responses_requests[-1].json["input"]
    assert [i.get("phase") for i in sent if i.get("role") == "assistant"] == ["commentary", "final_answer"]
    assert all("id" not in i for i in sent)


APPLY_PATCH = {"type": "custom", "name": "apply_patch", "description": "Apply a patch in the V4A format."}


@pytest.mark.parametrize("mode", MODES)
async def test_custom_tool_calls_are_surfaced_and_answered(
    llm: CodexOAuthLLM, emu: CodexEmulator, mode: str
) -> None:
    prompt = "use apply_patch to add a line to README"
    result: GenerateResult = await run(llm, mode, prompt=prompt, tools=[APPLY_PATCH])
    assert result.finish_reason == "tool_calls"
    (call,) = result.tool_calls
    assert call.type == "custom" and call.name == "apply_patch" and call.input == prompt
    assert call.arguments is None
    done = await llm.agenerate(
        tools=[APPLY_PATCH],
        messages=[{"role": "user", "content": prompt}],
        tool_results=[{"tool_call_id": call.id, "output": "patched 1 file"}],
        return_details=True,
    )
    sent = emu.responses_requests[-1].json["input"]
    assert [i["type"] for i in sent][-2:] == ["custom_tool_call", "custom_tool_call_output"]
    assert "apply_patch returned: patched 1 file" in done.text


def test_custom_tool_call_without_details_raises(llm: CodexOAuthLLM) -> None:
    with pytest.raises(ToolCallRequiredError) as info:
        llm.generate(prompt="call apply_patch now", tools=[APPLY_PATCH])
    assert info.value.tool_calls[0].type == "custom"


def test_namespace_is_accepted_on_replayed_function_calls(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    messages = [
        {"role": "user", "content": "weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "namespace": "mcp__weather",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]
    assert "get_weather returned: sunny" in llm.generate(messages=messages)
    call = next(i for i in emu.responses_requests[-1].json["input"] if i["type"] == "function_call")
    assert call["namespace"] == "mcp__weather"
    previous = [{"type": "function_call", "call_id": "c2", "name": "get_weather", "arguments": "{}",
                 "namespace": "mcp__weather", "id": "fc_9"}]
    llm.generate(messages=[{"role": "user", "content": "again"}], previous_output=previous,
                 tool_results=[{"tool_call_id": "c2", "output": "rain"}])
    replayed = next(i for i in emu.responses_requests[-1].json["input"] if i["type"] == "function_call")
    assert replayed["namespace"] == "mcp__weather" and "id" not in replayed
