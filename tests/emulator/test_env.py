"""``CodexEmulator.env()`` points a process at the emulator without touching the user's real login."""

from __future__ import annotations

import os
from pathlib import Path

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


def test_an_emulator_home_is_removed_even_without_stop(tmp_path: Path) -> None:
    """Its CODEX_OAUTH_HOME holds (emulator) tokens: it must not outlive the process (issue 15, item 8)."""
    import subprocess
    import sys

    code = (
        "from oauth_codex.testing import CodexEmulator\n"
        "from oauth_codex.auth import FileTokenStore\n"
        "emu = CodexEmulator().start()\n"
        "home = emu.env()['CODEX_OAUTH_HOME']\n"
        "FileTokenStore(home + '/auth.json').save(emu.login_tokens())\n"
        "print(home)\n"  # and exit without stop()
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    home = Path(done.stdout.strip())
    assert home.name.startswith("oauth-codex-emulator-")
    assert not home.exists()
