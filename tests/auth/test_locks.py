"""RefreshLock's waits: a held lock times out with a clear error naming the holder, a released one is taken,
and the async waits poll without blocking the event loop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from oauth_codex.auth._locks import RefreshLock
from oauth_codex.errors import TokenStoreError


def test_sync_waits_time_out_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "auth.json.lock"
    waiter = RefreshLock(path, timeout=0.2)
    with RefreshLock(path).hold_file():  # a second FileLock on the file: as if another process held it
        with pytest.raises(TokenStoreError, match=r"lock \(.*auth\.json\.lock\) held by another process\.") as info:
            with waiter.hold_file():
                pass
    assert info.value.path == str(path)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with waiter.hold_thread():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    with pytest.raises(TokenStoreError, match=r"held by another thread\."):
        with waiter.hold_thread():
            pass
    release.set()
    thread.join(10)
    with waiter.hold_thread(), waiter.hold_file():  # both free again
        pass


async def test_async_waits_poll_without_blocking_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "auth.json.lock"
    waiter = RefreshLock(path, timeout=0.3)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    try:
        with RefreshLock(path).hold_file():
            with pytest.raises(TokenStoreError, match=r"held by another process\."):
                async with waiter.ahold_file():
                    pass
        assert ticks >= 5  # the loop kept running while the file lock was polled
        with waiter.hold_thread():
            with pytest.raises(TokenStoreError, match=r"held by another thread\."):
                async with waiter.ahold_thread():
                    pass

        with RefreshLock(path).hold_file():
            waiting = asyncio.create_task(_take_file(RefreshLock(path, timeout=30)))
            await asyncio.sleep(0.05)
            assert not waiting.done()
        assert await asyncio.wait_for(waiting, 5)  # taken once the holder let go
    finally:
        ticker.cancel()


async def _take_file(lock: RefreshLock) -> bool:
    async with lock.ahold_file():
        return True
