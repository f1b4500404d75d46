"""HTTP plumbing of the emulator: a threaded HTTP/1.1 server on loopback, routing, replies, the request log.

Route handlers are plain functions ``HttpRequest -> Reply | StreamReply``; this module turns them into
bytes on the socket (JSON/HTML/redirects with ``Content-Length``, SSE with chunked transfer encoding,
pauses, stalls and cut connections) and records every request.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "EmulatorHTTPServer",
    "HttpRequest",
    "RecordedRequest",
    "Reply",
    "Router",
    "ServedEmulator",
    "StreamReply",
    "answer",
    "receive",
    "sse_chunks",
]


@dataclass
class RecordedRequest:
    """One request the emulator received, for assertions.

    ``headers`` has lower-case keys; ``json`` is the parsed JSON body (``None`` when the body is not JSON);
    ``form`` the parsed form body (``None`` unless form-encoded); ``status`` the status code answered
    (``None`` while the request is still being handled). ``repr`` hides credentials.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    form: dict[str, str] | None
    status: int | None = None
    time: float = 0.0

    def __repr__(self) -> str:
        return f"RecordedRequest(method={self.method!r}, path={self.path!r}, status={self.status!r})"

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header by case-insensitive name."""
        return self.headers.get(name.lower(), default)


# The fields repeat RecordedRequest's on purpose: the handlers get this frozen view, the public log a mutable
# entry whose ``status`` is filled in after the handler ran.
@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    form: dict[str, str] | None
    content_type: str


@dataclass
class Reply:
    """A complete response body; ``hang_up``: close the connection instead, without sending a byte."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    hang_up: bool = False

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
        data = json.dumps(payload, ensure_ascii=False).encode()
        return cls(status, data, "application/json", list(headers or []))

    @classmethod
    def html(cls, status: int, page: str, headers: list[tuple[str, str]] | None = None) -> Reply:
        return cls(status, page.encode(), "text/html; charset=utf-8", list(headers or []))

    @classmethod
    def text(cls, status: int, text: str) -> Reply:
        return cls(status, text.encode(), "text/plain; charset=utf-8")

    @classmethod
    def redirect(cls, location: str) -> Reply:
        return cls(302, b"", "text/plain; charset=utf-8", [("Location", location)])


@dataclass
class StreamReply:
    """A ``200 text/event-stream`` response written event by event.

    ``cut_after``: stop after that many events; ``cut_mode`` ``"drop"`` closes the socket without ending
    the chunked body (a broken connection), ``"end"`` ends the body cleanly (EOF without a terminal event).
    ``stall_after``: pause ``stall_seconds`` before that event. ``delta_delay``: pause after each delta.
    ``raw_inserts``: ``(index, bytes)`` pairs written verbatim before event ``index`` (after the last event
    when ``index`` is past the end), e.g. malformed SSE lines or bytes that are not UTF-8.
    ``content_type``: ``None`` sends no ``Content-Type`` header at all.
    """

    events: list[dict[str, Any]]
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    delta_delay: float = 0.0
    stall_after: int | None = None
    stall_seconds: float = 0.0
    cut_after: int | None = None
    cut_mode: Literal["drop", "end"] = "end"
    status: int = 200
    raw_inserts: list[tuple[int, bytes]] = field(default_factory=list)
    content_type: str | None = "text/event-stream; charset=utf-8"


    @property
    def drops(self) -> bool:
        """The body is cut off like a broken connection (no terminating chunk)."""
        return self.cut_mode == "drop" and self.cut_after is not None and self.cut_after < len(self.events)


def sse_chunks(reply: StreamReply) -> Iterator[bytes | float]:
    """The body of ``reply``: byte chunks to send as they come, and pauses (seconds, as ``float``) between them.

    Shared by the socket server and the in-process transport; after the last item the body ends cleanly,
    or, when :attr:`StreamReply.drops`, the connection is cut.
    """
    buffer = bytearray()
    inserts = sorted(reply.raw_inserts, key=lambda pair: pair[0])
    for index, event in enumerate(reply.events):
        if reply.cut_after is not None and index >= reply.cut_after:
            break
        if reply.stall_after == index and reply.stall_seconds > 0:
            if buffer:
                yield bytes(buffer)
                buffer.clear()
            yield float(reply.stall_seconds)
        while inserts and inserts[0][0] <= index:
            buffer += inserts.pop(0)[1]
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        buffer += f"event: {event['type']}\ndata: {data}\n\n".encode()
        if reply.delta_delay > 0 and str(event["type"]).endswith(".delta"):
            yield bytes(buffer)
            buffer.clear()
            yield float(reply.delta_delay)
        elif len(buffer) >= 32768:
            yield bytes(buffer)
            buffer.clear()
    if reply.cut_after is None or reply.cut_after >= len(reply.events):
        for _, raw in inserts:
            buffer += raw
    if buffer:
        yield bytes(buffer)


def receive(
    method: str, target: str, header_pairs: Iterable[tuple[str, str]], body: bytes
) -> tuple[HttpRequest, RecordedRequest]:
    """A request as the route handlers see it, and its entry for the request log."""
    parts = urlsplit(target)
    headers: dict[str, str] = {}
    for key, value in header_pairs:
        key = key.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    content_type = headers.get("content-type", "")
    parsed, form = _parse_body(body, content_type)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    request = HttpRequest(method, parts.path, query, headers, body, parsed, form, content_type)
    record = RecordedRequest(method, parts.path, query, headers, body, parsed, form, time=time.time())
    return request, record


def answer(
    app: Callable[[HttpRequest], Reply | StreamReply], request: HttpRequest, record: RecordedRequest
) -> Reply | StreamReply:
    """Run the route handler (an emulator bug still answers, or the client would hang); note the status."""
    try:
        reply = app(request)
    except Exception:
        reply = Reply.json(500, {"detail": "emulator internal error"})
    record.status = None if isinstance(reply, Reply) and reply.hang_up else reply.status
    return reply


Handler = Callable[[HttpRequest], "Reply | StreamReply"]


class Router:
    """Exact-path routing: ``(method, path) -> handler``; 404/405 bodies like a generic JSON API."""

    def __init__(self) -> None:
        self._routes: dict[str, dict[str, Handler]] = {}

    def add(self, method: str, path: str, handler: Handler) -> None:
        self._routes.setdefault(path, {})[method.upper()] = handler

    def __call__(self, request: HttpRequest) -> Reply | StreamReply:
        methods = self._routes.get(request.path.rstrip("/") or "/") or self._routes.get(request.path)
        if methods is None:
            return Reply.json(404, {"detail": "Not Found"})
        handler = methods.get(request.method)
        if handler is None:
            return Reply.json(405, {"detail": "Method Not Allowed"}, [("Allow", ", ".join(sorted(methods)))])
        return handler(request)


def _parse_body(body: bytes, content_type: str) -> tuple[Any, dict[str, str] | None]:
    parsed: Any = None
    form: dict[str, str] | None = None
    if "application/x-www-form-urlencoded" in content_type:
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            form = None
    elif body:
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            parsed = None
    return parsed, form


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer
    server_version = "codex-emulator"
    sys_version = ""
    # Like a production server: without TCP_NODELAY every answer on a reused connection waits for the
    # client's delayed ACK (Nagle), about 40 ms, which only clients that reuse connections would pay.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.settimeout(10.0)  # the TLS handshake runs here, not in the accept loop
            try:
                self.connection.do_handshake()
            except OSError:  # a client that does not trust the CA: finish() will not run, so untrack here
                self.server.track(self.connection, False)
                raise
            self.connection.settimeout(None)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def do_PUT(self) -> None:  # noqa: N802
        self._handle()

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle()

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        request, record = receive(self.command, self.path, self.headers.items(), self._read_body())
        self.server.log(record)
        reply = answer(self.server.app, request, record)
        if reply.delay > 0 and self.server.stopping.wait(reply.delay):
            self.close_connection = True
            return
        if isinstance(reply, Reply) and reply.hang_up:
            self._hang_up()
            return
        try:
            if isinstance(reply, StreamReply):
                self._write_stream(reply)
            else:
                self._write_reply(reply)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            self.close_connection = True

    def _hang_up(self) -> None:
        """Close the connection without answering (the client sees no status line at all)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _write_reply(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for key, value in reply.headers:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _write_stream(self, reply: StreamReply) -> None:
        self.send_response(reply.status)
        if reply.content_type is not None:  # the SIWC route can send valid SSE without a Content-Type
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for key, value in reply.headers:
            self.send_header(key, value)
        self.end_headers()
        stopping = self.server.stopping
        for part in sse_chunks(reply):
            if isinstance(part, float):
                if stopping.wait(part):
                    break
            else:
                self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
                self.wfile.flush()
        if reply.drops or stopping.is_set():
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that dispatches to ``app``, logs requests and can drop open connections."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        app: Callable[[HttpRequest], Reply | StreamReply],
        log: Callable[[RecordedRequest], None],
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.app = app
        self.log = log
        self.stopping = threading.Event()
        #: TCP connections accepted since start (a client that reuses connections opens one)
        self.connections_opened = 0
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)
        if ssl_context is not None:
            # Handshakes run in each connection's thread (_Handler.setup), so one slow client cannot
            # stall the accept loop.
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-request are normal here (cut streams, timeouts): stay quiet."""
        return

    def track(self, conn: socket.socket, is_open: bool) -> None:
        with self._conn_lock:
            if is_open:
                self._connections.add(conn)
                self.connections_opened += 1
            else:
                self._connections.discard(conn)

    def close_all(self) -> None:
        """Shut down every open client connection (used on stop so no handler thread lingers)."""
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve_in_thread(server: EmulatorHTTPServer, name: str) -> threading.Thread:
    """Run ``server`` in a daemon thread (started); the emulators' ``start()``."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, name=name, daemon=True)
    thread.start()
    return thread


def shut_down(server: EmulatorHTTPServer, thread: threading.Thread | None) -> None:
    """Stop serving, wake stalled streams, close open connections and join the thread; the emulators' ``stop()``."""
    server.stopping.set()
    server.shutdown()
    server.close_all()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)


class ServedEmulator:
    """What both emulators share: ``with``/``async with`` around ``start()``/``stop()``, and the bound port."""

    _server: EmulatorHTTPServer | None

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (raises ``RuntimeError`` before :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() or use it as a context manager")
        return int(self._server.server_address[1])
