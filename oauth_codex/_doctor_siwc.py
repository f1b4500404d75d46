"""``oauth-codex doctor --route siwc [--live]``: the "Sign in with ChatGPT" route's checks.

Offline: the profile's SIWC sign-in, plan usage, token state. ``--live`` also reads the discovery document and
the JWKS, lists ``/v1/models`` and sends one tiny request per listed model, and records what the first live run
should settle (SIWC.md §20: discovery fields, the catalog's row fields) as drift notes. Same report and table
as the Codex route's doctor.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx

from ._doctor import Check, DoctorReport, ModelProbe

if TYPE_CHECKING:
    from .auth import SiwcConfig
    from .client import CodexOAuthLLM

__all__ = ["run_siwc_doctor"]

_ROW_FIELDS = ("slug", "display_name", "visibility", "context_window", "supported_reasoning_levels")


def run_siwc_doctor(config: SiwcConfig, profile: str, *, live: bool = False, now: float | None = None) -> DoctorReport:
    """The SIWC checks of ``profile`` (and, with ``live``, the probes)."""
    from .auth import SiwcStore
    from .errors import CodexError

    report = DoctorReport()
    now = time.time() if now is None else now
    store = SiwcStore(config)
    try:
        record = store.load(profile)
    except CodexError as exc:
        report.checks.append(Check("siwc sign-in", "fail", str(exc)))
        return report
    if record is None or record.status != "connected" or not record.access_token:
        state = record.status if record is not None else "none"
        report.checks.append(
            Check("siwc sign-in", "fail", f"profile {profile!r}: {state}; run `oauth-codex login --route siwc`")
        )
        return report
    report.checks.append(Check("siwc sign-in", "ok", f"{record.email or 'unknown account'}, profile {profile!r}"))
    if record.plan_enabled:
        report.checks.append(Check("plan usage", "ok", "granted (chatgpt.tokens.use.direct)"))
    else:
        report.checks.append(Check("plan usage", "fail", "not granted: `oauth-codex login --route siwc --enable-plan`"))
    if record.refresh_state in ("uncertain", "in_flight"):
        report.checks.append(Check("token refresh", "fail", "last refresh outcome unknown: sign in again"))
    elif record.expires_at is not None and record.expires_at > now:
        report.checks.append(
            Check("token expiry", "ok", f"access token valid for {(record.expires_at - now) / 60:.0f} min")
        )
    else:
        report.checks.append(Check("token expiry", "ok", "access token expired; it is refreshed on next use"))
    if live and record.plan_enabled:
        _probe(config, report)
    elif live:
        report.checks.append(Check("live", "fail", "skipped: plan usage is not granted"))
    return report


def _probe(config: SiwcConfig, report: DoctorReport) -> None:
    from .client import CodexOAuthLLM
    from .errors import CodexError

    try:
        discovery = httpx.get(config.discovery_url, timeout=15).json()
        jwks = httpx.get(str(discovery["jwks_uri"]), timeout=15).json()
        report.checks.append(Check("discovery", "ok", f"issuer {discovery.get('issuer')}, {len(jwks['keys'])} keys"))
        for key in ("registration_endpoint", "end_session_endpoint"):
            if key in discovery:
                report.drift.append(f"discovery has {key} (the spec's sources showed none)")
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        report.checks.append(Check("discovery", "fail", f"{type(exc).__name__}: the discovery document or JWKS"))
    with CodexOAuthLLM(route="siwc", siwc_config=config, interactive=False, max_retries=1) as llm:
        try:
            models = llm.list_models(include_hidden=True)
        except CodexError as exc:
            report.checks.append(Check("models endpoint", "fail", str(exc)))
            return
        report.checks.append(
            Check(
                "models endpoint", "ok", f"{len(models)} models ({sum(m.visibility == 'list' for m in models)} listed)"
            )
        )
        for info in models:
            if info.visibility != "list":
                continue
            missing = [f for f in _ROW_FIELDS if f not in info.raw]
            if missing:
                report.drift.append(f"/v1/models row {info.slug!r} lacks {', '.join(missing)}")
        for info in models:
            if info.visibility == "list":
                report.models.append(_probe_model(llm, info.slug, report))


def _probe_model(llm: CodexOAuthLLM, slug: str, report: DoctorReport) -> ModelProbe:
    from .errors import CodexError, PlanUsageLimitError

    started = time.perf_counter()
    first: float | None = None
    events = []
    try:
        for event in llm.generate_stream(prompt="Reply with: ok", model=slug, raw_events=True):
            if first is None and event.type == "response.output_text.delta":
                first = (time.perf_counter() - started) * 1000
            events.append(event)
    except PlanUsageLimitError as exc:
        return ModelProbe(slug, "usage_limit", detail=exc.message)
    except CodexError as exc:
        return ModelProbe(slug, "error", detail=f"{type(exc).__name__}: {exc}")
    return ModelProbe(slug, "ok", ttft_ms=first, detail=f"{len(events)} events")
