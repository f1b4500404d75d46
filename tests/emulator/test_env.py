"""``CodexEmulator.env()`` points a process at the emulator without touching the user's real login."""

from __future__ import annotations

import os

from oauth_codex.auth import OAuthConfig, default_token_store
from oauth_codex.testing import CodexEmulator


def test_env_isolates_the_login_home_and_removes_it_on_stop() -> None:
    emu = CodexEmulator().start()
    env = emu.env()
    home = env["CODEX_OAUTH_HOME"]
    assert env["CODEX_OAUTH_STORAGE"] == "file"
    assert os.path.isdir(home) and emu.env()["CODEX_OAUTH_HOME"] == home
    assert home != os.environ["CODEX_OAUTH_HOME"]
    config = OAuthConfig.from_env(env)
    default_token_store(config).save(emu.login_tokens())
    assert (config.home_dir / "auth.json").exists()
    emu.stop()
    assert not os.path.exists(home)
