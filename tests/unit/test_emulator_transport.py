"""CodexEmulator.transport(): the emulator in-process, as an httpx transport (sockets are disabled here)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from oauth_codex import APITimeoutError, CodexOAuthLLM, GenerateResult, ResponseAccumulator, StreamError
from oauth_codex.testing import CodexEmulator

MODES = ["sync", "async", "stream", "astream"]


async def run(llm: CodexOAuthLLM, mode: str, prompt: str) -> GenerateResult:
    if mode == "sync":
        return llm.generate(prompt=prompt, return_details=True)
    if mode == "async":
        return await llm.agenerate(prompt=prompt, return_details=True)
    acc = ResponseAccumulator()
    if mode == "stream":
        for event in llm.generate_stream(prompt=prompt, raw_events=True):
            acc.add(event)
    else:
        async for event in llm.agenerate_stream(prompt=prompt, raw_events=True):
            acc.add(event)
    return acc.result()


@pytest.fixture
def emu() -> Iterator[CodexEmulator]:
    emulator = CodexEmulator()  # never started: nothing listens
    emulator.set_answer(text="In-process answer.", deltas=4)
    yield emulator
    emulator.stop()


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sockets_really_are_disabled() -> None:
    with pytest.raises(Exception, match="socket"):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


@pytest.mark.parametrize("mode", MODES)
async def test_every_mode_runs_in_process(emu: CodexEmulator, mode: str) -> None:
    async with emu.client(in_process=True) as llm:
        result = await run(llm, mode, prompt="hi")
    assert isinstance(result, GenerateResult) and result.text == "In-process answer."
    assert emu.url == "http://codex-emulator.localhost" and not emu.running
    (request,) = emu.responses_requests
    assert request.json["stream"] is True and request.status == 200


def test_a_plain_httpx_client_sees_the_emulator_answers(emu: CodexEmulator) -> None:
    tokens = emu.login_tokens()
    with httpx.Client(transport=emu.transport(), base_url=emu.base_url) as http:
        assert http.get("/models").status_code == 401  # no bearer: rejected like the real backend
        headers = {"Authorization": f"Bearer {tokens.access_token}", "ChatGPT-Account-ID": tokens.account_id or ""}
        models = http.get("/models", params={"client_version": "1.0.0"}, headers=headers)
        assert models.status_code == 200 and models.headers["content-type"].startswith("application/json")
    assert [r.path for r in emu.requests] == ["/backend-api/codex/models"] * 2


@pytest.mark.parametrize("mode", MODES)
async def test_faults_and_refreshes_work_in_process(emu: CodexEmulator, mode: str) -> None:
    async with emu.client(in_process=True, retry_backoff=0.001) as llm:
        emu.server_error(times=2)
        emu.hang_up()
        emu.expire_tokens()
        result = await run(llm, mode, prompt="hi")
    assert result.text == "In-process answer."
    assert [r.status for r in emu.responses_requests] == [401, 500, 500, None, 200]
    assert emu.grant_counts == {"refresh_token": 1} and emu.pending_faults == 0


def test_a_dropped_stream_raises_like_a_cut_connection(emu: CodexEmulator) -> None:
    emu.drop_mid_stream(after_events=6)
    with emu.client(in_process=True, max_retries=0) as llm, pytest.raises(StreamError) as info:
        "".join(llm.generate_stream(prompt="hi"))
    assert info.value.code == "stream_disconnected" and info.value.partial_text


@pytest.mark.parametrize("aio", [False, True])
async def test_a_stall_past_the_read_timeout_times_out_without_waiting_for_it(emu: CodexEmulator, aio: bool) -> None:
    emu.slow(3600)  # an hour: only the read timeout (0.05 s) can end it
    async with emu.client(in_process=True, max_retries=0, timeout=0.05) as llm:
        with pytest.raises(APITimeoutError):
            if aio:
                await llm.agenerate(prompt="hi")
            else:
                llm.generate(prompt="hi")
