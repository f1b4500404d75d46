"""Every Python snippet in README.md runs, in order, against the emulator; the set-up commands stay true."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from oauth_codex.auth import FileTokenStore, OAuthConfig
from oauth_codex.testing import CodexEmulator

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang == language]


def test_readme_starts_with_the_setup_commands() -> None:
    first = FENCE.search(README)
    assert first is not None and first.group(1) == "bash"
    commands = [line.split("#")[0].strip() for line in first.group(2).splitlines()]
    assert commands == ['python -m pip install -e ".[dev]"', "pytest -q", "oauth-codex demo"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'python -m pip install -e ".[dev]"' in ci
    assert re.search(r"^pytest -q", ci, re.M)


def test_python_snippets_run_against_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    snippets = blocks("python")
    assert len(snippets) >= 10
    with CodexEmulator() as emu:
        for name, value in emu.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CODEX_OAUTH_STORAGE", "file")
        FileTokenStore(OAuthConfig.from_env().home_dir / "auth.json").save(emu.login_tokens())
        namespace: dict[str, object] = {"__name__": "__readme__"}
        for index, snippet in enumerate(snippets):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                try:
                    exec(compile(snippet, f"README.md[python #{index}]", "exec"), namespace)  # noqa: S102
                except Exception as exc:  # pragma: no cover - the message is the point
                    raise AssertionError(f"README python snippet #{index} failed:\n{snippet}") from exc
            assert out.getvalue().strip(), f"README python snippet #{index} printed nothing:\n{snippet}"
        assert len(emu.responses_requests) >= len(snippets)


def test_the_demo_command_runs_offline() -> None:
    """The README's third command, through the installed console script."""
    import subprocess
    import sys

    script = Path(sys.executable).with_name("oauth-codex")
    assert script.exists(), "the console script is installed next to the interpreter"
    done = subprocess.run([str(script), "demo"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Tool-call round trip" in done.stdout and "all offline" in done.stdout
