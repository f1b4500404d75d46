"""The emulator's wiring helpers: ``client()``, ``serve()`` and the ``codex_emulator`` pytest fixture."""

from __future__ import annotations

import asyncio
import io
import threading
import time

import httpx

from oauth_codex.testing import CodexEmulator, serve


def test_client_is_wired_and_refreshes_after_a_401(emu: CodexEmulator) -> None:
    llm = emu.client()
    try:
        assert "PKCE" in str(llm.generate(prompt="Explain PKCE."))
        emu.unauthorized()
        assert "again" in str(llm.generate(prompt="again"))
        assert emu.grant_counts.get("refresh_token") == 1
        statuses = [r.status for r in emu.responses_requests]
        assert statuses == [200, 401, 200]
        sent = emu.responses_requests[0]
        assert sent.json["store"] is False and sent.json["stream"] is True
        assert sent.header("chatgpt-account-id")
    finally:
        llm.close()


def test_client_async_and_kwargs_win(emu: CodexEmulator) -> None:
    async def main() -> str:
        llm = emu.client(model="gpt-5.4")
        try:
            return str(await llm.agenerate(prompt="async hello"))
        finally:
            await llm.aclose()

    assert "async hello" in asyncio.run(main())
    assert emu.responses_requests[-1].json["model"] == "gpt-5.4"


def test_serve_prints_url_and_exports_then_stops() -> None:
    out = io.StringIO()
    stop = threading.Event()
    emu = CodexEmulator()
    thread = threading.Thread(target=serve, kwargs={"out": out, "stop_event": stop, "emulator": emu})
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        text = out.getvalue()
        assert f"listening on {emu.url}" in text
        assert f"export CODEX_OAUTH_BASE_URL={emu.base_url}" in text
        assert f"export CODEX_OAUTH_TOKEN_ENDPOINT={emu.url}/oauth/token" in text
        assert httpx.get(f"{emu.url}/.well-known/openid-configuration").status_code == 200
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive() and not emu.running


def test_serve_on_a_fixed_port() -> None:
    with CodexEmulator() as probe:
        port = probe.port  # free once the probe stops
    out = io.StringIO()
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=("127.0.0.1", port), kwargs={"out": out, "stop_event": stop})
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert f"http://127.0.0.1:{port}" in out.getvalue()
    finally:
        stop.set()
        thread.join(5)


def test_pytest_fixture(codex_emulator: CodexEmulator) -> None:
    assert codex_emulator.running
    assert httpx.get(f"{codex_emulator.url}/.well-known/openid-configuration").status_code == 200
