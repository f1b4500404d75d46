"""The smoke-test examples (run offline with --emulator in a subprocess) and the demo."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oauth_codex._demo import run_demo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEX_OAUTH_")}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, env=env, cwd=EXAMPLES.parent
    )


def test_login_smoke_test_offline() -> None:
    done = run_example(
        str(EXAMPLES / "login_smoke_test.py"), "--model", "gpt-5.3-codex", "--prompt", "hello", "--emulator"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("[emulator] http://127.0.0.1:")
    assert '[generate] Emulator reply to: "hello"' in lines
    assert '[stream] Emulator reply to: "hello"' in lines
    assert '[agenerate] Emulator reply to: "hello"' in lines
    assert any(line.startswith("[usage] input=") for line in lines)
    assert any(line.startswith("[rate limits] primary") for line in lines)
    assert lines[-1] == "OK"


def test_request_options_smoke_test_offline() -> None:
    done = run_example(
        str(EXAMPLES / "request_options_smoke_test.py"), "--model", "gpt-5.3-codex", "--emulator"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("PASS ") for line in lines) == 9
    assert not any(line.startswith("FAIL ") for line in lines)
    assert any(line.startswith("PASS store=True is refused before sending: refused before sending:") for line in lines)


def test_demo_runs_the_whole_flow_offline() -> None:
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert "Logged in as user@example.com" in text
    assert 'Emulator reply to: "Explain OAuth PKCE in one paragraph."' in text
    assert 'the model called get_weather({"city": "Seoul"})' in text
    assert "final answer: Here is what I found. get_weather returned: Sunny and 22°C in Seoul." in text
    assert "Done: 3 backend requests" in text


@pytest.mark.parametrize("script", ["login_smoke_test.py", "request_options_smoke_test.py"])
def test_examples_have_help(script: str) -> None:
    done = run_example(str(EXAMPLES / script), "--help")
    assert done.returncode == 0 and "--emulator" in done.stdout
