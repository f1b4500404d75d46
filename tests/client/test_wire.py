"""Every option's wire form, read back from the emulator's request log."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from oauth_codex import CodexOAuthLLM, ModelNotSupportedError
from oauth_codex._version import __version__
from oauth_codex.client import DEFAULT_MODEL
from oauth_codex.testing import CodexEmulator

from .helpers import MODES, run


def sent(emu: CodexEmulator) -> dict[str, Any]:
    body = emu.responses_requests[-1].json
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("mode", MODES)
async def test_headers_and_defaults(llm: CodexOAuthLLM, emu: CodexEmulator, mode: str) -> None:
    await run(llm, mode, prompt="hi")
    request = emu.responses_requests[-1]
    tokens = llm.token_provider.get_token()
    assert request.headers["authorization"] == f"Bearer {tokens.token}"
    assert request.headers["chatgpt-account-id"] == tokens.account_id
    assert request.headers["originator"] == "codex_cli_rs"
    assert request.headers["user-agent"].startswith(f"oauth-codex/{__version__} (")
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["openai-beta"] == "responses=experimental"
    body = request.json
    assert body["model"] == DEFAULT_MODEL == "gpt-5.5"
    assert body["instructions"]
    assert body["stream"] is True and body["store"] is False
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["tools"] == [] and body["tool_choice"] == "auto" and body["parallel_tool_calls"] is False
    assert body["prompt_cache_key"] == request.headers["session_id"] == llm.session_id
    assert body["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    ]


def test_session_id_is_stable_per_client_and_differs_between_clients(
    llm: CodexOAuthLLM, emu: CodexEmulator
) -> None:
    llm.generate(prompt="a")
    llm.generate(prompt="b")
    first, second = emu.responses_requests[-2:]
    assert first.headers["session_id"] == second.headers["session_id"]
    other = emu.client(token_provider=llm.token_provider)
    other.generate(prompt="c")
    assert emu.responses_requests[-1].headers["session_id"] != first.headers["session_id"]
    # a per-call prompt_cache_key moves the session header with it
    llm.generate(prompt="d", prompt_cache_key="conversation-7")
    assert sent(emu)["prompt_cache_key"] == "conversation-7"
    assert emu.responses_requests[-1].headers["session_id"] == "conversation-7"


def test_seed_request_options(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    def lookup(key: str, limit: int = 3) -> str:
        return key

    result = llm.generate(
        model="gpt-5.3-codex",
        prompt="Return valid JSON with title and summary",
        response_format={"type": "json_object"},
        tool_choice="required",
        strict_output=True,
        reasoning={"effort": "high"},
        store=False,
        tools=[lookup],
        return_details=True,
    )
    body = sent(emu)
    assert body["model"] == "gpt-5.3-codex"
    assert body["text"] == {"format": {"type": "json_object"}}
    assert body["tool_choice"] == "required"
    assert body["reasoning"] == {"effort": "high"}
    assert body["store"] is False
    assert body["tools"][0]["strict"] is True
    assert body["tools"][0]["parameters"]["required"] == ["key", "limit"]
    assert body["tools"][0]["parameters"]["additionalProperties"] is False
    assert result.finish_reason == "tool_calls"


def test_store_true_is_refused_before_anything_is_sent(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    # audit CODEX-2026-12 ranked mismatch 5: the backend 400s every store=true, so don't send it
    with pytest.raises(ValueError, match="store=True is not supported"):
        llm.generate(prompt="x", store=True)
    assert emu.responses_requests == []


class Movie(BaseModel):
    title: str
    year: int
    tags: list[str] = []


def test_pydantic_response_format_and_text_merge(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    text = llm.generate(prompt="a movie", response_format=Movie, text={"verbosity": "low"})
    body = sent(emu)
    assert body["text"]["verbosity"] == "low"
    fmt = body["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["name"] == "Movie" and fmt["strict"] is True
    assert fmt["schema"]["required"] == ["title", "year", "tags"]
    assert Movie.model_validate_json(text)


def test_options_passed_as_is(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    def f(x: int) -> int:
        return x

    llm.generate(
        prompt="call f with 3",
        tools=[f],
        tool_choice={"type": "function", "name": "f"},
        parallel_tool_calls=True,
        reasoning={"effort": "low", "summary": "auto"},
        include=["reasoning.encrypted_content", "web_search_call.action.sources"],
        return_details=True,
    )
    body = sent(emu)
    assert body["tool_choice"] == {"type": "function", "name": "f"}
    assert body["parallel_tool_calls"] is True
    assert body["reasoning"] == {"effort": "low", "summary": "auto"}
    assert body["include"] == ["reasoning.encrypted_content", "web_search_call.action.sources"]
    assert body["tools"][0]["strict"] is False


def test_instructions_sources(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    llm.generate(messages=[{"role": "system", "content": "Sys."}, {"role": "user", "content": "u"}])
    body = sent(emu)
    assert body["instructions"] == "Sys."
    assert all(item.get("role") != "system" for item in body["input"])
    llm.generate(prompt="u", instructions="Per call.")
    assert sent(emu)["instructions"] == "Per call."
    custom = emu.client(token_provider=llm.token_provider, instructions="Client default.")
    custom.generate(prompt="u")
    assert sent(emu)["instructions"] == "Client default."


def test_images_become_input_image(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
        "AAAABJRU5ErkJggg=="
    )
    llm.generate(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this"},
                    {"type": "image_url", "image_url": {"url": pixel}},
                ],
            }
        ]
    )
    assert sent(emu)["input"][0]["content"][1] == {"type": "input_image", "image_url": pixel}


def test_model_not_supported(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    with pytest.raises(ModelNotSupportedError, match="gpt-4o"):
        llm.generate(prompt="x", model="gpt-4o")
    assert len(emu.responses_requests) == 1


def test_client_default_model(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    chosen = emu.client(token_provider=llm.token_provider, model="gpt-5.4-mini")
    chosen.generate(prompt="x")
    assert sent(emu)["model"] == "gpt-5.4-mini"
    chosen.generate(prompt="x", model="gpt-5.4")
    assert sent(emu)["model"] == "gpt-5.4"


def test_custom_originator(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    emu.client(token_provider=llm.token_provider, originator="my_app").generate(prompt="x")
    assert emu.responses_requests[-1].headers["originator"] == "my_app"
