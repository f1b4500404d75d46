"""Helpers for the client tests: a counting token provider and a sync/async/stream runner."""

from __future__ import annotations

from typing import Any

from oauth_codex import AccessToken, CodexOAuthLLM, GenerateResult, ResponseAccumulator, StreamEvent
from oauth_codex.testing import CodexEmulator

MODES = ["sync", "async", "stream", "astream"]


class CountingProvider:
    """A TokenProvider over emulator-issued tokens that counts refreshes (the seam the client talks to)."""

    def __init__(self, emu: CodexEmulator, token: str | None = None) -> None:
        self.emu = emu
        tokens = emu.login_tokens()
        self.token = AccessToken(token or tokens.access_token, tokens.account_id)
        self.refreshes: list[AccessToken] = []

    def get_token(self) -> AccessToken:
        return self.token

    async def aget_token(self) -> AccessToken:
        return self.token

    def force_refresh(self, rejected: AccessToken) -> AccessToken:
        self.refreshes.append(rejected)
        tokens = self.emu.login_tokens()
        self.token = AccessToken(tokens.access_token, tokens.account_id)
        return self.token

    async def aforce_refresh(self, rejected: AccessToken) -> AccessToken:
        return self.force_refresh(rejected)


async def run(llm: CodexOAuthLLM, mode: str, **kwargs: Any) -> GenerateResult:
    """One call in ``mode``, always returned as a GenerateResult (streams folded by ResponseAccumulator)."""
    if mode == "sync":
        return llm.generate(return_details=True, **kwargs)
    if mode == "async":
        return await llm.agenerate(return_details=True, **kwargs)
    acc = ResponseAccumulator()
    if mode == "stream":
        for event in llm.generate_stream(raw_events=True, **kwargs):
            assert isinstance(event, StreamEvent)
            acc.add(event)
    else:
        async for event in llm.agenerate_stream(raw_events=True, **kwargs):
            assert isinstance(event, StreamEvent)
            acc.add(event)
    return acc.result(allow_incomplete=True)


def comparable(result: GenerateResult) -> dict[str, Any]:
    """The parts of a result that must not depend on sync/async/stream (ids are fresh per response)."""
    return {
        "text": result.text,
        "finish_reason": result.finish_reason,
        "tool_calls": [(c.name, c.arguments, c.arguments_json) for c in result.tool_calls],
        "usage": result.usage,
        "model": result.model,
        "reasoning_summary": result.reasoning_summary,
        "output_types": [i["type"] for i in result.output_items],
    }
