"""``EmulatorTransport``: the emulator as an in-process ``httpx`` transport (no socket, no thread).

Like ``httpx.MockTransport``, but the handler is the whole emulator: the same routes, state, faults and
request log as the socket server, through :func:`._server.receive`, :func:`._server.answer` and
:func:`._server.sse_chunks`. Delays and stalls are slept in-process (``asyncio.sleep`` on the async side);
one longer than the request's read timeout raises ``httpx.ReadTimeout`` after that timeout, a dropped stream
raises ``httpx.RemoteProtocolError`` and a hang-up ``httpx.RemoteProtocolError`` before any status line,
as an ``httpx`` client sees them over a socket. TLS and connection counting do not apply.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx

from ._server import HttpRequest, RecordedRequest, Reply, StreamReply, answer, receive, sse_chunks

__all__ = ["EmulatorTransport"]


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serve ``httpx`` requests from the emulator's routes in this process (sync and async clients).

    Made by :meth:`CodexEmulator.transport`; pass it as ``httpx.Client(transport=...)`` or
    ``httpx.AsyncClient(transport=...)``. The host of the URL is ignored: only the path is routed.
    """

    def __init__(
        self,
        app: Callable[[HttpRequest], Reply | StreamReply],
        log: Callable[[RecordedRequest], None],
    ) -> None:
        self._app = app
        self._log = log

    def _answer(self, request: httpx.Request) -> Reply | StreamReply:
        http_request, record = receive(
            request.method, str(request.url.raw_path, "ascii"), request.headers.multi_items(), request.content
        )
        self._log(record)
        return answer(self._app, http_request, record)

    # ------------------------------------------------------------------------------------------ sync
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        reply = self._answer(request)
        _wait(reply.delay, request, time.sleep)
        if isinstance(reply, StreamReply):
            return httpx.Response(
                reply.status, headers=_stream_headers(reply), stream=_SyncBody(reply, request), request=request
            )
        _check_hang_up(reply, request)
        return httpx.Response(reply.status, headers=_reply_headers(reply), content=reply.body, request=request)

    # ----------------------------------------------------------------------------------------- async
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        reply = self._answer(request)
        await _await(reply.delay, request)
        if isinstance(reply, StreamReply):
            return httpx.Response(
                reply.status, headers=_stream_headers(reply), stream=_AsyncBody(reply, request), request=request
            )
        _check_hang_up(reply, request)
        return httpx.Response(reply.status, headers=_reply_headers(reply), content=reply.body, request=request)


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, reply: StreamReply, request: httpx.Request) -> None:
        self._reply, self._request = reply, request

    def __iter__(self) -> Iterator[bytes]:
        for part in sse_chunks(self._reply):
            if isinstance(part, float):
                _wait(part, self._request, time.sleep)
            else:
                yield part
        _check_drop(self._reply, self._request)


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, reply: StreamReply, request: httpx.Request) -> None:
        self._reply, self._request = reply, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in sse_chunks(self._reply):
            if isinstance(part, float):
                await _await(part, self._request)
            else:
                yield part
        _check_drop(self._reply, self._request)


def _pause(seconds: float, request: httpx.Request) -> tuple[float, bool]:
    """How long to sleep for a delay or stall, and whether the request's read timeout ends it first."""
    timeout = request.extensions.get("timeout", {})
    limit = timeout.get("read") if isinstance(timeout, dict) else None
    if limit is not None and seconds > limit:
        return float(limit), True
    return seconds, False


def _wait(seconds: float, request: httpx.Request, sleep: Callable[[float], None]) -> None:
    pause, timed_out = _pause(seconds, request)
    if pause > 0:
        sleep(pause)
    if timed_out:
        raise httpx.ReadTimeout("The read operation timed out", request=request)


async def _await(seconds: float, request: httpx.Request) -> None:
    pause, timed_out = _pause(seconds, request)
    if pause > 0:
        await asyncio.sleep(pause)
    if timed_out:
        raise httpx.ReadTimeout("The read operation timed out", request=request)


def _check_hang_up(reply: Reply, request: httpx.Request) -> None:
    if reply.hang_up:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)


def _check_drop(reply: StreamReply, request: httpx.Request) -> None:
    if reply.drops:
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body (incomplete chunked read)",
            request=request,
        )


def _reply_headers(reply: Reply) -> list[tuple[str, str]]:
    return [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body))), *reply.headers]


def _stream_headers(reply: StreamReply) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "text/event-stream; charset=utf-8"),
        ("Cache-Control", "no-cache"),
        ("Transfer-Encoding", "chunked"),
        *reply.headers,
    ]
