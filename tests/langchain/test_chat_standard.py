"""langchain-tests standard suites, configured only through properties.

The unit suite needs no server (a static token provider and a base URL that is never contacted); the
integration suite runs offline against the shared :class:`~oauth_codex.testing.CodexEmulator`.

Every standard test we do not run is an override marked ``xfail(run=False, reason=...)``: the multimodal
tests download their fixtures from the internet, the Codex backend takes no audio, and ``test_stream_time``
replays VCR cassettes recorded against the real backend. ``test_chat_offline_multimodal.py`` covers images
and PDFs offline with inline data instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_oauth_codex import ChatCodexOAuth
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from oauth_codex import StaticTokenProvider
from oauth_codex.testing import CodexEmulator

MODEL = "gpt-5.4"
_NEVER_CONTACTED = "http://127.0.0.1:9/backend-api/codex"
_NETWORK = (
    "downloads its fixture from the internet; the suite runs offline (see test_chat_offline_multimodal.py)"
)


class TestChatCodexOAuthUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatCodexOAuth

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": MODEL,
            "token_provider": StaticTokenProvider("unit-test-token"),
            "base_url": _NEVER_CONTACTED,
        }

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        # The suite injects api_key="test"; ChatCodexOAuth ignores API keys with a warning
        # (test_chat_models.py checks it), so leave it out here.
        params = super().standard_chat_model_params
        params.pop("api_key", None)
        return params

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"CODEX_OAUTH_BASE_URL": _NEVER_CONTACTED},
            {"model": MODEL, "token_provider": StaticTokenProvider("unit-test-token")},
            {"base_url": _NEVER_CONTACTED, "model_name": MODEL},
        )

    @property
    def model_override_value(self) -> str:
        return "gpt-5.5"

    @property
    def supports_json_mode(self) -> bool:
        return True

    @pytest.mark.xfail(
        reason="dumpd works (test_chat_models.py::test_dumpd_round_trips_without_secrets), but langchain-core "
        "1.8's load() only rebuilds classes of its partner allowlist unless allowed_objects='all' is passed, "
        "which the standard test does not",
        run=False,
    )
    def test_serdes(self, *args: Any) -> None:
        super().test_serdes(*args)


class TestChatCodexOAuthIntegration(ChatModelIntegrationTests):
    emulator: CodexEmulator
    params_for: Callable[[CodexEmulator], dict[str, Any]]

    @pytest.fixture(autouse=True)
    def _use_shared_emulator(
        self, shared_emulator: CodexEmulator, emulator_params: Callable[[CodexEmulator], dict[str, Any]]
    ) -> None:
        self.emulator = shared_emulator
        self.params_for = emulator_params

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatCodexOAuth

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return self.params_for(self.emulator)

    @property
    def model_override_value(self) -> str:
        return "gpt-5.5"

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        details = ["reasoning_output", "cache_read_input"]
        return {"invoke": list(details), "stream": list(details)}

    def _call(self, model: ChatCodexOAuth, *, stream: bool) -> AIMessage:
        prompt = "Write one short sentence about caching."
        if not stream:
            return model.invoke(prompt)
        full: AIMessageChunk | None = None
        for chunk in model.stream(prompt):
            full = chunk if full is None else full + chunk
        assert full is not None
        return full

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        model = ChatCodexOAuth(**{**self.chat_model_params, "reasoning_effort": "low"})
        return self._call(model, stream=stream)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        model = ChatCodexOAuth(**{**self.chat_model_params, "prompt_cache_key": "standard-suite-cache"})
        self._call(model, stream=stream)  # primes the cache shard
        return self._call(model, stream=stream)

    @pytest.mark.xfail(reason=f"test_image_inputs {_NETWORK}", run=False)
    def test_image_inputs(self, *args: Any) -> None:
        super().test_image_inputs(*args)

    @pytest.mark.xfail(reason=f"test_image_tool_message {_NETWORK}", run=False)
    def test_image_tool_message(self, *args: Any) -> None:
        super().test_image_tool_message(*args)

    @pytest.mark.xfail(reason=f"test_pdf_inputs {_NETWORK}", run=False)
    def test_pdf_inputs(self, *args: Any) -> None:
        super().test_pdf_inputs(*args)

    @pytest.mark.xfail(reason=f"test_pdf_tool_message {_NETWORK}", run=False)
    def test_pdf_tool_message(self, *args: Any) -> None:
        super().test_pdf_tool_message(*args)

    @pytest.mark.xfail(
        reason="test_anthropic_inputs downloads an image (images are supported) from the internet; the "
        "Anthropic-style tool_use / thinking history is sent offline by test_chat_offline_multimodal.py",
        run=False,
    )
    def test_anthropic_inputs(self, *args: Any) -> None:
        super().test_anthropic_inputs(*args)

    @pytest.mark.xfail(
        reason="the Codex backend accepts no audio input (and the test downloads a WAV file)", run=False
    )
    def test_audio_inputs(self, *args: Any) -> None:
        super().test_audio_inputs(*args)

    @pytest.mark.xfail(
        reason="benchmarks VCR cassettes recorded against the real chatgpt.com backend, which this offline "
        "suite cannot record; streaming cost is measured by benchmarks/adapter_overhead.py",
        run=False,
    )
    def test_stream_time(self, *args: Any) -> None:
        super().test_stream_time(*args)
