"""Typed drift errors through the LangChain adapter (issue 14 item 5)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.exceptions import ModelNotFoundError, ModelPermissionDeniedError
from langchain_oauth_codex import ChatCodexOAuth, CodexBlockedError, CodexModelNotSupportedError, CodexStreamError

import oauth_codex
from oauth_codex.testing import CodexEmulator


async def test_challenge_gate_and_policy(make_model: Callable[..., ChatCodexOAuth]) -> None:
    with CodexEmulator() as emu:
        model = make_model(emu=emu, model="gpt-5.5")
        emu.html_challenge(status=503)
        with pytest.raises(ModelPermissionDeniedError) as blocked:
            await model.ainvoke("hi")
        assert isinstance(blocked.value, CodexBlockedError) and isinstance(blocked.value, oauth_codex.BlockedError)
        assert blocked.value.is_retryable is False and "<html" not in str(blocked.value)
        assert len(emu.responses_requests) == 1

        emu.update_model("gpt-5.5", minimal_client_version="0.999.0")
        gated = make_model(emu=emu, model="gpt-5.5", client=emu.client(client_version="0.155.0"))
        with pytest.raises(ModelNotFoundError) as info:
            list(gated.stream("hi"))
        assert isinstance(info.value, CodexModelNotSupportedError) and info.value.gated
        assert "CODEX_OAUTH_CLIENT_VERSION" in str(info.value)

        emu.response_failed(code="bio_policy", times=3)
        before = len(emu.responses_requests)
        with pytest.raises(CodexStreamError) as failed:
            model.invoke("hi")
        assert failed.value.code == "bio_policy" and len(emu.responses_requests) == before + 1
