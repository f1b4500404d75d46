"""``CodexOAuthLLM(route="siwc")`` against the strict emulator's ``/v1`` (SIWC.md §10-§12; §17.4 "API")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oauth_codex import CodexOAuthLLM, StreamError, UsageLimitError
from oauth_codex._siwc_errors import classify_siwc
from oauth_codex._siwc_request import FORBIDDEN_FIELDS, siwc_body
from oauth_codex.auth import SiwcConfig, SiwcCredentials, SiwcTokenProvider
from oauth_codex.errors import (
    ModelNotSupportedError,
    PlanAuthError,
    PlanGrantError,
    PlanNotEligibleError,
    PlanRouteNotSupportedError,
    PlanUnsupportedCapabilityError,
    PlanUsageLimitError,
    PlanUsageUnavailableError,
    RefreshNotReadyError,
    ServerError,
    UnsupportedOnRouteError,
)
from oauth_codex.testing import SiwcEmulator

MODEL = "gpt-6.1-sol"


def get_weather(city: str) -> str:
    """Look up the weather in a city."""
    return f"Sunny in {city}"


@pytest.fixture
def llm(emu: SiwcEmulator, config: SiwcConfig, signed_in: SiwcCredentials) -> CodexOAuthLLM:
    return emu.client(model=MODEL, token_provider=SiwcTokenProvider(config, interactive=False, clock=emu.now))


def _last(emu: SiwcEmulator) -> dict[str, Any]:
    body = emu.requests_to("/v1/responses")[-1].json
    assert isinstance(body, dict)
    return body


def test_a_plain_call_sends_only_the_route_headers_and_required_fields(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    assert "Emulator reply" in llm.generate(prompt="hello there")
    request = emu.requests_to("/v1/responses")[-1]
    for header in ("chatgpt-account-id", "originator", "session_id", "session-id", "openai-beta", "version",
                   "openai-organization", "openai-project"):  # fmt: skip
        assert request.header(header) is None, header
    assert request.header("accept") == "text/event-stream"
    assert (request.header("user-agent") or "").startswith("oauth-codex/")
    body = _last(emu)
    assert body["store"] is False and body["stream"] is True and isinstance(body["input"], list)
    assert not FORBIDDEN_FIELDS & set(body)


def test_system_messages_become_instructions(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    llm.generate(messages=[{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}])
    body = _last(emu)
    assert body["instructions"] == "Be terse."
    assert all(item.get("role") != "system" for item in body["input"])


def test_function_tools_go_in_one_additional_tools_item_and_round_trip(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    result = llm.generate(prompt="What is the weather in Paris?", tools=[get_weather], return_details=True)
    body = _last(emu)
    assert "tools" not in body
    first = body["input"][0]
    assert first["type"] == "additional_tools" and first["role"] == "developer"
    assert [t["name"] for t in first["tools"]] == ["get_weather"]
    call = result.tool_calls[0]
    answer = llm.generate(
        prompt=None,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[get_weather],
        tool_results=[{"tool_call_id": call.id, "output": get_weather(**(call.arguments or {}))}],
    )
    assert "Sunny in Paris" in answer
    assert _last(emu)["input"][0]["type"] == "additional_tools"  # re-sent on every turn: the route is stateless


def test_namespace_packaging_is_a_switch(emu: SiwcEmulator) -> None:
    body = siwc_body(
        {"model": MODEL, "input": [], "tools": [{"type": "function", "name": "f", "parameters": {}}], "stream": True},
        tool_packaging="namespace",
    )
    assert body["tools"][0]["type"] == "namespace" and body["tools"][0]["tools"][0]["name"] == "f"
    assert body["input"] == []


@pytest.mark.parametrize("kind", ["image_generation", "file_search", "code_interpreter", "computer_use_preview", "mcp"])
def test_hosted_tools_other_than_web_search_are_refused_before_any_network_call(
    emu: SiwcEmulator, llm: CodexOAuthLLM, kind: str
) -> None:
    emu.clear_requests()
    with pytest.raises(UnsupportedOnRouteError, match="route='siwc'") as info:
        llm.generate(prompt="draw", tools=[{"type": kind}])
    assert info.value.field == f"tools.{kind}" and isinstance(info.value, ValueError)
    assert emu.requests == []


def test_web_search_is_passed_through(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    llm.generate(prompt="news?", tools=[{"type": "web_search"}])
    assert _last(emu)["tools"] == [{"type": "web_search"}]


def test_store_true_is_refused_clearly(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    with pytest.raises(ValueError, match="store=True"):  # the shared builder refuses it on both routes
        llm.generate(prompt="x", store=True)
    assert emu.requests_to("/v1/responses") == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.dictionaries(st.sampled_from(sorted(FORBIDDEN_FIELDS)), st.none() | st.integers() | st.text(max_size=5)),
    tier=st.sampled_from([None, "auto", "flex", "priority", "default"]),
)
def test_the_body_never_carries_a_forbidden_field(fields: dict[str, Any], tier: str | None) -> None:
    body = {"model": MODEL, "input": [], "stream": True, "store": False, **fields}
    if tier is not None:
        body["service_tier"] = tier
    out = siwc_body(body)
    assert not FORBIDDEN_FIELDS & set(out)
    assert out.get("service_tier") in (None, "priority")


def test_a_forbidden_field_set_explicitly_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedOnRouteError, match="'temperature'") as info:
        siwc_body({"model": MODEL, "input": []}, explicit={"temperature": 0.2})
    assert info.value.field == "temperature"


def test_success_only_on_response_completed(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    llm.max_retries = 0
    emu.fail_stream("incomplete")
    with pytest.raises(StreamError) as info:
        llm.generate(prompt="long please")
    assert info.value.code == "max_output_tokens"
    emu.fail_stream("error_event")
    with pytest.raises(StreamError):
        llm.generate(prompt="x")
    emu.fail_stream("cut")
    with pytest.raises(StreamError):
        list(llm.generate_stream(prompt="x"))


def test_output_is_rebuilt_from_output_item_done_when_completed_output_is_empty(
    emu: SiwcEmulator, llm: CodexOAuthLLM
) -> None:
    events = list(llm.generate_stream(prompt="hello", raw_events=True))
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response and completed.response["output"][0]["type"] == "message"
    result = llm.generate(prompt="hello", return_details=True)
    assert result.text.startswith("Emulator reply") and result.output_items


def test_a_missing_content_type_is_tolerated(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    emu.quirks.no_content_type = True
    assert "Emulator reply" in llm.generate(prompt="hi")


CODES = [
    ("subscription_sharing_user_not_eligible", 403, PlanNotEligibleError),
    ("subscription_sharing_v2_user_not_eligible", 403, PlanNotEligibleError),
    ("subscription_sharing_v2_client_not_enabled", 403, PlanNotEligibleError),
    ("subscription_sharing_usage_limit_exceeded", 429, PlanUsageLimitError),
    ("subscription_sharing_usage_unavailable", 503, PlanUsageUnavailableError),
    ("subscription_sharing_user_unavailable", 503, PlanUsageUnavailableError),
    ("subscription_sharing_unsupported_capability", 400, PlanUnsupportedCapabilityError),
    ("subscription_sharing_route_not_supported", 403, PlanRouteNotSupportedError),
    ("chatpass_v2_scope_not_authorized", 403, PlanGrantError),
    ("chatpass_v2_invalid_authorization_context", 403, PlanGrantError),
    ("model_not_found", 404, ModelNotSupportedError),
]


@pytest.mark.parametrize(("code", "status", "error"), CODES)
def test_each_documented_code_maps_to_its_exception(
    emu: SiwcEmulator, llm: CodexOAuthLLM, code: str, status: int, error: type[Exception]
) -> None:
    llm.retry_backoff = 0.01
    emu.fail_api(code, status, times=10, param="temperature")
    with pytest.raises(error) as info:
        llm.generate(prompt="x")
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message
    if error is PlanUnsupportedCapabilityError:
        assert info.value.param == "temperature"  # type: ignore[attr-defined]
    sent = len(emu.requests_to("/v1/responses"))
    assert sent == (5 if error is PlanUsageUnavailableError else 1)  # bounded retries for the temporary one only


def test_invalid_user_after_one_refresh_is_plan_auth_error(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    emu.advance(3001)  # earliest_refresh_at passed: one refresh is allowed
    emu.fail_api("subscription_sharing_invalid_user", 401, times=2)
    with pytest.raises(PlanAuthError, match="sign in again"):
        llm.generate(prompt="x")
    assert len(emu.requests_to("/v1/responses")) == 2 and emu.stats["refreshes"] == 1


@pytest.mark.parametrize(
    ("status", "detail", "error"),
    [
        (403, "Unsupported country, region, or territory.", PlanNotEligibleError),
        (503, "Service Unavailable", ServerError),
    ],
)
def test_admission_detail_bodies(
    emu: SiwcEmulator, llm: CodexOAuthLLM, status: int, detail: str, error: type[Exception]
) -> None:
    llm.max_retries = 0
    emu.fail_api("detail", status, detail=detail)
    with pytest.raises(error, match="region" if status == 403 else "unavailable"):
        llm.generate(prompt="x")


def test_mid_stream_usage_limit_is_the_plan_usage_limit(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    emu.fail_stream("subscription_sharing_usage_limit_exceeded", after=4)
    with pytest.raises(PlanUsageLimitError) as info:
        llm.generate(prompt="x")
    assert info.value.resets_at is None
    assert len(emu.requests_to("/v1/responses")) == 1  # never retried


def test_a_usage_limit_is_not_retried_not_failed_over_and_has_no_reset_time(
    emu: SiwcEmulator, llm: CodexOAuthLLM
) -> None:
    emu.set_usage_cap(0)
    emu.clear_requests()
    with pytest.raises(UsageLimitError) as info:
        llm.generate(prompt="x")
    error = info.value
    assert isinstance(error, PlanUsageLimitError)
    assert error.resets_at is None and error.resets_in_seconds is None and error.retry_after is None
    assert error.manage_url == "https://chatgpt.com/settings/usage" and error.manage_url in str(error)
    assert len(emu.requests) == 1  # one request; no retry, no other route, no other account
    assert llm.route == "siwc"


def test_a_401_triggers_one_refresh_and_one_retry(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    emu.advance(3001)
    emu.expire_access_tokens()
    assert "Emulator reply" in llm.generate(prompt="again")
    assert len(emu.requests_to("/v1/responses")) == 2 and emu.stats["refreshes"] == 1


def test_a_401_before_earliest_refresh_at_is_refresh_not_ready(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    emu.expire_access_tokens()
    with pytest.raises(RefreshNotReadyError):
        llm.generate(prompt="again")
    assert emu.stats.get("refresh_posts", 0) == 0


def test_other_routes_are_route_not_supported(emu: SiwcEmulator, signed_in: SiwcCredentials) -> None:
    with httpx.Client() as http:
        for method, path in [("POST", "/chat/completions"), ("GET", "/responses/resp_1"), ("POST", "/embeddings")]:
            reply = http.request(
                method, emu.api_base + path, headers={"Authorization": f"Bearer {signed_in.access_token}"}
            )
            assert reply.status_code == 403
            assert isinstance(
                classify_siwc(reply.status_code, reply.content, reply.headers), PlanRouteNotSupportedError
            )


def test_models_sends_client_version_filters_listed_and_keeps_the_order(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    models = llm.list_models()
    assert [m.slug for m in models] == ["gpt-6-astra", "gpt-6.1-sol", "gpt-5.6-luna"]
    assert models[0].display_name == "GPT-6 Astra" and models[0].context_window == 272000
    assert "max" in models[0].supported_reasoning_efforts
    assert emu.requests_to("/v1/models")[-1].query["client_version"] == "0.160.0"
    assert [m.slug for m in llm.list_models(include_hidden=True)][-1] == "gpt-reserve"


async def test_async_generate_and_stream(emu: SiwcEmulator, llm: CodexOAuthLLM) -> None:
    assert "Emulator reply" in await llm.agenerate(prompt="async hi")
    chunks = [c async for c in llm.agenerate_stream(prompt="async stream")]
    assert "".join(chunks).startswith("Emulator reply")
    assert [m.slug for m in await llm.alist_models()] == ["gpt-6-astra", "gpt-6.1-sol", "gpt-5.6-luna"]


def test_route_from_the_environment_and_auto(
    emu: SiwcEmulator, signed_in: SiwcCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)
    assert CodexOAuthLLM(interactive=False).route == "siwc"
    monkeypatch.setenv("CODEX_OAUTH_ROUTE", "auto")
    auto = CodexOAuthLLM(interactive=False, model=MODEL)
    assert auto.route == "siwc" and auto.base_url == emu.api_base
    assert "Emulator reply" in auto.generate(prompt="hi")
    monkeypatch.setenv("CODEX_OAUTH_HOME", str(emu.siwc_config().home) + "-empty")
    assert CodexOAuthLLM(interactive=False, route="auto").route == "codex"
    with pytest.raises(ValueError, match="route= must be"):
        CodexOAuthLLM(route="api")  # type: ignore[arg-type]


def test_bad_route_and_endpoint_settings_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    from oauth_codex.errors import ConfigError

    monkeypatch.setenv("CODEX_OAUTH_ROUTE", "api")
    with pytest.raises(ConfigError, match="CODEX_OAUTH_ROUTE"):
        CodexOAuthLLM()
    monkeypatch.delenv("CODEX_OAUTH_ROUTE")
    monkeypatch.setenv("CODEX_OAUTH_SIWC_BASE_URL", "http://api.example.com/v1")
    with pytest.raises(ConfigError, match="CODEX_OAUTH_SIWC_BASE_URL.*https"):
        CodexOAuthLLM(route="siwc")


def test_a_codex_token_store_on_the_siwc_route_is_a_config_error() -> None:
    from oauth_codex import MemoryTokenStore
    from oauth_codex.errors import ConfigError

    with pytest.raises(ConfigError, match="token_store="):
        CodexOAuthLLM(route="siwc", token_store=MemoryTokenStore())


def test_usage_has_no_api_on_the_siwc_route(llm: CodexOAuthLLM) -> None:
    with pytest.raises(UnsupportedOnRouteError, match="settings/usage"):
        llm.usage()
