"""The login callback server against hostile local traffic (issue 15, item 7), over real sockets."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from oauth_codex.auth import _callback_server
from oauth_codex.auth._callback_server import CallbackServer, bind_callback_server
from oauth_codex.auth._flow import run_sync
from oauth_codex.errors import LoginError

from .helpers import free_port

STATE = "s" * 43


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this machine")


@pytest.fixture
def server() -> Iterator[CallbackServer]:
    srv = run_sync(bind_callback_server("http://localhost:0/auth/callback", STATE))
    yield srv
    srv.close()


def test_a_foreign_host_header_is_refused(server: CallbackServer) -> None:
    """DNS rebinding: a page on attacker.example resolving to 127.0.0.1 sends Host: attacker.example."""
    url = f"http://127.0.0.1:{server.port}/auth/callback?code=ac_stolen&state={STATE}"
    for host in (f"attacker.example:{server.port}", "attacker.example", f"localhost:{server.port + 1}"):
        reply = httpx.get(url, headers={"Host": host}, timeout=5)
        assert reply.status_code == 400 and reply.text == "Unexpected Host header"
    assert not server.code_ready.is_set()
    with pytest.raises(LoginError):
        server.result()  # nothing was accepted
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}"):
        reply = httpx.get(f"http://127.0.0.1:{server.port}/nothing", headers={"Host": host}, timeout=5)
        assert reply.status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://attacker.example"}],
)
def test_a_cross_site_cancel_is_refused(server: CallbackServer, headers: dict[str, str]) -> None:
    reply = httpx.get(f"http://127.0.0.1:{server.port}/cancel", headers=headers, timeout=5)
    assert reply.status_code == 403
    assert not server.code_ready.is_set()  # the login goes on


def test_a_newer_login_can_still_cancel(server: CallbackServer) -> None:
    assert httpx.get(f"http://127.0.0.1:{server.port}/cancel", timeout=5).status_code == 200
    with pytest.raises(LoginError) as info:
        server.result()
    assert info.value.code == "cancelled"


def test_idle_connections_are_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """30 idle connections used to keep 30 threads alive for the whole login."""
    monkeypatch.setattr(_callback_server._Handler, "timeout", 0.5)
    srv = run_sync(bind_callback_server("http://localhost:0/auth/callback", STATE))
    socks = []
    try:
        for _ in range(30):
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            sock.sendall(b"GET /auth/callback HTTP/1.1\r\n")  # an unfinished request, then silence
            socks.append(sock)
        started = time.monotonic()
        for sock in socks:
            assert sock.recv(1024) == b""  # the server hung up
        assert time.monotonic() - started < 9
    finally:
        for sock in socks:
            sock.close()
        srv.close()
    assert _callback_server.CONNECTION_TIMEOUT <= 30


@needs_ipv6
def test_the_server_also_listens_on_ipv6_loopback(server: CallbackServer) -> None:
    reply = httpx.get(f"http://[::1]:{server.port}/nothing", timeout=5)
    assert reply.status_code == 404 and reply.text == "Not found"  # our server, not a stranger


@needs_ipv6
def test_a_port_taken_on_ipv6_loopback_fails_fast() -> None:
    """Another program on [::1]:<port> would receive the code from a browser resolving localhost to ::1."""
    port = free_port()
    with socket.socket(socket.AF_INET6) as stranger:
        stranger.bind(("::1", port))
        stranger.listen()
        started = time.monotonic()
        with pytest.raises(LoginError) as info:
            run_sync(bind_callback_server(f"http://localhost:{port}/auth/callback", STATE))
        assert info.value.code == "port_in_use" and "::1" in str(info.value)
        assert time.monotonic() - started < 10
