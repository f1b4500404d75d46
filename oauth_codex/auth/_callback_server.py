"""The loopback HTTP server that receives the browser's redirect during a login (docs/protocol.md "OAuth constants"
and "Login callback").

It binds ``127.0.0.1`` on the redirect URI's port (``0`` picks a free port, for tests and emulators that
allow it) and ``::1`` on the same port where the machine has IPv6: a browser may resolve ``localhost`` to
either, and another program listening on ``[::1]:<port>`` would otherwise receive the code (so a taken
``::1`` port fails fast like a taken ``127.0.0.1`` one). Requests must name ``localhost:<port>`` /
``127.0.0.1:<port>`` / ``[::1]:<port>`` as ``Host`` (a DNS-rebinding page cannot), idle connections are
closed after :data:`CONNECTION_TIMEOUT` seconds, and ``/cancel`` is refused when a browser marks it
cross-site. ``GET <callback path>`` is handled in the Codex CLI's order: ``state`` first (400 ``State
mismatch`` and keep listening), then ``error=…``, then a missing ``code``; a good code is handed to the login
flow, which exchanges it and tells the server how it went; the browser is then redirected to ``/success``.
``GET /cancel`` aborts the login (a newer login on the same port asks an older one to stop); else 404.
"""

from __future__ import annotations

import errno
import html
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx

from ..errors import LoginError
from ._flow import Flow, Http, Sleep
from ._log import get_logger
from ._pkce import callback_code
from ._wire import HttpRequest

__all__ = ["CallbackServer", "bind_callback_server"]

log = get_logger(__name__)

DEFAULT_PORT = 1455
FALLBACK_PORT = 1457
_CANCEL_RETRIES = 10
_CANCEL_RETRY_DELAY = 0.2
_EXCHANGE_WAIT = 120.0
#: seconds a connection may sit idle (no complete request) before the server closes it
CONNECTION_TIMEOUT = 10.0

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}}</style>
</head><body><h1>{title}</h1><p>{body}</p></body></html>"""


def _page(title: str, body: str) -> bytes:
    return _PAGE.format(title=html.escape(title), body=html.escape(body)).encode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # SO_REUSEADDR lets another process bind the same port on Windows: only use it elsewhere.
    allow_reuse_address = sys.platform != "win32"
    owner: CallbackServer


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = CONNECTION_TIMEOUT  # socket timeout: an idle connection no longer holds a thread forever

    def _host_ok(self) -> bool:
        """DNS rebinding: a page on another name that resolves to 127.0.0.1 sends its own ``Host``."""
        port = self.server.owner.port
        host = (self.headers.get("Host") or "").strip().lower()
        allowed = {f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"}
        if port == 80:
            allowed |= {"localhost", "127.0.0.1", "[::1]"}
        return host in allowed

    def _cross_site(self) -> bool:
        """A request a browser sent on behalf of another site (``Sec-Fetch-Site``, ``Origin``)."""
        site = (self.headers.get("Sec-Fetch-Site") or "").strip().lower()
        if site and site not in ("none", "same-origin"):
            return True
        origin = (self.headers.get("Origin") or "").strip().lower()
        if not origin:
            return False
        port = self.server.owner.port
        return origin not in {f"http://localhost:{port}", f"http://127.0.0.1:{port}", f"http://[::1]:{port}"}

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes the request line (with ?code=…&state=…) to stderr: never do that.
        log.debug("callback server: %s %s", self.command, urlsplit(self.path).path)

    def _send(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        if not self._host_ok():
            self._send(400, b"Unexpected Host header", content_type="text/plain; charset=utf-8")
        elif parts.path == owner.callback_path and owner.required_host not in (None, self.headers.get("Host")):
            self._send(404, b"Not found", content_type="text/plain; charset=utf-8")  # DNS rebinding, wrong host
        elif parts.path == owner.callback_path:
            owner.handle_callback(self, parse_qs(parts.query, keep_blank_values=True))
        elif parts.path == "/success":
            self._send(200, _page("Signed in", owner.success_message))
            owner.success_served.set()
        elif parts.path == "/cancel" and self._cross_site():
            self._send(403, b"Cross-site request refused", content_type="text/plain; charset=utf-8")
        elif parts.path == "/cancel":
            self._send(200, b"Login cancelled", content_type="text/plain; charset=utf-8")
            owner.fail(
                LoginError(
                    "The login was cancelled (another login started on the same port).", code="cancelled"
                )
            )
        else:
            self._send(404, b"Not found", content_type="text/plain; charset=utf-8")


class CallbackServer:
    """A running loopback server for one login attempt; use :func:`bind_callback_server` to create it."""

    def __init__(
        self, httpd: _Server, redirect_uri: str, expected_state: str, httpd6: _Server | None = None
    ) -> None:
        self._httpd = httpd
        self._httpd6 = httpd6
        httpd.owner = self
        if httpd6 is not None:
            httpd6.owner = self
        self.redirect_uri = redirect_uri
        self.callback_path = urlsplit(redirect_uri).path or "/"
        self._expected_state = expected_state
        self._lock = threading.Lock()
        self._code: str | None = None
        #: the callback's query parameters once a code arrived (the SIWC route reads ``client_id`` from them)
        self.params: dict[str, list[str]] = {}
        #: when set, callbacks must carry exactly this ``Host`` header (else 404, and the wait goes on)
        self.required_host: str | None = None
        self._error: LoginError | None = None
        self._exchange_error: LoginError | None = None
        self.code_ready = threading.Event()  # a code arrived, or the login failed
        self.exchange_done = threading.Event()
        self.success_served = threading.Event()
        self.success_message = (
            "You are signed in to oauth-codex. You can close this tab and return to your app."
        )
        self._threads = [
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="oauth-codex-login", daemon=True
            )
            for server in (httpd, httpd6)
            if server is not None
        ]
        for thread in self._threads:
            thread.start()

    def __repr__(self) -> str:
        return f"CallbackServer(redirect_uri={self.redirect_uri!r})"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    # -- called from handler threads --------------------------------------------------------------
    def handle_callback(self, handler: _Handler, params: dict[str, list[str]]) -> None:
        with self._lock:
            finished = self.code_ready.is_set()
        if finished:
            handler._send(400, _page("Login already handled", "This login attempt has already finished."))
            return
        try:
            code = callback_code(params, self._expected_state)
        except LoginError as exc:
            if exc.code == "state_mismatch":
                # A stale tab or a forged request: refuse it and keep waiting for the real callback.
                handler._send(400, b"State mismatch", content_type="text/plain; charset=utf-8")
                return
            handler._send(400, _page("Sign-in failed", exc.message))
            self.fail(exc)
            return
        with self._lock:
            if self.code_ready.is_set():
                handler._send(400, _page("Login already handled", "This login attempt has already finished."))
                return
            self._code = code
            self.params = params
            self.code_ready.set()
        if not self.exchange_done.wait(_EXCHANGE_WAIT):
            handler._send(504, _page("Sign-in timed out", "The app did not finish the sign-in; try again."))
            return
        if self._exchange_error is not None:
            handler._send(400, _page("Sign-in failed", self._exchange_error.message))
            return
        handler._send(302, b"", headers={"Location": "/success"})

    def fail(self, error: LoginError) -> None:
        with self._lock:
            if self.code_ready.is_set():
                return
            self._error = error
            self.code_ready.set()

    # -- called from the login flow ----------------------------------------------------------------
    def result(self) -> str:
        """The authorization code, or raise the :class:`LoginError` the callback produced."""
        with self._lock:
            if self._error is not None:
                raise self._error
            if self._code is None:
                raise LoginError("No login callback arrived.", code="timeout")
            return self._code

    def complete(self, error: LoginError | None = None, *, message: str | None = None) -> None:
        """Report the outcome of the code exchange to the waiting browser request."""
        self._exchange_error = error
        if message:
            self.success_message = message
        self.exchange_done.set()

    def close(self) -> None:
        self.exchange_done.set()
        for server in (self._httpd, self._httpd6):
            if server is not None:
                server.shutdown()
                server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


_NO_IPV6 = {errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, getattr(errno, "EPROTONOSUPPORT", -1)}


def _try_bind(port: int) -> tuple[_Server, _Server | None] | None:
    """``127.0.0.1:port`` and ``[::1]:<the same port>`` (``None`` for ``::1`` where there is no IPv6).

    ``None`` when either address is taken: a browser resolving ``localhost`` to the taken one would hand the
    code to whatever listens there.
    """
    for _ in range(5 if port == 0 else 1):  # port 0: the free IPv4 port may be taken on ::1, pick again
        try:
            v4 = _Server(("127.0.0.1", port), _Handler)
        except OSError:
            return None
        if not socket.has_ipv6:
            return v4, None
        try:
            return v4, _Server6(("::1", int(v4.server_address[1])), _Handler)
        except OSError as exc:
            if exc.errno in _NO_IPV6:
                return v4, None  # no IPv6 loopback here: localhost can only mean 127.0.0.1
            v4.server_close()
    return None


def _with_port(redirect_uri: str, port: int) -> str:
    parts = urlsplit(redirect_uri)
    host = parts.hostname or "localhost"
    return urlunsplit((parts.scheme, f"{host}:{port}", parts.path, parts.query, parts.fragment))


def _port_in_use(port: int) -> LoginError:
    return LoginError(
        f"Port {port} on localhost (127.0.0.1 or ::1) is in use, so the login callback server cannot start "
        "(another login or program holds it). Log in without the callback server: `oauth-codex login --paste` (or "
        "`oauth-codex login --device`), or free the port.",
        code="port_in_use",
    )


def bind_callback_server(redirect_uri: str, expected_state: str) -> Flow[CallbackServer]:
    """Start the callback server on the redirect URI's port (a flow, because a busy port is negotiated).

    If the port is busy and what listens there answers ``GET /cancel`` with 200 (an older login), retry 10× at
    200 ms. The CLI's default port 1455 then falls back to 1457 (also registered). Otherwise
    :class:`LoginError` ``port_in_use``. Port ``0`` binds a free port and rewrites the redirect URI.
    """
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or parts.hostname not in {"localhost", "127.0.0.1"}:
        raise LoginError(
            f"The redirect URI {redirect_uri} is not a loopback http:// URL, so no local callback server can "
            "receive it. Use `oauth-codex login --paste` or `--device`.",
            code="unsupported_redirect_uri",
        )
    port = parts.port if parts.port is not None else 80
    candidates = [port]
    if port == DEFAULT_PORT:
        candidates.append(FALLBACK_PORT)
    for index, candidate in enumerate(candidates):
        bound = _try_bind(candidate)
        if bound is None and index == 0 and candidate != 0:
            try:
                reply = yield Http(HttpRequest("GET", f"http://127.0.0.1:{candidate}/cancel", timeout=1.0))
                cancelled = reply.status == 200
            except httpx.TransportError:
                cancelled = False
            if cancelled:
                for _ in range(_CANCEL_RETRIES):
                    yield Sleep(_CANCEL_RETRY_DELAY)
                    bound = _try_bind(candidate)
                    if bound is not None:
                        break
        if bound is not None:
            httpd, httpd6 = bound
            actual = int(httpd.server_address[1])
            uri = redirect_uri if actual == port else _with_port(redirect_uri, actual)
            log.debug("login callback server listening on 127.0.0.1:%d%s", actual, " and ::1" if httpd6 else "")
            return CallbackServer(httpd, uri, expected_state, httpd6)
    raise _port_in_use(port)
