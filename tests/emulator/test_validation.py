"""SPEC §3: one test per row of the backend validation table (plus the stricter extras), over real HTTP."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from oauth_codex.auth import TokenData
from oauth_codex.testing import CodexEmulator

from .helpers import auth_headers, body, post, user

URL = "/backend-api/codex/responses"


def error_of(response: httpx.Response) -> dict[str, Any]:
    payload = response.json()
    assert isinstance(payload, dict)
    return payload


# ------------------------------------------------------------------------------------------ rows 1-2


@pytest.mark.parametrize("authorization", [None, "Basic abc", "Bearer", "Bearer not.a.jwt", "Bearer a.b.c"])
def test_row1_missing_or_malformed_bearer(
    emu: CodexEmulator, http: httpx.Client, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = http.post(emu.base_url + "/responses", json=body(), headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_row1_token_of_another_issuer_is_unknown(emu: CodexEmulator, http: httpx.Client) -> None:
    with CodexEmulator() as other:
        foreign = other.login_tokens()
    response = post(http, emu, foreign, body())
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_row1_revoked_token(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.revoke_tokens()
    response = post(http, emu, tokens, body())
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_row2_expired_access_token_by_clock(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    assert post(http, emu, tokens, body()).status_code == 200
    emu.advance(864000 + 1)
    response = post(http, emu, tokens, body())
    assert response.status_code == 401
    assert response.json() == {
        "error": {"message": "Provided authentication token is expired.", "code": "token_expired"}
    }
    assert response.headers["x-openai-authorization-error"] == "token_expired"
    assert json.loads(base64.b64decode(response.headers["x-error-json"])) == {
        "error": {"code": "token_expired"}
    }


def test_row2_forced_expiry(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.expire_tokens()
    response = post(http, emu, tokens, body())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"
    fresh = emu.login_tokens()
    assert post(http, emu, fresh, body()).status_code == 200


def test_account_header_mismatch_is_403(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    response = post(http, emu, tokens, body(), headers={"ChatGPT-Account-ID": "someone-else"})
    assert response.status_code == 403
    assert "detail" in response.json()


def test_account_header_missing_is_tolerated_unless_required(tokens: TokenData, http: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    for required, status in ((False, 200), (True, 403)):
        with CodexEmulator(require_account_id=required) as emu:
            own = emu.login_tokens()
            headers = {"Authorization": f"Bearer {own.access_token}"}
            assert http.post(emu.base_url + "/responses", json=body(), headers=headers).status_code == status


def test_account_header_is_case_insensitive(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    headers = {"Authorization": f"Bearer {tokens.access_token}", "chatgpt-account-id": str(tokens.account_id)}
    assert http.post(emu.base_url + "/responses", json=body(), headers=headers).status_code == 200


# ----------------------------------------------------------------------------------------- rows 3-9


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b""])
def test_row3_body_not_json(emu: CodexEmulator, tokens: TokenData, http: httpx.Client, raw: bytes) -> None:
    response = post(http, emu, tokens, raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("value", [False, None, "true", "missing"])
def test_row4_stream_must_be_true(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, value: Any
) -> None:
    payload = body()
    if value == "missing":
        del payload["stream"]
    else:
        payload["stream"] = value
    response = post(http, emu, tokens, payload)
    assert response.status_code == 400
    assert response.json() == {"detail": "Stream must be set to true"}


@pytest.mark.parametrize("value", [True, None, "false", "missing"])
def test_row5_store_must_be_false(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, value: Any
) -> None:
    payload = body()
    if value == "missing":
        del payload["store"]
    else:
        payload["store"] = value
    response = post(http, emu, tokens, payload)
    assert response.status_code == 400
    assert response.json() == {"detail": "Store must be set to false"}


@pytest.mark.parametrize("value", ["missing", None, "", 42])
def test_row6_instructions_required(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, value: Any
) -> None:
    payload = body()
    if value == "missing":
        del payload["instructions"]
    else:
        payload["instructions"] = value
    response = post(http, emu, tokens, payload)
    assert response.status_code == 400
    assert response.json() == {"detail": "Instructions are required"}


def test_row6b_official_instructions_switch(http: httpx.Client) -> None:
    official = "You are Codex, based on GPT-5."
    with CodexEmulator(official_instructions=[official]) as emu:
        tokens = emu.login_tokens()
        response = post(http, emu, tokens, body(instructions="Be a pirate."))
        assert response.status_code == 400
        assert response.json() == {"detail": "Instructions are not valid"}
        assert post(http, emu, tokens, body(instructions=official)).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "max_output_tokens",
        "max_completion_tokens",
        "max_tokens",
        "temperature",
        "top_p",
        "truncation",
        "frequency_penalty",
        "metadata",
    ],
)
def test_row7_forbidden_parameter(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, name: str
) -> None:
    response = post(http, emu, tokens, body(**{name: 1}))
    assert response.status_code == 400
    assert response.json() == {"detail": f"Unsupported parameter: {name}"}


def test_unknown_parameter_rejected(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    response = post(http, emu, tokens, body(foo=1))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_parameter"


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-5.2", "gpt-5.3-codex", "gpt-5.4/medium", None])
def test_row8_model_not_supported(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, model: Any
) -> None:
    response = post(http, emu, tokens, body(model=model))
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"The '{model}' model is not supported when using Codex with a ChatGPT account."
    }


def test_row8_custom_and_per_plan_model_lists(http: httpx.Client) -> None:
    with CodexEmulator(models=["gpt-5.5", "my-model"], plan_models={"free": ["gpt-5.5"]}) as emu:
        plus = emu.login_tokens()
        free = emu.login_tokens(email="free@example.com", plan_type="free")
        assert post(http, emu, plus, body(model="my-model")).status_code == 200
        assert post(http, emu, plus, body(model="gpt-5.4")).status_code == 400
        assert post(http, emu, free, body(model="my-model")).status_code == 400
        assert post(http, emu, free, body(model="gpt-5.5")).status_code == 200


def test_row9_system_messages_rejected(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    system = {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "rules"}]}
    response = post(http, emu, tokens, body(input=[system, user("hi")]))
    assert response.status_code == 400
    assert response.json() == {"detail": "System messages are not allowed"}
    easy = {"role": "system", "content": "rules"}
    assert post(http, emu, tokens, body(input=[easy, user("hi")])).json() == response.json()
    developer = {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "rules"}]}
    assert post(http, emu, tokens, body(input=[developer, user("hi")])).status_code == 200


def test_input_must_be_an_array(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    response = post(http, emu, tokens, body(input="hello"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_type"
    missing = body()
    del missing["input"]
    assert post(http, emu, tokens, missing).json()["error"]["code"] == "missing_required_parameter"


# ---------------------------------------------------------------------------------------- rows 10-16

CALL = {"type": "function_call", "name": "get_weather", "arguments": '{"city":"Paris"}', "call_id": "call_x"}
OUTPUT = {"type": "function_call_output", "call_id": "call_x", "output": "22C"}


def test_row10_output_without_call(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    response = post(http, emu, tokens, body(input=[user("hi"), OUTPUT]))
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "No tool call found for function call output with call_id call_x.",
            "type": "invalid_request_error",
            "param": "input",
            "code": None,
        }
    }


def test_row11_call_without_output(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    response = post(http, emu, tokens, body(input=[user("hi"), CALL]))
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "No tool output found for function call call_x.",
            "type": "invalid_request_error",
            "param": "input",
            "code": None,
        }
    }
    assert post(http, emu, tokens, body(input=[user("hi"), CALL, OUTPUT])).status_code == 200


@pytest.mark.parametrize(
    "item",
    [
        {"id": "rs_123", "type": "reasoning", "summary": []},
        {
            "id": "msg_123",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "x"}],
        },
        {"id": "fc_123", **CALL},
        {"type": "item_reference", "id": "msg_9"},
    ],
)
def test_row12_server_ids_are_404(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, item: dict[str, Any]
) -> None:
    items = [user("hi"), item] + ([OUTPUT] if item.get("type") == "function_call" else [])
    response = post(http, emu, tokens, body(input=items))
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": f"Item with id '{item['id']}' not found. Items are not persisted when `store` is "
            "set to false. Try again with `store` set to true, or remove this item from your input.",
            "type": "invalid_request_error",
            "param": "input",
            "code": None,
        }
    }


def test_row13_bad_enum_value(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    bad_role = {"type": "message", "role": "other", "content": "hi"}
    response = post(http, emu, tokens, body(input=[user("hi"), bad_role]))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_value"
    assert error["param"] == "input[1].role"
    assert error["message"].startswith("Invalid value: 'other'. Supported values are: 'user'")
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"reasoning": {"effort": "huge"}}, "reasoning.effort"),
        ({"reasoning": {"effort": "low", "summary": "long"}}, "reasoning.summary"),
        ({"text": {"verbosity": "loud"}}, "text.verbosity"),
        ({"text": {"format": {"type": "yaml"}}}, "text.format.type"),
        ({"tool_choice": "sometimes"}, "tool_choice"),
        ({"include": ["everything"]}, "include[0]"),
        ({"tools": [{"type": "shell"}]}, "tools[0].type"),
        ({"input": [{"type": "bogus"}]}, "input[0].type"),
        (
            {
                "input": [
                    {"type": "message", "role": "assistant", "content": [{"type": "input_text", "text": "x"}]}
                ]
            },
            "input[0].content[0].type",
        ),
    ],
)
def test_row13_other_enums(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, extra: dict[str, Any], param: str
) -> None:
    response = post(http, emu, tokens, body(**extra))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert response.json()["error"]["code"] == "invalid_value"


@pytest.mark.parametrize(("model", "effort"), [("gpt-5.1-codex", "none"), ("gpt-5.5", "minimal")])
def test_row13_effort_not_supported_by_model(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, model: str, effort: str
) -> None:
    response = post(http, emu, tokens, body(model=model, reasoning={"effort": effort}))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "reasoning.effort"
    assert post(http, emu, tokens, body(model="gpt-5", reasoning={"effort": "minimal"})).status_code == 200


def test_row14_previous_response_id(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    response = post(http, emu, tokens, body(previous_response_id="resp_1"))
    assert response.status_code == 400
    assert response.json() == {"detail": "Unsupported parameter: previous_response_id"}


def test_row15_policy_block(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.policy_block()
    response = post(http, emu, tokens, body())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "cyber_policy"
    assert post(http, emu, tokens, body()).status_code == 200


def test_row16_usage_limit(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.usage_limit()
    response = post(http, emu, tokens, body())
    assert response.status_code == 429
    assert response.json()["error"]["type"] == "usage_limit_reached"


def test_rows_apply_in_table_order(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    everything_wrong = {"model": "gpt-4o", "input": [{"role": "system", "content": "x"}], "temperature": 1}
    assert post(http, emu, tokens, everything_wrong).json() == {"detail": "Stream must be set to true"}
    everything_wrong["stream"] = True
    assert post(http, emu, tokens, everything_wrong).json() == {"detail": "Store must be set to false"}
    everything_wrong["store"] = False
    assert post(http, emu, tokens, everything_wrong).json() == {"detail": "Instructions are required"}
    everything_wrong["instructions"] = "x"
    assert post(http, emu, tokens, everything_wrong).json() == {
        "detail": "Unsupported parameter: temperature"
    }
    del everything_wrong["temperature"]
    assert "gpt-4o" in post(http, emu, tokens, everything_wrong).json()["detail"]
    everything_wrong["model"] = "gpt-5.5"
    assert post(http, emu, tokens, everything_wrong).json() == {"detail": "System messages are not allowed"}


# ------------------------------------------------------------------------------------- tools, formats


def test_nested_chat_completions_tool_shape_rejected(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    nested = {
        "type": "function",
        "function": {"name": "f", "parameters": {"type": "object", "properties": {}}},
    }
    response = post(http, emu, tokens, body(tools=[nested]))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "tools[0].name"


def test_strict_tool_schema_rules(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    params = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a"],
    }
    tool = {"type": "function", "name": "f", "strict": True, "parameters": params}
    response = post(http, emu, tokens, body(tools=[tool]))
    assert response.status_code == 400
    assert "Missing 'b'" in response.json()["error"]["message"]
    fixed = {**params, "required": ["a", "b"], "additionalProperties": False}
    assert post(http, emu, tokens, body(tools=[{**tool, "parameters": fixed}])).status_code == 200


def test_strict_json_schema_format_rules(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    fmt = {"type": "json_schema", "name": "out", "strict": True, "schema": schema}
    response = post(http, emu, tokens, body(text={"format": fmt}))
    assert response.status_code == 400
    assert "additionalProperties" in response.json()["error"]["message"]
    fmt["schema"] = {**schema, "additionalProperties": False}
    assert post(http, emu, tokens, body(text={"format": fmt})).status_code == 200


def test_json_object_needs_the_word_json(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    fmt = {"format": {"type": "json_object"}}
    assert post(http, emu, tokens, body("give me a title", text=fmt)).status_code == 400
    assert post(http, emu, tokens, body("give me a title as JSON", text=fmt)).status_code == 200


def test_named_tool_choice_must_exist(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    tool = {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}
    choice = {"type": "function", "name": "g"}
    response = post(http, emu, tokens, body(tools=[tool], tool_choice=choice))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "tool_choice"


def test_replayed_items_need_their_required_fields(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    no_summary = {"type": "reasoning", "encrypted_content": None}
    response = post(http, emu, tokens, body(input=[user("hi"), no_summary]))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "input[1].summary"
    no_name = {"type": "function_call", "arguments": "{}", "call_id": "call_x"}
    output = {"type": "function_call_output", "call_id": "call_x", "output": "ok"}
    response = post(http, emu, tokens, body(input=[user("hi"), no_name, output]))
    assert response.json()["error"]["param"] == "input[1].name"


def test_forged_encrypted_content_rejected(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    forged = {"type": "reasoning", "summary": [], "encrypted_content": "gAAAABforged.sig"}
    response = post(http, emu, tokens, body(input=[user("hi"), forged]))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_encrypted_content"


def test_wrong_method_and_unknown_path(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    assert http.get(emu.url + URL, headers=auth_headers(tokens)).status_code == 405
    assert http.post(emu.url + "/backend-api/codex/other", json={}).status_code == 404
