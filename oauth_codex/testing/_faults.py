"""Fault injection: queues of one-shot (or N-shot) failures consumed by the next requests.

Three independent FIFO queues per emulator: HTTP faults (replace the backend's answer), stream faults
(alter a successful SSE stream) and delays (before the answer). Each request takes at most one fault of
each kind; a fault with ``times=N`` serves the next N requests. The token endpoint has its own queue.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Fault", "FaultQueue", "HttpFaultKind", "StreamFaultKind"]

HttpFaultKind = Literal[
    "usage_limit",
    "usage_not_included",
    "rate_limit",
    "server_error",
    "cloudflare",
    "html_challenge",
    "unauthorized",
    "policy_block",
    "models_error",
    "hang_up",
]
StreamFaultKind = Literal["drop", "end", "failed", "incomplete", "error_event", "stall", "raw"]


@dataclass
class Fault:
    """One injected failure: ``kind``, its parameters, and how many more requests it serves."""

    kind: str
    remaining: int
    params: dict[str, Any] = field(default_factory=dict)


class FaultQueue:
    """A thread-safe FIFO of :class:`Fault` s; :meth:`take` hands out the head and counts it down."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, times: int, **params: Any) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(Fault(kind=kind, remaining=times, params=params))

    def take(self) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            head = self._faults[0]
            head.remaining -= 1
            if head.remaining <= 0:
                self._faults.pop(0)
            return head

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._faults)
