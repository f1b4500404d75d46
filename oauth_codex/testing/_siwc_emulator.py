"""``SiwcEmulator``: the "Sign in with ChatGPT" auth server and the public ``/v1`` API on one loopback port.

Strict per SIWC.md §17: real RS256 keys and a JWKS made at start, registration inside the authorize request
(``dynamic_agent_client`` → an issued ``oaiapp_…`` client id in the callback), form-only token endpoint with
rotating refresh tokens, revocation, and ``/v1/responses`` + ``/v1/models`` behind bearer admission and a
route guard. Every [U]/[X] behaviour of the spec is a switch on :attr:`SiwcEmulator.quirks`; faults are queued
per endpoint; :attr:`stats` counts what a test asserts on (``early_refreshes``, ``refresh_reuse``, ...).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from ._model import AnswerSettings
from ._server import (
    EmulatorHTTPServer,
    HttpRequest,
    RecordedRequest,
    Reply,
    ServedEmulator,
    StreamReply,
    serve_in_thread,
    shut_down,
)
from ._siwc_api import SiwcApi
from ._siwc_auth import SiwcAuthServer
from ._siwc_state import SiwcAccount, SiwcQuirks, SiwcState
from ._state import Clock

if TYPE_CHECKING:
    from ..client import CodexOAuthLLM

__all__ = ["SiwcBrowser", "SiwcEmulator"]

#: what the user does at the next authorize (``emu.scenario``)
SCENARIOS = ("consent_all", "identity_only", "deny", "no_client_id", "other_client_id", "tamper_state",
             "account_switch")  # fmt: skip


class SiwcEmulator(ServedEmulator):
    """A strict offline stand-in for SIWC's ``auth.openai.com`` and ``api.openai.com/v1``.

    ``issuer`` is ``http://127.0.0.1:<port>/auth`` and ``api_base`` ``http://127.0.0.1:<port>/v1``::

        with SiwcEmulator() as emu:
            emu.login()                    # registration + sign-in through the real browser flow, over loopback
            llm = emu.client(model="gpt-6.1-sol")  # CodexOAuthLLM(route="siwc") pointed at the emulator
            print(llm.generate(prompt="hi"))

    Controls: :attr:`quirks` (``SiwcQuirks``), :attr:`scenario` (what the user does at the next authorize:
    ``consent_all``, ``identity_only``, ``deny``, ``no_client_id``, ``other_client_id``, ``tamper_state``,
    ``account_switch``), ``fail_*`` fault queues, :meth:`disconnect_in_settings`, :meth:`set_usage_cap`,
    :meth:`advance` (the emulator's clock), and the request log (:attr:`requests`).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        email: str = "user@example.com",
        plan: str = "plus",
        clock: Callable[[], float] | None = None,
        quirks: SiwcQuirks | None = None,
    ) -> None:
        self._host = host
        self._requested_port = port
        self.state = SiwcState(
            clock=Clock(clock), account=SiwcAccount.derive(email, plan), quirks=quirks or SiwcQuirks()
        )
        self._auth: SiwcAuthServer | None = None
        self.api = SiwcApi(self.state)
        self._log: list[RecordedRequest] = []
        self._log_lock = threading.Lock()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._home: str | None = None

    def __repr__(self) -> str:
        return f"SiwcEmulator(url={self.url if self._server else None!r})"

    # ---------------------------------------------------------------------------------- routing
    @property
    def auth(self) -> SiwcAuthServer:
        if self._auth is None:
            self._auth = SiwcAuthServer(self.state, self.issuer)
        return self._auth

    def _app(self, request: HttpRequest) -> Reply | StreamReply:
        path = request.path
        if path == "/v1" or path.startswith("/v1/"):
            return self.api(request, path[3:])
        auth = self.auth
        routes: dict[tuple[str, str], Callable[[HttpRequest], Reply]] = {
            ("GET", "/auth/.well-known/openid-configuration"): auth.discovery,
            ("GET", "/auth/.well-known/jwks.json"): auth.jwks,
            ("GET", "/auth/api/accounts/authorize"): auth.authorize,
            ("POST", "/auth/api/accounts/oauth/token"): auth.token,
            ("POST", "/auth/api/accounts/oauth/revoke"): auth.revoke,
            ("GET", "/auth/api/accounts/oauth/userinfo"): auth.userinfo,
        }
        handler = routes.get((request.method, path))
        if handler is None:
            return Reply.json(404, {"detail": "Not Found"})
        return handler(request)

    def _record(self, request: RecordedRequest) -> None:
        with self._log_lock:
            self._log.append(request)

    # ---------------------------------------------------------------------------------- lifecycle
    def start(self) -> SiwcEmulator:
        """Bind and serve in a background thread (idempotent). Returns ``self``."""
        if self._server is None:
            server = EmulatorHTTPServer((self._host, self._requested_port), self._app, self._record)
            self._server, self._thread = server, serve_in_thread(server, "siwc-emulator")
        return self

    def stop(self) -> None:
        """Stop serving and close open connections (idempotent); removes the private home of :meth:`env`."""
        server, thread = self._server, self._thread
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None
        if server is not None:
            shut_down(server, thread)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def issuer(self) -> str:
        """The issuer (``{url}/auth``): discovery is read from ``{issuer}/.well-known/openid-configuration``."""
        return f"{self.url}/auth"

    @property
    def api_base(self) -> str:
        """The API base (``{url}/v1``)."""
        return f"{self.url}/v1"

    # ---------------------------------------------------------------------------------- wiring
    def env(self) -> dict[str, str]:
        """The variables that point a client or the CLI at this emulator on the ``siwc`` route.

        ``CODEX_OAUTH_HOME`` is a private temporary directory (removed by :meth:`stop`).
        """
        if self._home is None:
            self._home = tempfile.mkdtemp(prefix="oauth-codex-siwc-emulator-")
        return {
            "CODEX_OAUTH_ROUTE": "siwc",
            "CODEX_OAUTH_SIWC_ISSUER": self.issuer,
            "CODEX_OAUTH_SIWC_BASE_URL": self.api_base,
            "CODEX_OAUTH_HOME": self._home,
            "CODEX_OAUTH_STORAGE": "file",
        }

    def siwc_config(self, **overrides: Any) -> Any:
        """A :class:`~oauth_codex.auth.SiwcConfig` for this emulator (``overrides`` win)."""
        from ..auth._siwc_wire import SiwcConfig

        return SiwcConfig.from_env(env=self.env(), **overrides)

    @property
    def browser(self) -> SiwcBrowser:
        """A stand-in for the user's browser: pass it as ``open_browser=`` to a SIWC login."""
        return SiwcBrowser()

    def client(self, **kwargs: Any) -> CodexOAuthLLM:
        """A ``CodexOAuthLLM(route="siwc")`` pointed at this emulator (log in first: :meth:`login`)."""
        from ..client import CodexOAuthLLM

        kwargs.setdefault("siwc_config", self.siwc_config())
        kwargs.setdefault("interactive", False)
        return CodexOAuthLLM(route="siwc", **kwargs)

    def login(self, **kwargs: Any) -> Any:
        """Sign in through the emulator with the browser flow; returns the saved ``SiwcCredentials``."""
        import io

        from ..auth._siwc_login import siwc_login

        kwargs.setdefault("config", self.siwc_config())
        kwargs.setdefault("open_browser", self.browser)
        kwargs.setdefault("output", io.StringIO())
        return siwc_login(**kwargs)

    # ---------------------------------------------------------------------------------- controls
    @property
    def quirks(self) -> SiwcQuirks:
        return self.state.quirks

    @property
    def scenario(self) -> str:
        return self.state.scenario

    @scenario.setter
    def scenario(self, value: str) -> None:
        if value not in SCENARIOS:
            raise ValueError(f"scenario must be one of {SCENARIOS}, not {value!r}")
        self.state.scenario = value

    @property
    def stats(self) -> dict[str, int]:
        with self.state.lock:
            return dict(self.state.stats)

    @property
    def answer(self) -> AnswerSettings:
        return self.api.answer

    def set_answer(self, text: str | None = None, *, deltas: int | None = None, delta_delay: float = 0.0) -> None:
        self.api.answer = AnswerSettings(text=text, deltas=deltas, delta_delay=delta_delay)

    def login_as(self, email: str, plan: str = "plus") -> None:
        """The ChatGPT account that signs in at the next authorize."""
        self.state.account = SiwcAccount.derive(email, plan)

    def fail_discovery(self, kind: str, times: int = 1) -> None:
        """``issuer_mismatch``, ``foreign_endpoint``, ``no_revocation``, ``503`` or ``malformed``."""
        self.state.add_fault("discovery", kind, times)

    def fail_jwks(self, kind: str, times: int = 1) -> None:
        """``503``, ``empty``, ``unknown_kid`` or ``malformed``."""
        self.state.add_fault("jwks", kind, times)

    def fail_token(self, kind: str, times: int = 1, **params: Any) -> None:
        """``503``, ``html_502``, ``commit_then_reset`` (rotate, then drop the connection) or ``latency``."""
        self.state.add_fault("token", kind, times, **params)

    def fail_revoke(self, kind: str, times: int = 1) -> None:
        """``503`` or ``reset``."""
        self.state.add_fault("revoke", kind, times)

    def fail_api(self, code: str, status: int, times: int = 1, **params: Any) -> None:
        """The next ``/v1`` requests get ``{"error": {"code": code, ...}}`` with ``status`` (``code="detail"``:
        a ``{"detail": params["detail"]}`` body)."""
        self.state.add_fault("api", code, times, status=status, **params)

    def fail_stream(self, kind: str, after: int = 3, times: int = 1) -> None:
        """Mid-stream: a ``response.failed`` with the code ``kind`` (the two usage codes), ``incomplete``,
        ``error_event``, or ``cut`` (drop the connection), after ``after`` events."""
        self.state.add_fault("stream", kind, times, after=after)

    def set_usage_cap(self, requests: int | None) -> None:
        """Allow ``requests`` more ``/v1/responses`` (then 429 ``..._usage_limit_exceeded``); ``None``: no cap."""
        with self.state.lock:
            self.state.usage_cap = None if requests is None else self.state.usage_used + requests

    def set_policy(self, *, region_blocked: bool = False, direct_routing_off: bool = False,
                   not_eligible: bool = False) -> None:  # fmt: skip
        """Admission switches: 403 region, 503 direct routing off, 403 ``..._user_not_eligible``."""
        self.state.region_blocked = region_blocked
        self.state.direct_routing_off = direct_routing_off
        self.state.not_eligible = not_eligible

    def disconnect_in_settings(self) -> None:
        """The user disconnects the app in ChatGPT settings: tokens stop working, refresh is ``invalid_grant``."""
        with self.state.lock:
            for registration in self.state.registrations.values():
                registration.disconnected = True

    def expire_access_tokens(self) -> None:
        with self.state.lock:
            for grant in self.state.access.values():
                grant.expires_at = min(grant.expires_at, self.state.clock.now() - 1)

    def rotate_signing_key(self) -> str:
        return self.state.rotate_key()

    def advance(self, seconds: float) -> None:
        self.state.clock.advance(seconds)

    def now(self) -> float:
        return self.state.clock.now()

    @property
    def registrations(self) -> dict[str, Any]:
        return dict(self.state.registrations)

    # ---------------------------------------------------------------------------------- request log
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._log_lock:
            return list(self._log)

    def requests_to(self, suffix: str) -> list[RecordedRequest]:
        """Logged requests whose path ends with ``suffix`` (e.g. ``"/oauth/token"``, ``"/v1/responses"``)."""
        return [r for r in self.requests if r.path.endswith(suffix)]

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()


class SiwcBrowser:
    """Follows an authorize URL and its redirect to the loopback callback, in a background thread."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        thread = threading.Thread(target=_visit, args=(url,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return True


def _visit(url: str) -> None:
    try:
        with httpx.Client(follow_redirects=True, timeout=30) as client:
            client.get(url)
    except httpx.HTTPError:
        pass
