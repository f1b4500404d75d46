"""Usage snapshot, budget guard and wait-and-resume against the emulator, over loopback HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from datetime import UTC, datetime

import pytest

from oauth_codex import (
    APIError,
    CodexOAuthLLM,
    UsageBudgetExceededError,
    UsageLimitError,
    UsageSnapshot,
)
from oauth_codex.errors import ConfigError
from oauth_codex.testing import CodexEmulator

from .helpers import MODES, run

# ------------------------------------------------------------------------------------- snapshot


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_usage_reads_the_usage_endpoint(llm: CodexOAuthLLM, emu: CodexEmulator, mode: str) -> None:
    emu.set_usage(primary=62, secondary=30)
    before = datetime.now(UTC)
    snap = llm.usage() if mode == "sync" else await llm.ausage()
    assert isinstance(snap, UsageSnapshot)
    assert snap.source == "usage_endpoint" and snap.plan_type == "plus"
    assert before <= snap.fetched_at <= datetime.now(UTC)
    assert snap.primary is not None and snap.primary.used_percent == 62 and snap.primary.window_minutes == 300
    assert snap.secondary is not None and snap.secondary.used_percent == 30
    assert snap.secondary.window_minutes == 10080
    assert snap.primary.resets_at is not None and snap.primary.resets_at.tzinfo is not None
    assert snap.code_review is not None and snap.credits is not None and snap.credits.has_credits is False
    (request,) = emu.usage_requests
    assert request.header("authorization", "").startswith("Bearer ")
    assert request.header("chatgpt-account-id") == llm.token_provider.get_token().account_id
    assert llm.usage_url == f"{emu.url}/backend-api/wham/usage"
    assert "Bearer" not in repr(snap) and "eyJ" not in repr(snap)


def test_usage_agrees_with_the_headers_of_the_last_response(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    emu.settings.usage_percent_step = 5
    for _ in range(3):
        llm.generate(prompt="x")
    snap = llm.usage()
    limits = llm.last_rate_limits
    assert limits is not None and limits.primary is not None and snap.primary is not None
    assert snap.primary.used_percent == limits.primary.used_percent == 15
    assert snap.primary.resets_at == limits.primary.resets_at


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_usage_falls_back_to_headers(llm: CodexOAuthLLM, emu: CodexEmulator, mode: str) -> None:
    emu.usage_endpoint_error(status=503, times=2)
    with pytest.raises(APIError) as info:  # nothing known yet: the endpoint's error
        llm.usage() if mode == "sync" else await llm.ausage()
    assert info.value.status_code == 503
    llm.generate(prompt="x")
    snap = llm.usage() if mode == "sync" else await llm.ausage()
    assert snap.source == "headers"
    assert snap.primary is not None and snap.primary.used_percent == 1 and snap.plan_type == "plus"


def test_usage_unreachable_falls_back(emu: CodexEmulator) -> None:
    llm = emu.client(retry_backoff=0.001)
    llm.generate(prompt="x")
    emu.stop()
    assert llm.usage().source == "headers"
    llm.close()


# --------------------------------------------------------------------------------- budget guard


@pytest.mark.parametrize("mode", MODES)
async def test_budget_stops_before_sending(emu: CodexEmulator, mode: str) -> None:
    llm = emu.client(usage_budget=0.9)
    emu.set_usage(primary=89)
    await run(llm, mode, prompt="x")  # 89 % known nothing yet; its answer says 90 %
    with pytest.raises(UsageBudgetExceededError) as info:
        await run(llm, mode, prompt="x")
    assert len(emu.responses_requests) == 1
    error = info.value
    assert isinstance(error, UsageLimitError)
    assert error.window == "primary" and error.used_percent == 90 and error.budget == 0.9
    assert error.resets_at is not None and error.plan_type == "plus"
    assert "primary" in str(error) and "90 % used" in str(error) and "resets at" in str(error)
    llm.close()


def test_budget_uses_a_fresh_snapshot(emu: CodexEmulator) -> None:
    llm = emu.client(usage_budget=0.5)
    emu.set_usage(secondary=60)
    llm.usage()
    with pytest.raises(UsageBudgetExceededError, match="weekly") as info:
        llm.generate(prompt="x")
    assert info.value.window == "secondary"
    assert emu.responses_requests == []
    llm.close()


def test_budget_from_environment(emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEX_OAUTH_USAGE_BUDGET", "50%")
    assert emu.client().usage_budget == 0.5
    assert emu.client(usage_budget=0.8).usage_budget == 0.8  # the argument wins
    monkeypatch.setenv("CODEX_OAUTH_USAGE_BUDGET", "half")
    with pytest.raises(ValueError, match="CODEX_OAUTH_USAGE_BUDGET"):
        emu.client()


def test_bad_policy_arguments(emu: CodexEmulator) -> None:
    with pytest.raises(ConfigError, match="usage_budget"):  # a ValueError too
        emu.client(usage_budget=90)
    with pytest.raises(ValueError, match="needs max_wait"):
        emu.client(on_usage_limit="wait")
    with pytest.raises(ValueError, match="on_usage_limit"):
        emu.client(on_usage_limit="retry")  # type: ignore[arg-type]


# -------------------------------------------------------------------------------- wait and resume


@pytest.mark.parametrize("mode", MODES)
async def test_wait_for_the_reset_and_resend(emu: CodexEmulator, mode: str) -> None:
    ticks: list[tuple[float, float, UsageLimitError]] = []
    llm = emu.client(
        on_usage_limit="wait", max_wait=30, on_wait=lambda left, err: ticks.append((time.monotonic(), left, err))
    )
    emu.usage_limit(resets_in=1)
    started = time.monotonic()
    result = await run(llm, mode, prompt="after the reset")
    assert "after the reset" in result.text
    statuses = [r.status for r in emu.responses_requests]
    assert statuses[0] == 429 and statuses[-1] == 200 and 429 not in statuses[1:]
    assert len(emu.usage_requests) >= 1  # usage re-checked before re-sending
    bodies = {r.body for r in emu.responses_requests}
    assert len(bodies) == 1  # the same request
    # on_wait: first call at once, then about once a second (bounds are generous: the machine may be loaded),
    # last with 0; a wait of 2 s (reset in 1 s + the margin) gives at least three calls
    assert len(ticks) >= 3 and ticks[-1][1] == 0
    assert ticks[0][0] - started < 2.0
    assert all(b[0] - a[0] <= 2.0 for a, b in zip(ticks, ticks[1:], strict=False))
    assert all(isinstance(t[2], UsageLimitError) for t in ticks)
    assert [t[1] for t in ticks] == sorted((t[1] for t in ticks), reverse=True)
    llm.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_reset_beyond_max_wait_raises_at_once(emu: CodexEmulator, mode: str) -> None:
    ticks: list[float] = []
    llm = emu.client(on_usage_limit="wait", max_wait=5, on_wait=lambda left, err: ticks.append(left))
    emu.usage_limit(resets_in=60)
    with pytest.raises(UsageLimitError):
        await run(llm, mode, prompt="x")
    assert ticks == [] and len(emu.responses_requests) == 1  # no wait at all
    emu.usage_not_included()
    with pytest.raises(UsageLimitError) as info:  # no reset time: raise
        await run(llm, mode, prompt="x")
    assert info.value.code in ("usage_not_included", "usage_limit_reached")
    llm.close()


def test_default_policy_never_waits(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    emu.usage_limit(resets_in=1)
    with pytest.raises(UsageLimitError):
        llm.generate(prompt="x")
    assert llm.on_usage_limit == "raise" and len(emu.responses_requests) == 1


def test_budget_then_wait(emu: CodexEmulator) -> None:
    """Over budget with a reset inside max_wait: wait, re-check, send."""
    llm = emu.client(usage_budget=0.9, on_usage_limit="wait", max_wait=30)
    emu.usage_limit(resets_in=1)
    assert llm.usage().primary.used_percent == 100  # type: ignore[union-attr]
    assert llm.generate(prompt="x")
    assert [r.status for r in emu.responses_requests] == [200]  # never sent while over budget
    llm.close()


def test_ctrl_c_interrupts_a_wait_at_once(emu: CodexEmulator) -> None:
    llm = emu.client(on_usage_limit="wait", max_wait=60)
    emu.usage_limit(resets_in=30)
    waiting = threading.Event()
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))

    def on_wait(left: float, error: UsageLimitError) -> None:
        if not waiting.is_set():
            waiting.set()
            timer.start()

    llm.on_wait = on_wait
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        llm.generate(prompt="x")
    assert time.monotonic() - started < 15  # at once, not after the 30 s wait
    # nothing lost: the client still works, and the same call goes through once the limit lifts
    emu.advance(31)
    assert "x" in llm.generate(prompt="x")
    llm.close()


async def test_task_cancellation_interrupts_a_wait_at_once(emu: CodexEmulator) -> None:
    waiting = asyncio.Event()
    llm = emu.client(on_usage_limit="wait", max_wait=60, on_wait=lambda left, err: waiting.set())
    emu.usage_limit(resets_in=30)
    task = asyncio.create_task(llm.agenerate(prompt="x"))
    await asyncio.wait_for(waiting.wait(), 5)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 15  # at once, not after the 30 s wait
    emu.advance(31)
    assert "x" in await llm.agenerate(prompt="x")
    await llm.aclose()


def test_stream_waits_only_before_output(emu: CodexEmulator) -> None:
    llm = emu.client(on_usage_limit="wait", max_wait=30)
    emu.usage_limit(resets_in=1)
    stream = llm.generate_stream(prompt="streamed")
    assert "streamed" in "".join(stream)
    assert [r.status for r in emu.responses_requests][-1] == 200
    llm.close()


# ------------------------------------------------------------------------------------------ siwc


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_siwc_route_has_no_usage_api(mode: str) -> None:
    from oauth_codex.errors import UnsupportedOnRouteError
    from oauth_codex.testing import SiwcEmulator

    with SiwcEmulator() as emu:
        llm = emu.client()
        assert llm.route == "siwc"
        with pytest.raises(UnsupportedOnRouteError, match="https://chatgpt.com/settings/usage") as info:
            llm.usage() if mode == "sync" else await llm.ausage()
        assert info.value.field == "usage"
        assert not [r for r in emu.requests if "usage" in r.path]  # wham/usage is off limits on this route
        await llm.aclose()
