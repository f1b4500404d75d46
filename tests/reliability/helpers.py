"""Shared helpers of the reliability suite: one runner for the four call modes, secret collection."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings

from oauth_codex import CodexError, CodexOAuthLLM

#: the emulator's fixed answer in these tests, and how many text deltas stream it
ANSWER = "The quick brown fox jumps over the lazy dog near the riverbank today."
DELTAS = 10
#: index of the first text delta in the emulator's stream (created, in_progress, item.added, part.added)
FIRST_DELTA = 4

MODES = ("sync", "async", "stream", "astream")
STREAMING = frozenset({"stream", "astream"})

#: hypothesis settings for the fuzzers: deterministic (same examples every run) and bounded
FUZZ = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``condition`` (e.g. on the emulator's request log) until it holds; fail after ``timeout`` seconds.

    The bound only stops a broken test from hanging: a loaded machine is slow, never wrong.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {timeout} s"
        await asyncio.sleep(0.005)


@dataclass
class Outcome:
    """How one call ended: the returned text, or the typed error; ``chunks`` are the text deltas yielded."""

    text: str | None = None
    error: CodexError | None = None
    chunks: list[str] = field(default_factory=list)

    @property
    def yielded(self) -> str:
        return "".join(self.chunks)


async def call(llm: CodexOAuthLLM, mode: str, prompt: str = "hello", **kwargs: Any) -> Outcome:
    """One call in ``mode``; every ``CodexError`` is captured, anything else propagates (a test failure)."""
    outcome = Outcome()
    try:
        if mode == "sync":
            outcome.text = str(llm.generate(prompt=prompt, **kwargs))
        elif mode == "async":
            outcome.text = str(await llm.agenerate(prompt=prompt, **kwargs))
        elif mode == "stream":
            for chunk in llm.generate_stream(prompt=prompt, **kwargs):
                assert isinstance(chunk, str)
                outcome.chunks.append(chunk)
            outcome.text = outcome.yielded
        elif mode == "astream":
            async for chunk in llm.agenerate_stream(prompt=prompt, **kwargs):
                assert isinstance(chunk, str)
                outcome.chunks.append(chunk)
            outcome.text = outcome.yielded
        else:  # pragma: no cover - a typo in a test
            raise AssertionError(mode)
    except CodexError as exc:
        outcome.error = exc
    return outcome


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
