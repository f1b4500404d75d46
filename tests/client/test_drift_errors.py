"""Typed drift errors over loopback (issue 14 item 5; audit CODEX-2026-12 §3, §4, §7).

ModelNotSupportedError for the client-version gate and for unknown/retired models (naming the slugs and
the variable to set), BlockedError for HTML challenge pages (never quoting the HTML), and policy codes in
``response.failed`` that are never re-sent.
"""

from __future__ import annotations

import pytest

from oauth_codex import (
    BlockedError,
    CodexOAuthLLM,
    ModelNotSupportedError,
    PermissionDeniedError,
    StreamError,
)
from oauth_codex.testing import CodexEmulator

from .helpers import MODES, run


@pytest.mark.parametrize("mode", MODES)
async def test_client_version_gate_is_model_not_supported(emu: CodexEmulator, mode: str) -> None:
    emu.update_model("gpt-5.5", minimal_client_version="0.200.0")
    llm = emu.client(client_version="0.155.0", retry_backoff=0.001)
    with pytest.raises(ModelNotSupportedError) as info:
        await run(llm, mode, prompt="x", model="gpt-5.5")
    error = info.value
    assert error.gated is True and error.model == "gpt-5.5" and error.status_code == 400
    assert "requires a newer Codex client version" in str(error)
    assert "CODEX_OAUTH_CLIENT_VERSION" in str(error)
    assert "gpt-5.6-sol" in error.available_models and "gpt-5.6-sol" in str(error)
    assert len(emu.responses_requests) == 1  # a 400 is never re-sent
    assert emu.responses_requests[0].header("version") == "0.155.0"


async def test_advertising_no_version_is_not_gated(emu: CodexEmulator) -> None:
    # audit §7: clients that advertise no Codex version pass; that is the default
    emu.update_model("gpt-5.5", minimal_client_version="0.200.0")
    llm = emu.client()
    assert llm.generate(prompt="x", model="gpt-5.5") == 'Emulator reply to: "x"'
    assert emu.responses_requests[-1].header("version") is None


@pytest.mark.parametrize("mode", MODES)
async def test_unknown_model_lists_the_catalog_slugs(llm: CodexOAuthLLM, emu: CodexEmulator, mode: str) -> None:
    with pytest.raises(ModelNotSupportedError) as info:
        await run(llm, mode, prompt="x", model="gpt-4o")
    error = info.value
    assert error.gated is False and error.model == "gpt-4o"
    # no catalog cached yet: the built-in list is offered
    assert error.available_models[:2] == ["gpt-6-astra", "gpt-6-sol"]
    assert "CODEX_OAUTH_MODEL" in str(error) and "gpt-6-astra" in str(error)
    assert len(emu.responses_requests) == 1


async def test_retired_model_names_what_is_left(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    llm.list_models()  # the catalog is cached for this account
    emu.retire_model("gpt-5.4")
    llm.list_models(refresh=True)
    with pytest.raises(ModelNotSupportedError) as info:
        await llm.agenerate(prompt="x", model="gpt-5.4")
    assert "gpt-5.4" not in info.value.available_models
    assert "gpt-5.3-codex" in info.value.available_models  # this emulator's own catalog, not the built-in list
    assert "'gpt-5.4'" in str(info.value)


@pytest.mark.parametrize("status", [403, 503])
@pytest.mark.parametrize("mode", MODES)
async def test_html_challenge_is_blocked_error(
    llm: CodexOAuthLLM, emu: CodexEmulator, mode: str, status: int
) -> None:
    emu.html_challenge(status=status, times=5)
    with pytest.raises(BlockedError) as info:
        await run(llm, mode, prompt="x")
    error = info.value
    assert isinstance(error, PermissionDeniedError) and error.status_code == status
    assert error.ray_id and error.ray_id.endswith("-EMU") and error.ray_id in str(error)
    assert "<" not in str(error) and "Just a moment" not in str(error)
    assert "Cloudflare challenge" in str(error)
    assert len(emu.responses_requests) == 1  # not retried, even as a 503


def test_plain_html_5xx_is_still_retried(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    # a gateway's HTML error page (502 Bad Gateway) is an ordinary outage, not a block
    emu.server_error(status=502)
    assert llm.generate(prompt="x")
    assert len(emu.responses_requests) == 2


@pytest.mark.parametrize("code", ["bio_policy", "cyber_policy", "weapons_policy"])
@pytest.mark.parametrize("mode", MODES)
async def test_policy_codes_in_response_failed_are_fatal(
    llm: CodexOAuthLLM, emu: CodexEmulator, mode: str, code: str
) -> None:
    emu.response_failed(code=code, times=5)
    with pytest.raises(StreamError) as info:
        await run(llm, mode, prompt="x")
    assert info.value.code == code
    assert "will not help" in str(info.value)
    assert len(emu.responses_requests) == 1  # audit §3 ranked 8: was re-sent up to 4 more times


def test_unknown_event_and_item_types_pass_through_raw(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    emu.inject_raw(
        b'event: response.future_thing\ndata: {"type":"response.future_thing","x":1}\n\n'
        b'event: response.output_item.done\ndata: {"type":"response.output_item.done","output_index":7,'
        b'"item":{"type":"future_item","id":"fi_1","payload":{"k":"v"}}}\n\n',
        after_events=3,
    )
    events = list(llm.generate_stream(prompt="x", raw_events=True))
    kinds = [e.type for e in events]
    assert "response.future_thing" in kinds
    assert events[kinds.index("response.future_thing")].raw == {"type": "response.future_thing", "x": 1}
    final = events[-1].response or {}
    assert any(item.get("type") == "future_item" for item in final["output"])
