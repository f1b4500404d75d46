"""``oauth-codex doctor``: is this machine's login healthy, and does the real backend still speak what we speak?

Offline checks read local state only (login and its store, token expiry and clock skew, the refresh lock's
directory, the keyring backend, the base URL, the cached model catalog). ``live=True`` adds ``GET /models``
and one tiny request per listed model, reporting each as ok / gated / retired / blocked / usage_limit /
error with its time to first token, plus *drift*: where the real wire differs from what the emulator (and
so the test suite) assumes. Nothing here ever prints or returns a token.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx

if TYPE_CHECKING:
    from .auth._config import OAuthConfig
    from .client import CodexOAuthLLM

__all__ = ["Check", "DoctorReport", "ModelProbe", "run_doctor"]

Status = Literal["ok", "warn", "fail"]
PROBE_PROMPT = "Reply with the single word: ok"
#: event types the emulator sends (docs/protocol.md "Event grammar"); anything else on the live wire is reported as
#: drift
KNOWN_EVENTS = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.delta",
        "response.output_text.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.completed",
        "response.failed",
        "response.incomplete",
        "error",
    }
)
#: fields of a ``/models`` entry the client and the emulator rely on
CATALOG_FIELDS = ("slug", "visibility", "minimal_client_version", "supported_reasoning_levels", "context_window")
_SKEW_LIMIT = 300.0


@dataclass
class Check:
    name: str
    status: Status
    detail: str


@dataclass
class ModelProbe:
    """One probed model. ``listed``: named by ``/models``; built-in slugs it left out are probed too, to tell
    a retired model from a gated one, but they do not make the report fail."""

    slug: str
    status: Literal["ok", "gated", "retired", "blocked", "usage_limit", "error"]
    ttft_ms: float | None = None
    detail: str = ""
    listed: bool = True


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    models: list[ModelProbe] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """All is well: no failed check and every probed model answered."""
        return all(c.status != "fail" for c in self.checks) and all(
            m.status == "ok" for m in self.models if m.listed
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
            "models": [asdict(m) for m in self.models],
            "drift": list(self.drift),
        }


def run_doctor(config: OAuthConfig, *, live: bool = False, now: float | None = None) -> DoctorReport:
    """The offline checks, and with ``live`` the backend probes (see the module docstring)."""
    report = DoctorReport()
    now = time.time() if now is None else now
    tokens = _check_login(config, report, now)
    _check_lock_dir(config, report)
    _check_keyring(config, report)
    _check_base_url(config, report)
    if live and tokens:
        from .client import CodexOAuthLLM

        with CodexOAuthLLM(oauth_config=config, interactive=False, max_retries=1) as llm:
            _probe_live(llm, report)
    elif live:
        report.checks.append(Check("live", "fail", "skipped: log in first (`oauth-codex login`)"))
    _check_catalog_cache(config, report, now)
    return report


# --------------------------------------------------------------------------------------------- offline


def _check_login(config: OAuthConfig, report: DoctorReport, now: float) -> bool:
    from .auth import default_token_store
    from .errors import CodexError

    try:
        store = default_token_store(config)
        tokens = store.load()
    except CodexError as exc:
        report.checks.append(Check("login", "fail", str(exc)))
        return False
    if tokens is None:
        report.checks.append(Check("login", "fail", "no login stored: run `oauth-codex login`"))
        return False
    report.checks.append(Check("login", "ok", f"profile {store.profile_name!r}, stored in {store.location}"))
    expires = tokens.expires_at
    if expires is None:
        report.checks.append(Check("token expiry", "warn", "the access token has no exp claim"))
    elif expires.timestamp() > now:
        hours = (expires.timestamp() - now) / 3600
        report.checks.append(Check("token expiry", "ok", f"access token valid for {hours:.1f} h"))
    elif tokens.refresh_token:
        report.checks.append(Check("token expiry", "ok", "access token expired; it is refreshed on next use"))
    else:
        report.checks.append(
            Check("token expiry", "fail", "access token expired and no refresh token: `oauth-codex login`")
        )
    issued = tokens.access_claims.get("iat")
    if isinstance(issued, int | float) and issued - now > _SKEW_LIMIT:
        report.checks.append(
            Check("clock", "warn", f"the token was issued {issued - now:.0f} s in the future: fix the clock")
        )
    else:
        report.checks.append(Check("clock", "ok", "no skew seen in the token's iat"))
    return True


def _check_lock_dir(config: OAuthConfig, report: DoctorReport) -> None:
    from .auth._profiles import profile_dir

    directory = profile_dir(config)
    probe = directory if directory.exists() else directory.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if os.access(probe, os.W_OK):
        report.checks.append(Check("lock file", "ok", f"{directory / 'auth.json.lock'} can be written"))
    else:
        report.checks.append(
            Check("lock file", "fail", f"{probe} is not writable: set CODEX_OAUTH_HOME to a writable directory")
        )


def _check_keyring(config: OAuthConfig, report: DoctorReport) -> None:
    if config.storage == "file":
        report.checks.append(Check("keyring", "ok", "not used (CODEX_OAUTH_STORAGE=file)"))
        return
    status: Status = "fail" if config.storage == "keyring" else "warn"
    try:
        import keyring

        from .auth._keyring_store import backend_name, unsuitable_reason

        backend = keyring.get_keyring()
        name = backend_name(backend)
        # the same rule as the store: a plain-file or last-resort backend is passed over for our 0600 file
        if type(backend).__module__ == "keyring.backends.fail":
            why: str | None = "means no keyring on this machine"
        else:
            why = unsuitable_reason(backend)
    except Exception as exc:  # noqa: BLE001 - any keyring problem is a finding, not a crash
        report.checks.append(Check("keyring", status, f"unavailable ({type(exc).__name__}); the file store is used"))
        return
    if why is not None:
        report.checks.append(Check("keyring", status, f"backend {name} {why}: logins go to the 0600 file store"))
        return
    report.checks.append(Check("keyring", "ok", f"backend {name}"))


def _check_base_url(config: OAuthConfig, report: DoctorReport) -> None:
    host = (urlsplit(config.base_url).hostname or "").lower()
    loopback = host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost")
    if host == "chatgpt.com" or loopback:
        report.checks.append(Check("base url", "ok", config.base_url))
    else:
        report.checks.append(
            Check("base url", "warn", f"{config.base_url}: your access token is sent to a host that is not chatgpt.com")
        )


def _check_catalog_cache(config: OAuthConfig, report: DoctorReport, now: float) -> None:
    from ._catalog_cache import DEFAULT_TTL, load_cache
    from .auth._profiles import profile_dir

    files = list((profile_dir(config) / "models").glob("*.json"))
    catalogs = [c for c in (load_cache(f) for f in files) if c is not None]
    if not catalogs:
        report.checks.append(Check("model catalog", "warn", "not cached yet: run `oauth-codex models`"))
        return
    newest = max(catalogs, key=lambda c: c.fetched_at)
    age = newest.age(now)
    status: Status = "ok" if age < DEFAULT_TTL * 24 else "warn"
    report.checks.append(
        Check("model catalog", status, f"cached {age / 60:.0f} min ago, {len(newest.models)} models")
    )


# ------------------------------------------------------------------------------------------------- live


def _probe_live(llm: CodexOAuthLLM, report: DoctorReport) -> None:
    from .errors import CodexError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            models = llm.list_models(refresh=True)
        except CodexError as exc:
            report.checks.append(Check("models endpoint", "fail", str(exc)))
            return
    fell_back = [str(w.message) for w in caught if "model catalog" in str(w.message)]
    if fell_back:
        report.checks.append(Check("models endpoint", "fail", fell_back[0]))
        return
    token = llm.token_provider.get_token()
    cached = llm._cached_catalog(token)
    report.checks.append(Check("models endpoint", "ok", f"{len(models)} models listed"))
    if cached is not None and not cached.etag:
        report.drift.append("GET /models: no x-models-etag header (the emulator sends one)")
    for entry in cached.models if cached is not None else []:
        missing = [f for f in CATALOG_FIELDS if f not in entry]
        if missing:
            report.drift.append(f"/models entry {entry.get('slug')!r} lacks {', '.join(missing)}")
    for info in models:
        report.models.append(_probe_model(llm, info.slug, report))
    from ._catalog import builtin_catalog

    listed = {m.slug for m in models}
    for info in builtin_catalog():
        if info.slug not in listed:
            probe = _probe_model(llm, info.slug, report)
            probe.listed = False
            probe.detail = f"not listed by /models; {probe.detail}"
            report.models.append(probe)


def _probe_model(llm: CodexOAuthLLM, slug: str, report: DoctorReport) -> ModelProbe:
    """One tiny streamed request on the real wire: status, time to first token, drift notes."""
    from ._call import Mode
    from ._failures import classify
    from ._sse import SSEDecoder
    from .errors import BlockedError, CodexError, ModelNotSupportedError, UsageLimitError

    call = llm._prepare("generate_stream", Mode.RAW, PROBE_PROMPT, {"model": slug})
    token = llm.token_provider.get_token()
    llm._resolve_defaults(call, token)
    started = time.perf_counter()
    ttft: float | None = None
    kinds: list[str] = []
    completed: dict[str, Any] | None = None
    try:
        with llm._client().stream(
            "POST", llm.responses_url, content=call.body, headers=llm._headers(token, call.session_id)
        ) as resp:
            if resp.status_code != 200:
                error = classify(resp.status_code, resp.read(), resp.headers)
                if isinstance(error, ModelNotSupportedError):
                    detail = str(llm._explain_model_error(error, token))
                    return ModelProbe(slug, "gated" if error.gated else "retired", detail=detail)
                if isinstance(error, BlockedError):
                    return ModelProbe(slug, "blocked", detail=str(error))
                if isinstance(error, UsageLimitError):
                    return ModelProbe(slug, "usage_limit", detail=str(error))
                return ModelProbe(slug, "error", detail=str(error))
            _check_server_clock(resp.headers.get("date"), report)
            if "x-codex-primary-used-percent" not in resp.headers:
                report.drift.append(f"{slug}: no x-codex-primary-used-percent header on the 200")
            decoder = SSEDecoder()
            for chunk in resp.iter_bytes():
                for event in decoder.feed(chunk):
                    kind = str(event.get("type"))
                    kinds.append(kind)
                    if kind == "response.output_text.delta" and ttft is None:
                        ttft = (time.perf_counter() - started) * 1000
                    if kind == "response.completed":
                        completed = event.get("response") if isinstance(event.get("response"), dict) else {}
    except (httpx.HTTPError, CodexError) as exc:
        return ModelProbe(slug, "error", detail=f"{type(exc).__name__}: {exc}")
    for kind in sorted(set(kinds) - KNOWN_EVENTS):
        report.drift.append(f"{slug}: unexpected event type {kind!r}")
    if completed is None:
        failed = next((k for k in kinds if k in ("response.failed", "response.incomplete", "error")), None)
        return ModelProbe(slug, "error", ttft, f"the stream ended with {failed or 'no terminal event'}")
    if completed.get("output"):
        report.drift.append(f"{slug}: response.completed carries output (the emulator sends [])")
    return ModelProbe(slug, "ok", ttft, f"{len(kinds)} events")


def _check_server_clock(date: str | None, report: DoctorReport) -> None:
    """Once per report: this machine's clock against the backend's ``Date`` header."""
    if not date or any(c.name == "server clock" for c in report.checks):
        return
    from email.utils import parsedate_to_datetime

    try:
        skew = time.time() - parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError, IndexError):
        return
    if abs(skew) > _SKEW_LIMIT:
        ahead = "ahead of" if skew > 0 else "behind"
        report.checks.append(Check("server clock", "warn", f"this clock is {abs(skew):.0f} s {ahead} the backend's"))
    else:
        report.checks.append(Check("server clock", "ok", f"within {abs(skew):.0f} s of the backend's"))


def render_table(report: DoctorReport) -> str:
    """The human report: checks, then one row per model, then drift, then the verdict."""
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    lines = [f"{marks[c.status]}  {c.name:<16} {c.detail}" for c in report.checks]
    if report.models:
        lines += ["", f"{'model':<24} {'status':<12} {'first token':>12}  detail"]
        for m in report.models:
            ttft = f"{m.ttft_ms:.0f} ms" if m.ttft_ms is not None else "-"
            lines.append(f"{m.slug:<24} {m.status:<12} {ttft:>12}  {m.detail}")
    if report.drift:
        lines += ["", "drift from what the emulator assumes:"] + [f"  - {d}" for d in report.drift]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines += ["", f"{'all is well' if report.ok else 'problems found'} ({when})"]
    return "\n".join(lines)
