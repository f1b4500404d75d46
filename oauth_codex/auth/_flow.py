"""Login and refresh written once as generators of effects, driven by a sync or an async driver.

A flow ``yield``s effects (:class:`Http`, :class:`Sleep`, :class:`Prompt`, :class:`WaitEvent`) and receives
their results; it never touches a socket or a clock itself. :func:`run_sync` performs the effects with
``httpx.Client`` and ``time.sleep``; :func:`run_async` with ``httpx.AsyncClient`` and ``asyncio.sleep``.
Neither calls ``asyncio.run``, so both are safe inside Jupyter's running event loop. Transport errors are
thrown back into the flow at the ``yield`` that caused them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from ._wire import HttpReply, HttpRequest

__all__ = ["Flow", "Http", "Prompt", "Sleep", "WaitEvent", "run_async", "run_sync"]

T = TypeVar("T")


@dataclass(frozen=True)
class Http:
    """Send ``request``; the flow receives an :class:`HttpReply` (or gets an ``httpx.TransportError``)."""

    request: HttpRequest


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds``; the flow receives ``None``."""

    seconds: float


@dataclass(frozen=True)
class Prompt:
    """Ask the user for one line (paste mode); the flow receives the ``str`` typed."""

    message: str


@dataclass(frozen=True)
class WaitEvent:
    """Wait until ``event`` is set or ``timeout`` passes; the flow receives whether it was set."""

    event: threading.Event
    timeout: float


Effect = Http | Sleep | Prompt | WaitEvent
Flow = Generator[Effect, Any, T]
InputFunc = Callable[[str], str]

_EVENT_POLL = 0.02


def _build(request: HttpRequest) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"headers": request.headers, "timeout": request.timeout}
    if request.json is not None:
        kwargs["json"] = request.json
    if request.form is not None:
        kwargs["data"] = request.form
    return kwargs


# run_sync and run_async are deliberate twins (duplicates lists them): Python cannot share one body between
# blocking and awaiting I/O; every decision lives in the flow generators they drive.
def run_sync(flow: Flow[T], *, client: httpx.Client | None = None, input_func: InputFunc = input) -> T:
    """Drive ``flow`` to completion with blocking I/O (``client`` is used as given, never closed)."""
    own = client is None
    http = client  # built on the first Http effect: a flow that only reads the store never pays for it
    try:
        result: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = flow.send(result) if error is None else flow.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            result, error = None, None
            try:
                if isinstance(effect, Http):
                    req = effect.request
                    if http is None:
                        http = httpx.Client()
                    resp = http.request(req.method, req.url, **_build(req))
                    result = HttpReply.from_bytes(resp.status_code, dict(resp.headers), resp.content)
                elif isinstance(effect, Sleep):
                    time.sleep(max(0.0, effect.seconds))
                elif isinstance(effect, Prompt):
                    result = input_func(effect.message)
                else:
                    result = effect.event.wait(max(0.0, effect.timeout))
            except (httpx.TransportError, EOFError, KeyboardInterrupt) as exc:
                error = exc
    finally:
        flow.close()
        if own and http is not None:
            http.close()


async def _wait_event(event: threading.Event, timeout: float) -> bool:
    deadline = time.monotonic() + max(0.0, timeout)
    while not event.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        await asyncio.sleep(min(_EVENT_POLL, remaining))
    return True


async def run_async(
    flow: Flow[T], *, client: httpx.AsyncClient | None = None, input_func: InputFunc = input
) -> T:
    """Drive ``flow`` with asyncio I/O. Only :class:`Prompt` blocks (it waits for a human typing a line)."""
    own = client is None
    http = client  # built on the first Http effect (building one costs an SSL context: ~25 ms)
    try:
        result: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = flow.send(result) if error is None else flow.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            result, error = None, None
            try:
                if isinstance(effect, Http):
                    req = effect.request
                    if http is None:
                        http = httpx.AsyncClient()
                    resp = await http.request(req.method, req.url, **_build(req))
                    result = HttpReply.from_bytes(resp.status_code, dict(resp.headers), resp.content)
                elif isinstance(effect, Sleep):
                    await asyncio.sleep(max(0.0, effect.seconds))
                elif isinstance(effect, Prompt):
                    result = input_func(effect.message)
                else:
                    result = await _wait_event(effect.event, effect.timeout)
            except (httpx.TransportError, EOFError, KeyboardInterrupt, asyncio.CancelledError) as exc:
                error = exc
    finally:
        flow.close()
        if own and http is not None:
            await http.aclose()
