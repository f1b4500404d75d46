"""Soak: many streamed calls with seeded random faults and token expiries, then a leak check.

The short form (150 sequential + 40 concurrent calls) runs in every ``pytest -q``; ``OAUTH_CODEX_SOAK=long``
runs the long form (1,000 sequential + 200 concurrent). Every call must end in the full expected text or a
typed ``CodexError`` (a stream error carrying exactly the text already yielded); sequential calls must end
exactly as their fault predicts. Token expiries cost exactly one refresh grant each, also when 40 threads
and tasks hit the expired token at once. Afterwards no thread, socket or file descriptor may be left over.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from oauth_codex import (
    AuthenticationError,
    CodexError,
    CodexOAuthLLM,
    ContextWindowExceededError,
    RateLimitError,
    StreamError,
    UsageLimitError,
)
from oauth_codex.auth import FileTokenStore
from oauth_codex.testing import CodexEmulator

from .helpers import ANSWER, DELTAS, FIRST_DELTA

LONG = os.environ.get("OAUTH_CODEX_SOAK", "").lower() == "long"
SEQUENTIAL = 1000 if LONG else 150
CONCURRENT = 200 if LONG else 40
SEED = 20240607
LAST_EVENT = FIRST_DELTA + DELTAS + 3  # index of response.completed


@dataclass(frozen=True)
class Fault:
    """A fault for one sequential call: how to inject it and what the caller must see (``None``: the answer)."""

    name: str
    weight: int
    inject: Callable[[CodexEmulator, random.Random], object]
    expect: type[CodexError] | None
    rotations: int = 0  # refresh grants it needs


FAULTS = [
    Fault("none", 30, lambda e, r: None, None),
    Fault("500", 5, lambda e, r: e.server_error(500, times=r.randint(1, 2)), None),
    Fault("503", 3, lambda e, r: e.server_error(503), None),
    Fault("hang-up", 4, lambda e, r: e.hang_up(), None),
    Fault("drop-before-text", 4, lambda e, r: e.drop_mid_stream(after_events=r.randint(0, FIRST_DELTA)), None),
    Fault(
        "drop-after-text",
        4,
        lambda e, r: e.drop_mid_stream(after_events=r.randint(FIRST_DELTA + 1, LAST_EVENT - 1)),
        StreamError,
    ),
    Fault(
        "end-after-text",
        4,
        lambda e, r: e.end_without_completed(after_events=r.randint(FIRST_DELTA + 1, LAST_EVENT)),
        StreamError,
    ),
    Fault("failed-retryable", 3, lambda e, r: e.response_failed("server_error"), None),
    Fault("failed-fatal", 2, lambda e, r: e.response_failed("context_length_exceeded"), ContextWindowExceededError),
    Fault("error-event", 2, lambda e, r: e.error_event(), None),
    Fault("incomplete", 2, lambda e, r: e.response_incomplete(), StreamError),
    Fault("rate-limit", 2, lambda e, r: e.rate_limit(retry_after=0.01), None),  # a short wait is retried
    Fault("rate-limit-long", 1, lambda e, r: e.rate_limit(retry_after=600), RateLimitError),  # over the 60 s cap
    Fault("usage-limit", 2, lambda e, r: e.usage_limit(), UsageLimitError),
    Fault("token-expired", 6, lambda e, r: e.expire_tokens(), None, rotations=1),
    Fault("401-twice", 1, lambda e, r: e.unauthorized(times=2), AuthenticationError, rotations=1),
]
#: faults whose effect does not depend on which concurrent request consumes them
CONCURRENT_FAULTS = [f for f in FAULTS if f.rotations == 0 and f.name != "none"]


def stream_once(llm: CodexOAuthLLM) -> tuple[str, CodexError | None]:
    chunks: list[str] = []
    try:
        for chunk in llm.generate_stream(prompt="soak"):
            assert isinstance(chunk, str)
            chunks.append(chunk)
    except CodexError as exc:
        return "".join(chunks), exc
    return "".join(chunks), None


async def astream_once(llm: CodexOAuthLLM) -> tuple[str, CodexError | None]:
    chunks: list[str] = []
    try:
        async for chunk in llm.agenerate_stream(prompt="soak"):
            assert isinstance(chunk, str)
            chunks.append(chunk)
    except CodexError as exc:
        return "".join(chunks), exc
    return "".join(chunks), None


def check_ending(text: str, error: CodexError | None) -> None:
    """The full answer, or a typed error that hides nothing already yielded."""
    if error is None:
        assert text == ANSWER
        return
    assert str(error)
    if text:
        assert isinstance(error, StreamError) and error.partial_text == text and ANSWER.startswith(text)


# ------------------------------------------------------------------------------------------ leaks


def open_fds() -> list[str]:
    fds = []
    for name in os.listdir("/proc/self/fd"):
        try:
            fds.append(os.readlink(f"/proc/self/fd/{name}"))
        except OSError:
            pass  # closed between listdir and readlink (the listdir's own descriptor, for one)
    return fds


def snapshot() -> tuple[int, int, int]:
    fds = open_fds()
    return threading.active_count(), sum(f.startswith("socket:") for f in fds), len(fds)


def quiet(timeout: float = 5.0) -> tuple[int, int, int]:
    """A snapshot once the emulator's per-connection threads have seen their sockets close and ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any("process_request" in t.name for t in threading.enumerate()):
            break
        time.sleep(0.02)
    return snapshot()


# ------------------------------------------------------------------------------------------ the soak


@pytest.mark.soak
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc/self/fd")
def test_soak(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    with CodexEmulator() as emu:
        emu.set_answer(text=ANSWER, deltas=DELTAS)
        store = FileTokenStore(tmp_path / "auth.json")  # refreshes write the file under the file lock
        store.save(emu.login_tokens())
        llm = emu.client(token_store=store, retry_backoff=0.001, max_retries=3)

        # warm up (lazy imports, the provider, one pooled connection per client), then take the baseline
        assert stream_once(llm) == (ANSWER, None)
        asyncio.run(_warm_async(llm))
        llm.close()
        baseline = quiet()

        # ---- sequential: one seeded fault per call, exact expectations
        rotations = 0
        seen: Counter[str] = Counter()
        schedule = FAULTS + rng.choices(FAULTS, [f.weight for f in FAULTS], k=SEQUENTIAL - len(FAULTS))
        rng.shuffle(schedule)  # every fault at least once, the rest drawn by weight
        for index, fault in enumerate(schedule):
            seen[fault.name] += 1
            fault.inject(emu, rng)
            rotations += fault.rotations
            text, error = stream_once(llm)
            check_ending(text, error)
            if fault.expect is None:
                assert error is None, f"call {index} ({fault.name}): {error!r}"
            else:
                assert type(error) is fault.expect, f"call {index} ({fault.name}): {error!r}"
            emu.reset_faults()  # a fault not consumed (none should be) never leaks into the next call
        assert emu.grant_counts.get("refresh_token", 0) == rotations
        assert len(seen) == len(FAULTS) and sum(seen.values()) == SEQUENTIAL

        # ---- concurrent: half threads, half asyncio tasks, one token expiry for all of them
        grants_before = emu.grant_counts.get("refresh_token", 0)
        emu.expire_tokens()
        for _ in range(CONCURRENT // 4):
            rng.choice(CONCURRENT_FAULTS).inject(emu, rng)
        endings = _concurrent(llm, CONCURRENT)
        assert len(endings) == CONCURRENT
        for text, error in endings:
            check_ending(text, error)
        failed = sum(error is not None for _, error in endings)
        assert failed <= 2 * (CONCURRENT // 4)  # only injected faults fail calls (a 500 may serve 2 requests)
        assert emu.grant_counts["refresh_token"] - grants_before == 1  # single flight across threads and tasks
        saved = store.load()
        assert saved is not None and llm.token_provider.get_token().token == saved.access_token

        llm.close()
        # Baseline and final counts are taken with the emulator running and the client closed. Tolerance:
        # no thread and no socket may remain; one extra descriptor is allowed for an fd the interpreter or
        # a lazily imported module may keep (none has been seen, but the suite must not flake on it).
        final = quiet()
    threads, sockets, fds = final
    assert threads <= baseline[0], f"threads leaked: {baseline[0]} -> {threads}"
    assert sockets <= baseline[1], f"sockets leaked: {baseline[1]} -> {sockets}"
    assert fds <= baseline[2] + 1, f"file descriptors leaked: {baseline[2]} -> {fds}"


async def _warm_async(llm: CodexOAuthLLM) -> None:
    assert await astream_once(llm) == (ANSWER, None)
    await llm.aclose()


def _concurrent(llm: CodexOAuthLLM, count: int) -> list[tuple[str, CodexError | None]]:
    """``count`` streamed calls at once: ``count // 2`` in threads, the rest as tasks on one event loop.

    The client is closed (``aclose``: both HTTP clients) only after every call of both kinds has ended.
    """
    threads = count // 2

    async def run(pool: ThreadPoolExecutor) -> list[tuple[str, CodexError | None]]:
        futures = [asyncio.wrap_future(pool.submit(stream_once, llm)) for _ in range(threads)]
        try:
            from_tasks = await asyncio.gather(*(astream_once(llm) for _ in range(count - threads)))
            from_threads = await asyncio.wait_for(asyncio.gather(*futures), timeout=60)
        finally:
            await llm.aclose()
        return [*from_threads, *from_tasks]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return asyncio.run(run(pool))  # asyncio.run also shuts the loop's default executor down
