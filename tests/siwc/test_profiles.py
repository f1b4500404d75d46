"""The SIWC route picks its profile like the Codex route: ``profile_name=`` > ``CODEX_OAUTH_PROFILE`` > current."""

from __future__ import annotations

import pytest

from oauth_codex import CodexOAuthLLM
from oauth_codex.auth import SiwcConfig
from oauth_codex.testing import SiwcEmulator

MODEL = "gpt-6.1-sol"


def test_profile_name_selects_the_siwc_profile_and_answers_name_it(
    emu: SiwcEmulator, config: SiwcConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.login(config=config, profile="work", enable_plan=True)
    with emu.client(model=MODEL, profile_name="work") as llm:
        result = llm.generate("hi", return_details=True)
        assert llm.profile_name == "work" and result.profile_name == "work"
    monkeypatch.setenv("CODEX_OAUTH_PROFILE", "work")
    with CodexOAuthLLM(route="auto", siwc_config=config, interactive=False, model=MODEL) as auto:
        assert auto.route == "siwc"  # the selected profile has a SIWC login with plan usage
        assert auto.generate("hi", return_details=True).profile_name == "work"
    monkeypatch.delenv("CODEX_OAUTH_PROFILE")
    with CodexOAuthLLM(route="auto", siwc_config=config, interactive=False) as other:
        assert other.route == "codex"  # "default" has no SIWC login
