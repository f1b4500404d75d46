"""The emulated Codex backend: ``POST /backend-api/codex/responses`` and ``GET /backend-api/codex/models``.

Bearer check (docs/protocol.md "Rejected requests": bearer and expiry), account header, HTTP-level faults,
body validation (:mod:`._validate`), the scripted model (:mod:`._model`), stream faults and the ``x-codex-*``
rate-limit headers.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from ._catalog import GATED_DETAIL, advertised_version, build_catalog, catalog_etag, gated, listed_for, parse_version
from ._events import StreamOptions, build_events, finalize_events, usage_for
from ._faults import Fault, FaultQueue
from ._jwt import open_sealed, seal, verify_jwt
from ._model import AnswerSettings, count_input_tokens, run_model
from ._server import HttpRequest, Reply, StreamReply
from ._state import AccessRecord, Account, EmulatorState, Settings
from ._usage import UsageMeter
from ._validate import detail, invalid_request, validate_body

__all__ = ["Backend", "FAILURE_MESSAGES"]

AUTH_CLAIMS = "https://api.openai.com/auth"

FAILURE_MESSAGES = {
    "rate_limit_exceeded": "Rate limit reached for {model} in organization org-emulator on tokens per min "
    "(TPM): "
    "Limit 30000, Used 22999, Requested 12528. Please try again in 1.5s. Visit "
    "https://platform.openai.com/account/rate-limits to learn more.",
    "context_length_exceeded": "Your input exceeds the context window of this model. "
    "Please adjust your input "
    "and try again.",
    "insufficient_quota": "You exceeded your current quota, please check your plan and billing details. "
    "For more "
    "information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    "usage_not_included": "Your plan does not include Codex usage. Upgrade your ChatGPT plan to use Codex.",
    "server_is_overloaded": "Our servers are currently overloaded. Please try again later.",
    "invalid_prompt": "Invalid prompt: your prompt was flagged as potentially violating our usage policy.",
    "bio_policy": "This request has been flagged for potentially violating our biological safety policy.",
}
_DEFAULT_FAILURE = "An error occurred while processing your request. You can retry your request."

_CLOUDFLARE_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><title>Attention Required! | Cloudflare</title></head>
<body><div id="cf-wrapper"><div id="cf-error-details">
<h1 data-translate="block_headline">Sorry, you have been blocked</h1>
<h2>You are unable to access chatgpt.com</h2>
<p>This website is using a security service to protect itself from online attacks.</p>
<p>Cloudflare Ray ID: <strong>{ray}</strong></p>
</div></div></body></html>
"""

# Cloudflare's managed-challenge interstitial ("Just a moment..."), sent with ``cf-mitigated: challenge``
_CHALLENGE_PAGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"></head><body>
<div class="main-wrapper"><h1>chatgpt.com</h1><h2>Verifying you are human. This may take a few seconds.</h2>
<noscript>Enable JavaScript and cookies to continue</noscript></div>
<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray={ray}"></script></body></html>
"""


class Backend:
    """Route handlers of the backend; all state lives in the shared :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState, settings: Settings) -> None:
        self.state = state
        self.settings = settings
        self.http_faults = FaultQueue()
        self.stream_faults = FaultQueue()
        self.delays = FaultQueue()
        self.answer = AnswerSettings()
        self.stream_options = StreamOptions()
        self.started_at = state.clock.now()
        self.meter = UsageMeter(self.started_at, settings)
        self.usage_faults = FaultQueue()

    # ---------------------------------------------------------------------------------------- bearer
    def authenticate(self, request: HttpRequest) -> tuple[AccessRecord | None, Reply | None]:
        """Rows 1-2 and the ``ChatGPT-Account-ID`` check; the token's record or the error reply."""
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        claims = verify_jwt(token.strip(), self.state.secret) if scheme.lower() == "bearer" else None
        with self.state.lock:
            record = self.state.access.get(str((claims or {}).get("jti")))
        if claims is None or record is None or record.revoked:
            return None, Reply.json(401, {"detail": "Unauthorized"})
        if record.expired or record.exp <= self.state.clock.now():
            return None, _token_expired()
        account_header = request.headers.get("chatgpt-account-id")
        if account_header is None and self.settings.require_account_id:
            return None, Reply.json(403, {"detail": "Missing ChatGPT-Account-ID header (emulator)."})
        if account_header is not None and account_header != record.account.account_id:
            return None, Reply.json(
                403, {"detail": "The ChatGPT-Account-ID header does not match the access token (emulator)."}
            )
        return record, None

    # ----------------------------------------------------------------------------------- rate limits
    def rate_limit_headers(
        self, plan_type: str, account_id: str, exhausted: bool = False
    ) -> list[tuple[str, str]]:
        """The account's ``x-codex-*`` headers (:class:`UsageMeter`: used-percent rises per served request)."""
        now = self.state.clock.now()
        primary, secondary = self.meter.windows(account_id, plan_type, now, exhausted=exhausted)
        credits = _credits(plan_type)
        headers = [
            ("x-codex-plan-type", plan_type),
            ("x-codex-active-limit", "codex"),
            ("x-codex-primary-used-percent", f"{primary.used_percent:g}"),
            ("x-codex-primary-window-minutes", str(primary.minutes)),
            ("x-codex-primary-reset-after-seconds", str(primary.reset_after)),
            ("x-codex-primary-reset-at", str(primary.reset_at)),
            ("x-codex-secondary-used-percent", f"{secondary.used_percent:g}"),
            ("x-codex-secondary-window-minutes", str(secondary.minutes)),
            ("x-codex-secondary-reset-after-seconds", str(secondary.reset_after)),
            ("x-codex-secondary-reset-at", "" if secondary.reset_at is None else str(secondary.reset_at)),
            ("x-codex-primary-over-secondary-limit-percent", "0"),
            ("x-codex-credits-has-credits", str(credits["has_credits"])),
            ("x-codex-credits-unlimited", str(credits["unlimited"])),
            ("x-codex-credits-balance", credits["balance"] or ""),
            ("x-models-etag", 'W/"emulator-models-1"'),
            ("x-oai-request-id", str(uuid.uuid4())),
        ]
        return headers

    # ---------------------------------------------------------------------------------- wham/usage
    def usage(self, request: HttpRequest) -> Reply:
        """``GET /backend-api/wham/usage``: the numbers of the ``x-codex-*`` headers, as JSON."""
        record, error = self.authenticate(request)
        if error is not None:
            return error
        assert record is not None
        fault = self.usage_faults.take()
        if fault is not None:
            return Reply.json(int(fault.params["status"]), {"detail": "Usage is unavailable (emulator)."})
        plan = record.account.plan_type
        doc = self.meter.usage_document(record.account.account_id, plan, self.state.clock.now(), _credits(plan))
        return Reply.json(200, doc)

    # ------------------------------------------------------------------------------------- /models
    def allowed_models(self, plan_type: str) -> list[str]:
        plan_models = self.settings.plan_models
        if plan_models is not None and plan_type in plan_models:
            return [m for m in self.settings.models if m in plan_models[plan_type]]
        return list(self.settings.models)

    def catalog(self, plan_type: str) -> list[dict[str, Any]]:
        """Full catalog entries of the models this plan may use (see :mod:`._catalog`)."""
        return build_catalog(self.allowed_models(plan_type), self.settings.model_overrides)

    def models(self, request: HttpRequest) -> Reply:
        """``GET .../models?client_version=V``: ``{"models": [...]}`` gated by ``V``, with ``x-models-etag``.

        ``If-None-Match`` with the current etag gets a 304 (audit CODEX-2026-12 §7).
        """
        record, error = self.authenticate(request)
        if error is not None:
            return error
        assert record is not None
        fault = self._take_http_fault()
        if fault is not None:
            return self._http_fault_reply(fault, record.account)
        version = parse_version(request.query.get("client_version"))
        if version is None:
            return Reply.json(400, {"detail": "Missing or invalid query parameter: client_version"})
        models = listed_for(self.catalog(record.account.plan_type), version)
        etag = catalog_etag(models)
        headers = [("x-models-etag", etag)]
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", "application/json", headers)
        return Reply.json(200, {"models": models}, headers)

    # ---------------------------------------------------------------------------------- /responses
    def responses(self, request: HttpRequest) -> Reply | StreamReply:
        """``POST .../responses``: validate, then stream the scripted model's answer."""
        record, error = self.authenticate(request)
        if error is not None:
            return error
        assert record is not None
        plan = record.account.plan_type
        delay_fault = self.delays.take()
        delay = float(delay_fault.params["delay"]) if delay_fault else 0.0
        fault = self._take_http_fault()
        if fault is None and self.meter.limited(record.account.account_id, self.state.clock.now()) is not None:
            fault = Fault("usage_limit", 0, {"scripted": True})
        if fault is not None:
            fault_reply = self._http_fault_reply(fault, record.account)
            fault_reply.delay = delay
            return fault_reply
        body, rejection = validate_body(
            request.body,
            allowed_models=self.allowed_models(plan),
            official_instructions=self.settings.official_instructions,
            verify_encrypted=lambda blob: open_sealed(blob, self.state.secret) is not None,
        )
        if rejection is None and body is not None:
            rejection = self._catalog_rules(body, request.headers, plan)
        if rejection is not None or body is None:
            status, payload = rejection or detail(400, "Bad Request")
            return _reply(status, payload, delay)
        with self.state.lock:
            self.state.responses_served += 1
            cache_key = body.get("prompt_cache_key")
            cached = 0
            if isinstance(cache_key, str) and cache_key:
                cached = self.state.cache_keys.get(cache_key, 0)
                self.state.cache_keys[cache_key] = count_input_tokens(body)
        self.meter.count(record.account.account_id)
        answer = self.answer
        turn = run_model(
            body,
            answer=answer,
            new_id=self.state.next_id,
            seal=lambda payload: seal(payload, self.state.secret),
            cached_tokens=cached,
        )
        response_id = self.state.next_id("resp_", 32)
        options = self.stream_options
        events = build_events(
            turn,
            response_id=response_id,
            model=str(body["model"]),
            created_at=int(self.state.clock.now()),
            options=options,
        )
        reply = StreamReply(
            events=events,
            headers=self.rate_limit_headers(plan, record.account.account_id),
            delay=delay,
            delta_delay=answer.delta_delay,
        )
        stream_fault = self.stream_faults.take()
        if stream_fault is not None:
            self._apply_stream_fault(stream_fault, reply, turn.usage, options)
        reply.events = finalize_events(reply.events, options)
        return reply

    def _catalog_rules(
        self, body: dict[str, Any], headers: dict[str, str], plan: str
    ) -> tuple[int, dict[str, Any]] | None:
        """Client-version gating and the model's own effort list (audit CODEX-2026-12 §7, §2)."""
        entry = next((e for e in self.catalog(plan) if e["slug"] == body["model"]), None)
        if gated(entry, advertised_version(headers)):
            return detail(400, GATED_DETAIL.format(model=body["model"]))
        reasoning = body.get("reasoning")
        effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
        levels = [lv.get("effort") for lv in (entry or {}).get("supported_reasoning_levels") or []]
        if effort is not None and levels and effort not in levels:
            return invalid_request(
                f"Unsupported value: '{effort}' is not supported with the '{body['model']}' model. "
                f"Supported values are: {', '.join(repr(lv) for lv in levels)}.",
                "reasoning.effort",
                "unsupported_value",
            )
        return None

    # ------------------------------------------------------------------------------------- faults
    def _take_http_fault(self) -> Fault | None:
        return self.http_faults.take()

    def _http_fault_reply(self, fault: Fault, account: Account) -> Reply:
        p = fault.params
        kind = fault.kind
        plan = account.plan_type
        if kind in {"usage_limit", "usage_not_included"}:
            plan = str(p.get("plan_type") or plan)
            exhausted = kind == "usage_limit" and not p.get("scripted")  # a scripted limit sets its window
            headers = self.rate_limit_headers(plan, account.account_id, exhausted=exhausted)
            if kind == "usage_limit":
                # resets_at is the exhausted window's reset-at header (docs/protocol.md "HTTP errors")
                values = dict(headers)
                window = "primary" if values["x-codex-primary-used-percent"] == "100" else "secondary"
                error: dict[str, Any] = {
                    "type": "usage_limit_reached",
                    "message": "The usage limit has been reached",
                    "plan_type": plan,
                    "resets_at": int(values[f"x-codex-{window}-reset-at"]),
                    "eligible_promo": None,
                    "resets_in_seconds": int(values[f"x-codex-{window}-reset-after-seconds"]),
                }
            else:
                error = {
                    "type": "usage_not_included",
                    "message": FAILURE_MESSAGES["usage_not_included"],
                    "plan_type": plan,
                }
            return Reply.json(int(p.get("status", 429)), {"error": error}, headers)
        if kind == "rate_limit":
            retry_after = float(p.get("retry_after", 1.0))
            headers = [*self.rate_limit_headers(plan, account.account_id), ("Retry-After", f"{retry_after:g}")]
            error = {
                "type": "rate_limit_exceeded",
                "code": "rate_limit_exceeded",
                "message": f"Rate limit reached. Please try again in {retry_after:g}s.",
            }
            return Reply.json(429, {"error": error}, headers)
        if kind == "server_error":
            status = int(p.get("status", 500))
            if status == 503:
                code = str(p.get("code") or "server_is_overloaded")
                return Reply.json(
                    503, {"error": {"code": code, "message": FAILURE_MESSAGES["server_is_overloaded"]}}
                )
            if status == 502:
                return Reply.html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
            return Reply.json(
                status, {"detail": "Internal Server Error" if status == 500 else "Server Error"}
            )
        if kind == "cloudflare":
            ray = uuid.uuid4().hex[:16]
            return Reply.html(403, _CLOUDFLARE_PAGE.format(ray=ray), [("cf-ray", f"{ray}-EMU")])
        if kind == "html_challenge":
            ray = uuid.uuid4().hex[:16]
            headers = [("cf-ray", f"{ray}-EMU"), ("cf-mitigated", "challenge")]
            return Reply.html(int(p.get("status", 403)), _CHALLENGE_PAGE.format(ray=ray), headers)
        if kind == "unauthorized":
            return (
                _token_expired()
                if p.get("code") == "token_expired"
                else Reply.json(401, {"detail": "Unauthorized"})
            )
        if kind == "hang_up":
            return Reply(0, hang_up=True)
        if kind == "policy_block":
            status, payload = invalid_request(
                "This request has been flagged for potentially violating our cyber security policy.",
                None,
                "cyber_policy",
            )
            return Reply.json(status, payload)
        raise ValueError(f"unknown fault {kind}")

    def _apply_stream_fault(
        self, fault: Fault, reply: StreamReply, usage: dict[str, Any], options: StreamOptions
    ) -> None:
        p = fault.params
        events = reply.events
        head = events[:2]
        response = dict(events[-1]["response"])
        if fault.kind == "drop":
            reply.cut_after = int(p.get("after_events", 5))
            reply.cut_mode = "drop"
            reply.events = events[:-1]
        elif fault.kind == "end":
            reply.cut_after = int(p.get("after_events", 5))
            reply.cut_mode = "end"
            reply.events = events[:-1]
        elif fault.kind == "stall":
            reply.stall_after = int(p.get("after_events", 0))
            reply.stall_seconds = float(p["seconds"])
        elif fault.kind == "failed":
            code = str(p.get("code") or "server_error")
            message = p.get("message") or FAILURE_MESSAGES.get(code, _DEFAULT_FAILURE).format(
                model=response["model"]
            )
            failed = {
                **response,
                "status": "failed",
                "output": [],
                "usage": None,
                "error": {"code": code, "message": message},
            }
            after = p.get("after_events")
            kept = head if after is None else events[: min(int(after), len(events) - 1)]
            reply.events = [*kept, {"type": "response.failed", "response": failed}]
        elif fault.kind == "incomplete":
            reason = str(p.get("reason", "max_output_tokens"))
            incomplete = {
                **response,
                "status": "incomplete",
                "incomplete_details": {"reason": reason},
                "usage": usage_for(usage, options),
            }
            reply.events = [*events[:-1], {"type": "response.incomplete", "response": incomplete}]
        elif fault.kind == "raw":
            reply.raw_inserts.append((int(p.get("after_events", 2)), bytes(p["data"])))
        elif fault.kind == "error_event":
            error = {
                "type": "error",
                "code": str(p.get("code") or "server_error"),
                "message": str(p.get("message") or _DEFAULT_FAILURE),
                "param": None,
            }
            reply.events = [*head, error]


def _credits(plan_type: str) -> dict[str, Any]:
    """The account's credits (none), as both the headers and wham/usage report them."""
    return {"has_credits": False, "unlimited": False, "balance": None if plan_type == "free" else "0"}


def _reply(status: int, payload: dict[str, Any], delay: float) -> Reply:
    reply = Reply.json(status, payload)
    reply.delay = delay
    return reply


def _token_expired() -> Reply:
    error_json = base64.b64encode(json.dumps({"error": {"code": "token_expired"}}).encode()).decode()
    return Reply.json(
        401,
        {"error": {"message": "Provided authentication token is expired.", "code": "token_expired"}},
        [("x-openai-authorization-error", "token_expired"), ("x-error-json", error_json)],
    )
