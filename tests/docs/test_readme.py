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


def commands(block: str) -> list[str]:
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def section(title: str) -> str:
    """The text of the ``## title`` section (up to the next ``## ``)."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match is not None, f"README has no '## {title}' section"
    return match.group(1)


def test_readme_starts_with_the_two_setup_commands_and_the_demo() -> None:
    """A clone's first lines: the install command and the test command CI runs, then the offline demo."""
    first = FENCE.search(README)
    assert first is not None and first.group(1) == "bash"
    assert commands(first.group(2)) == ['python -m pip install -e ".[dev]"', "pytest -q", "oauth-codex demo"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'python -m pip install -e ".[dev]"' in ci
    assert re.search(r"^pytest -q", ci, re.M)


def test_a_users_install_and_login_come_right_after() -> None:
    """Right below, what a user of the package runs (issue 15, item 14): PyPI install, login, the extras."""
    headings = re.findall(r"^## (.+)$", README, re.M)
    assert headings[:2] == ["Install and sign in", "Development"]
    user = section("Install and sign in")
    block = FENCE.search(user)
    assert block is not None and block.group(1) == "bash"
    user_commands = commands(block.group(2))
    assert user_commands[0] == "pip install oauth-codex"
    assert "oauth-codex login" in user_commands and "oauth-codex doctor --live" in user_commands
    assert '"oauth-codex[langchain]"' in user and '"oauth-codex[llama-index]"' in user


def test_every_cli_command_and_flag_is_documented() -> None:
    import argparse

    from oauth_codex.cli import build_parser

    cli = section("Command line")
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        assert f"`oauth-codex {name}" in cli, f"command {name} is not documented"
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in cli, f"{name} {flag} is not documented"
    assert "stdin" in cli and "| oauth-codex chat" in cli
    assert "oauth-codex emulator" in cli and "export" in cli


def test_notebooks_are_linked() -> None:
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"(notebooks/{notebook.name})" in README, notebook.name


def test_migration_section_maps_0_3_and_4_x() -> None:
    migrating = section("Migrating from 0.3 / 4.x")
    for old in ("gpt-5.3-codex", "codex-oauth-llm", "client.authenticate()", "responses.create", "run_tools"):
        assert old in migrating, old
    assert "from oauth_codex.openai import OpenAI" in migrating


def test_release_instructions_tag_the_current_version() -> None:
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert f"git tag v{version} " in section("Development")


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
