"""One refresh at a time: across threads, asyncio tasks (on any number of loops) and processes.

:class:`RefreshLock` layers three locks, always taken in this order:

1. a per-event-loop ``asyncio.Lock`` (async callers only), so tasks of one loop queue without polling;
2. a ``threading.Lock`` shared by every thread and loop of the process;
3. a ``filelock.FileLock`` on ``auth.json.lock`` beside the store, shared with other processes.

Sync callers block on 2 and 3. Async callers never block their loop: they poll 2 and 3 with non-blocking
attempts between short ``asyncio.sleep`` calls (cancellation-safe, no worker threads).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import TokenStoreError
from ._config import OAuthConfig
from ._file_store import ensure_private_dir
from ._tokens import MemoryTokenStore

if TYPE_CHECKING:
    from filelock import BaseFileLock

__all__ = ["RefreshLock", "lock_path_for"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_POLL = 0.01
_POLL_MAX = 0.05


class RefreshLock:
    """The three-level lock of one token provider (``path=None``: no cross-process lock)."""

    def __init__(self, path: Path | None, *, timeout: float = 120.0) -> None:
        self.path = path
        self.timeout = timeout
        self._thread_lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._guard = threading.Lock()
        self._file_lock: BaseFileLock | None = None

    def __repr__(self) -> str:
        return f"RefreshLock(path={str(self.path) if self.path else None!r})"

    def _timeout_error(self, what: str) -> TokenStoreError:
        where = f" ({self.path})" if self.path else ""
        return TokenStoreError(
            f"Timed out after {self.timeout:.0f}s waiting for the token refresh lock{where} held by {what}. "
            "If no other oauth-codex process is stuck, try again.",
            path=str(self.path) if self.path else None,
        )

    def _unusable(self, exc: OSError) -> TokenStoreError:
        assert self.path is not None
        return TokenStoreError(
            f"Cannot use the token refresh lock {self.path} ({exc.strerror or type(exc).__name__}). Check that "
            f"{self.path.parent} is writable, or set CODEX_OAUTH_HOME to a writable directory.",
            path=str(self.path),
        )

    def _get_file_lock(self) -> BaseFileLock | None:
        if self.path is None:
            return None
        if self._file_lock is None:
            from filelock import FileLock

            try:
                ensure_private_dir(self.path.parent)
                # filelock retries "cannot create" errors (ENOENT) until its timeout: fail fast instead.
                # O_NOFOLLOW: a symlink planted as the lock file must not make us open (or truncate) its target.
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600))
            except OSError as exc:
                if self.path.is_symlink():
                    raise TokenStoreError(
                        f"The token refresh lock {self.path} is a symbolic link, which oauth-codex never "
                        f"follows: remove it (`rm {self.path}`) and try again.",
                        path=str(self.path),
                    ) from None
                raise self._unusable(exc) from None
            self._file_lock = FileLock(str(self.path), thread_local=False, mode=0o600)
        return self._file_lock

    # -- sync ------------------------------------------------------------------------------------------
    @contextmanager
    def hold_thread(self) -> Iterator[None]:
        """Hold the in-process lock (blocking, up to ``timeout``)."""
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise self._timeout_error("another thread")
        try:
            yield
        finally:
            self._thread_lock.release()

    def _try_file(self, lock: BaseFileLock, timeout: float) -> bool:
        """Take the file lock within ``timeout`` (0: one attempt); ``False`` when another process holds it."""
        from filelock import Timeout

        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            return False
        except OSError as exc:  # e.g. a read-only home directory
            raise self._unusable(exc) from None
        return True

    @contextmanager
    def hold_file(self) -> Iterator[None]:
        """Hold only the cross-process file lock (the caller already serialises its threads)."""
        lock = self._get_file_lock()
        if lock is None:
            yield
            return
        if not self._try_file(lock, self.timeout):
            raise self._timeout_error("another process")
        try:
            yield
        finally:
            lock.release()

    # -- async -----------------------------------------------------------------------------------------
    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._guard:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
            return lock

    async def _poll(self, attempt: Callable[[], bool], holder: str) -> None:
        """Repeat the non-blocking ``attempt`` until it succeeds, sleeping 10-50 ms between tries, up to ``timeout``."""
        deadline = time.monotonic() + self.timeout
        delay = _POLL
        while not attempt():
            if time.monotonic() > deadline:
                raise self._timeout_error(holder)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    @asynccontextmanager
    async def ahold_thread(self) -> AsyncIterator[None]:
        """Async twin of :meth:`hold_thread`: queue on this loop's lock, then poll the in-process lock."""
        async with self._loop_lock():
            await self._poll(lambda: self._thread_lock.acquire(blocking=False), "another thread")
            try:
                yield
            finally:
                self._thread_lock.release()

    @asynccontextmanager
    async def ahold_file(self) -> AsyncIterator[None]:
        """Poll the file lock without blocking the event loop."""
        lock = self._get_file_lock()
        if lock is None:
            yield
            return
        await self._poll(lambda: self._try_file(lock, 0), "another process")
        try:
            yield
        finally:
            lock.release()


def lock_path_for(store: object, config: OAuthConfig) -> Path | None:
    """The refresh lock file for ``store``: its ``lock_path`` attribute, else ``auth.json.lock`` in the
    profile's directory; ``None`` for an in-memory store (nothing to share with other processes)."""
    path = getattr(store, "lock_path", None)
    if isinstance(path, Path):
        return path
    if isinstance(store, MemoryTokenStore):
        return None
    from ._profiles import profile_dir

    return profile_dir(config) / "auth.json.lock"
