"""The SIWC ``/v1`` API of the emulator (SIWC.md §17.3): admission, route guard, ``/v1/models``, ``/v1/responses``.

``POST /v1/responses`` validates in the documented order (first failure wins) and rejects every forbidden
field even when ``null``; function tools are accepted only inside an ``additional_tools`` input item or a
``namespace`` tool (flat top-level tools only with the ``flat_tools_allowed`` quirk). The answer comes from
the same scripted model as the Codex backend's, with ``phase: "final_answer"`` on messages and an empty
``response.completed.output``.
"""

from __future__ import annotations

import json
from typing import Any

from ._events import StreamOptions, build_events, finalize_events
from ._jwt import seal
from ._model import AnswerSettings, run_model
from ._server import HttpRequest, Reply, StreamReply
from ._siwc_state import SiwcState

__all__ = ["FORBIDDEN_FIELDS", "SiwcApi"]

FORBIDDEN_FIELDS = (
    "background", "conversation", "max_output_tokens", "max_tool_calls", "metadata", "moderation", "multi_agent",
    "prompt", "prompt_cache_retention", "prompt_cache_options", "safety_identifier", "temperature",
    "top_logprobs", "top_p", "truncation", "user", "previous_response_id",
)  # fmt: skip
REFUSED_TOOLS = frozenset(
    {"image_generation", "file_search", "code_interpreter", "computer_use", "computer_use_preview", "mcp",
     "tool_search", "programmatic_tool_calling", "local_shell"}
)  # fmt: skip
_ITEM_TYPES = frozenset(
    {"message", "function_call", "function_call_output", "custom_tool_call", "custom_tool_call_output",
     "reasoning", "web_search_call", "additional_tools", "compaction"}
)  # fmt: skip
_PARTS = frozenset({"input_text", "input_image", "input_file", "output_text", "refusal"})
_ITEMS_MESSAGE = (
    "User subscription sharing currently supports only text, image, and file messages, item references, "
    "additional tools, compaction summaries, reasoning items, Web Search call items, developer function and "
    "custom tool call items, and programmatic tool calling items. Remove unsupported input items or use an API "
    "key instead."
)
_UNAVAILABLE = "This Responses parameter is unavailable with ChatGPT plan usage."
ROUTE_NOT_SUPPORTED = {
    "message": "This route is not supported for ChatGPT plan usage.",
    "type": "invalid_request_error",
    "param": None,
    "code": "subscription_sharing_route_not_supported",
}
USAGE_LIMIT = {
    "message": "The ChatGPT user has reached their Subscription Sharing usage limit.",
    "type": "rate_limit_error",
    "param": None,
    "code": "subscription_sharing_usage_limit_exceeded",
}


#: what the client writes in ``instructions`` when the route refused ``text.format`` (the model then follows it)
_JSON_ASK = "Answer with only a JSON object, no other text"
_SCHEMA_LEAD = ", that matches this JSON schema: "


def _json_asked_in_instructions(body: dict[str, Any]) -> dict[str, Any]:
    """A ``text.format`` for the scripted model when the instructions ask for JSON (else nothing)."""
    instructions = str(body.get("instructions") or "")
    if "text" in body or _JSON_ASK not in instructions:
        return {}
    _, _, schema_text = instructions.partition(_SCHEMA_LEAD)
    try:
        schema = json.loads(schema_text.splitlines()[0]) if schema_text else None
    except ValueError:
        schema = None
    if isinstance(schema, dict):
        return {"text": {"format": {"type": "json_schema", "name": "output", "schema": schema}}}
    return {"text": {"format": {"type": "json_object"}}}


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (0,)


def _error(
    status: int, code: str, message: str, *, param: str | None = None, kind: str = "invalid_request_error"
) -> Reply:
    return Reply.json(status, {"error": {"message": message, "type": kind, "param": param, "code": code}})


class SiwcApi:
    """Route handlers for ``{api}`` (``http://127.0.0.1:<port>/v1``)."""

    def __init__(self, state: SiwcState) -> None:
        self.state = state
        self.answer = AnswerSettings()

    # ------------------------------------------------------------------------------ dispatch
    def __call__(self, request: HttpRequest, subpath: str) -> Reply | StreamReply:
        reply: Reply | StreamReply | None = self._admit(request)
        if reply is None:
            if request.method == "GET" and subpath == "/models":
                reply = self.models(request)
            elif request.method == "POST" and subpath == "/responses":
                reply = self.responses(request)
            else:
                reply = Reply.json(403, {"error": ROUTE_NOT_SUPPORTED})
        assert reply is not None
        reply.headers.append(("x-request-id", self.state.next_id("req_", 16)))
        return reply

    def _admit(self, request: HttpRequest) -> Reply | None:
        state = self.state
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.startswith("Bearer ") else ""
        grant = state.access.get(token)
        if grant is None:
            return Reply.json(401, {"detail": "Unauthorized"})
        registration = state.registrations.get(grant.client_id)
        if grant.revoked or registration is None or registration.disconnected:
            return _error(401, "subscription_sharing_invalid_user", "The subscriber context could not be validated.")
        if grant.expires_at <= state.clock.now():
            if state.quirks.expired_as_error_object:
                return _error(401, "token_expired", "The access token has expired.")
            return Reply.json(401, {"detail": "Unauthorized"})
        if not {"chatgpt.tokens.use.direct", "resource.invoke"} <= set(grant.scopes):
            if state.quirks.scope_error_as_403:
                return _error(403, "chatpass_v2_scope_not_authorized", "The signed permission context does not "
                              "authorize the operation.")  # fmt: skip
            return Reply.json(401, {"detail": "The required direct permission was not accepted."})
        if state.region_blocked:
            return Reply.json(403, {"detail": "Unsupported country, region, or territory."})
        if state.direct_routing_off:
            return Reply.json(503, {"detail": "Service Unavailable"})
        if state.not_eligible:
            return _error(403, "subscription_sharing_user_not_eligible", "ChatGPT plan usage is unavailable for "
                          "this user.")  # fmt: skip
        fault = state.take_fault("api")
        if fault is not None:
            kind = fault["kind"]
            if kind == "detail":
                return Reply.json(int(fault["status"]), {"detail": fault.get("detail", "Error")})
            return _error(
                int(fault["status"]), kind, str(fault.get("message") or kind), param=fault.get("param"),
                kind=str(fault.get("type") or "invalid_request_error"),
            )  # fmt: skip
        return None

    # ------------------------------------------------------------------------------ models
    def models(self, request: HttpRequest) -> Reply:
        state = self.state
        state.count("models_requests")
        version = _version(request.query.get("client_version", "0.0.0"))
        rows = [m for m in state.models if _version(str(m.get("minimal_client_version", "0.0.0"))) <= version]
        return Reply.json(200, {"models": rows})

    # ------------------------------------------------------------------------------ responses
    def _invalid(self, field: str, *, unavailable: bool = False) -> Reply:
        if unavailable or self.state.quirks.validation_as_400:
            return _error(400, "subscription_sharing_unsupported_capability", _UNAVAILABLE, param=field)
        return Reply.json(422, {"detail": [{"type": "list_type" if field == "input" else "value_error",
                                            "loc": ["body", field], "msg": f"Invalid {field}"}]})  # fmt: skip

    def _items_error(self) -> Reply:
        return _error(400, "subscription_sharing_unsupported_capability", _ITEMS_MESSAGE, param="input")

    def validate(self, raw: bytes) -> tuple[dict[str, Any] | None, Reply | None]:  # noqa: C901 - §17.3 in order
        """The body, or the first rejection of §17.3 (steps 1-9)."""
        quirks = self.state.quirks
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return None, _error(400, "invalid_json", "The body is not a JSON object.")
        if not isinstance(body.get("input"), list):
            return None, self._invalid("input")
        if body.get("store", True) is not False or ("background" in body and body["background"] is not None):
            return None, self._invalid("store" if body.get("store", True) is not False else "background")
        if body.get("stream") is not True:
            return None, self._invalid("stream")
        for name in FORBIDDEN_FIELDS:
            if name in body:
                return None, self._invalid(name, unavailable=True)
        if "service_tier" in body and body["service_tier"] not in ("priority", "default"):
            return None, self._invalid("service_tier", unavailable=True)
        for item in body["input"]:
            if not isinstance(item, dict):
                return None, self._items_error()
            kind = item.get("type", "message" if "role" in item else None)
            if kind == "item_reference" and quirks.item_reference_allowed:
                continue
            if kind not in _ITEM_TYPES:
                return None, self._items_error()
            if kind == "message":
                if item.get("role") not in ("user", "assistant", "developer"):
                    return None, self._items_error()
                content = item.get("content")
                parts = content if isinstance(content, list) else []
                for part in parts:
                    if not isinstance(part, dict) or part.get("type") not in _PARTS:
                        return None, self._items_error()
                    if part.get("type") == "input_file" and "file_id" in part:
                        return None, self._items_error()
            if kind == "additional_tools":
                tools = item.get("tools")
                if item.get("role") != "developer" or not isinstance(tools, list) or not tools:
                    return None, self._items_error()
                if any(not isinstance(t, dict) or t.get("type") not in ("function", "custom") for t in tools):
                    return None, self._items_error()
        for index, tool in enumerate(body.get("tools") or []):
            kind = tool.get("type") if isinstance(tool, dict) else None
            if kind in REFUSED_TOOLS or kind == "additional_tools":
                return None, _error(400, "subscription_sharing_unsupported_capability", _UNAVAILABLE,
                                    param=f"tools[{index}].type")  # fmt: skip
            if kind == "web_search" and quirks.web_search_allowed:
                continue
            if kind == "namespace":
                children = tool.get("tools")
                if (
                    not tool.get("name")
                    or not tool.get("description")
                    or not isinstance(children, list)
                    or not children
                    or any(not isinstance(c, dict) or c.get("type") not in ("function", "custom") for c in children)
                ):
                    return None, _error(400, "invalid_request_error", "Invalid namespace tool.",
                                        param=f"tools[{index}]")  # fmt: skip
                continue
            if kind in ("function", "custom") and quirks.flat_tools_allowed:
                continue
            return None, _error(400, "subscription_sharing_unsupported_capability", _UNAVAILABLE,
                                param=f"tools[{index}]")  # fmt: skip
        slugs = {m["slug"] for m in self.state.models}
        if body.get("model") not in slugs:
            return None, _error(404, "model_not_found", "This model is not available for your ChatGPT connection.",
                                param="model")  # fmt: skip
        fmt = body.get("text", {}).get("format") if isinstance(body.get("text"), dict) else None
        if quirks.reject_structured_outputs and isinstance(fmt, dict) and fmt.get("type") != "text":
            return None, _error(400, "subscription_sharing_unsupported_capability", _UNAVAILABLE,
                                param="text.format")  # fmt: skip
        return body, None

    def responses(self, request: HttpRequest) -> Reply | StreamReply:
        state = self.state
        body, rejection = self.validate(request.body)
        if rejection is not None or body is None:
            return rejection or _error(400, "invalid_json", "Bad request.")
        with state.lock:
            if state.usage_cap is not None and state.usage_used >= state.usage_cap:
                return Reply.json(429, {"error": USAGE_LIMIT})
            state.usage_used += 1
            state.stats["responses"] = state.stats.get("responses", 0) + 1
        namespaces: dict[str, str] = {}
        tools: list[dict[str, Any]] = []
        for item in body["input"]:
            if isinstance(item, dict) and item.get("type") == "additional_tools":
                tools.extend(t for t in item["tools"] if t.get("type") == "function")
        for tool in body.get("tools") or []:
            if tool.get("type") == "namespace":
                for child in tool["tools"]:
                    if child.get("type") == "function":
                        tools.append(child)
                        namespaces[child["name"]] = tool["name"]
            elif tool.get("type") == "function":
                tools.append(tool)
        view = {
            **body,
            **_json_asked_in_instructions(body),
            "tools": tools,
            "input": [i for i in body["input"] if not (isinstance(i, dict) and i.get("type") == "additional_tools")],
        }
        turn = run_model(view, answer=self.answer, new_id=state.next_id, seal=lambda p: seal(p, state.secret))
        for plan in turn.outputs:
            if plan.item["type"] == "message":
                plan.item["phase"] = "final_answer"
            elif plan.item["type"] == "function_call" and plan.item["name"] in namespaces:
                plan.item["namespace"] = namespaces[plan.item["name"]]
        options = StreamOptions(completed_output=state.quirks.completed_includes_output)
        events = build_events(
            turn,
            response_id=state.next_id("resp_", 32),
            model=str(body["model"]),
            created_at=int(state.clock.now()),
            options=options,
        )
        reply = StreamReply(events=events, delta_delay=self.answer.delta_delay)
        if state.quirks.no_content_type:
            reply.content_type = None
        fault = state.take_fault("stream")
        if fault is not None:
            self._stream_fault(fault, reply)
        reply.events = finalize_events(reply.events, options)
        return reply

    @staticmethod
    def _stream_fault(fault: dict[str, Any], reply: StreamReply) -> None:
        kind = fault["kind"]
        after = int(fault.get("after", 3))
        if kind == "cut":
            reply.cut_after, reply.cut_mode = after, "drop"
            return
        kept = reply.events[:after]
        rid = reply.events[0]["response"]["id"]
        if kind in ("subscription_sharing_usage_limit_exceeded", "subscription_sharing_usage_unavailable"):
            message = USAGE_LIMIT["message"] if kind.endswith("exceeded") else "Usage could not be checked."
            kept.append({"type": "response.failed", "response": {
                "id": rid, "object": "response", "status": "failed", "output": [],
                "error": {"code": kind, "message": message}}})  # fmt: skip
        elif kind == "incomplete":
            kept.append({"type": "response.incomplete", "response": {
                "id": rid, "object": "response", "status": "incomplete", "output": [],
                "incomplete_details": {"reason": "max_output_tokens"}}})  # fmt: skip
        elif kind == "error_event":
            kept.append({"type": "error", "code": "server_error", "message": "The server had an error.", "param": None})
        reply.events = kept
