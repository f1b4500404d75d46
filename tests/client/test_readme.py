"""Every Python snippet of the seed README runs verbatim against the emulator.

The environment points the client at the emulator (``emu.env()``) and a login is already stored where the
default token store looks (``$CODEX_OAUTH_HOME/auth.json``; the keyring is the failing backend, so the
automatic store falls back to the file), exactly as a user who ran ``oauth-codex login`` would have it.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from oauth_codex.auth import FileTokenStore
from oauth_codex.testing import CodexEmulator

SEED = Path(__file__).parent.parent / "fixtures" / "seed_README.md"


def snippets() -> dict[str, str]:
    """``{section title: python code}`` for every ```python block, in README order."""
    text = SEED.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    section = ""
    for block in re.finditer(
        r"^## (?P<title>[^\n]+)$|^```python\n(?P<code>.*?)^```", text, re.MULTILINE | re.DOTALL
    ):
        if block.group("title"):
            section = block.group("title").strip()
        else:
            found[section] = block.group("code")
    return found


def test_the_seed_has_the_expected_snippets() -> None:
    assert list(snippets()) == [
        "Quick Start",
        "Request Options",
        "Streaming",
        "Async",
        "Manual Function Calling",
    ]


@pytest.fixture
def logged_in_env(emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch) -> CodexEmulator:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    FileTokenStore().save(emu.login_tokens())
    return emu


def test_seed_readme_snippets_run_verbatim(logged_in_env: CodexEmulator) -> None:
    emu = logged_in_env
    namespace: dict[str, object] = {"__name__": "__readme__"}
    outputs: dict[str, str] = {}
    for title, code in snippets().items():
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, f"<seed README: {title}>", "exec"), namespace)  # noqa: S102
        outputs[title] = buffer.getvalue()

    assert outputs["Quick Start"] == 'Emulator reply to: "Explain OAuth PKCE in 3 bullets."\n'
    assert outputs["Streaming"] == 'Emulator reply to: "Write one short paragraph about PKCE."'
    assert outputs["Async"] == 'Emulator reply to: "Summarize OAuth in 2 lines."\n'
    assert "Sunny in Seoul" in outputs["Manual Function Calling"]

    result = namespace["result"]  # the last `result` is the function-calling one
    assert getattr(result, "finish_reason") == "tool_calls"  # noqa: B009

    bodies = [r.json for r in emu.responses_requests]
    assert all(b["model"] == "gpt-5.3-codex" for b in bodies)
    options = bodies[1]
    assert options["text"] == {"format": {"type": "json_object"}}
    assert options["tool_choice"] == "required"
    assert options["reasoning"] == {"effort": "high"}
    assert options["store"] is False
    final = bodies[-1]
    assert [i["type"] for i in final["input"]] == ["message", "function_call", "function_call_output"]
    assert final["input"][2]["output"] == "Sunny in Seoul"
    # every request went to the emulator with the stored login, nothing else was needed
    assert emu.grant_counts.get("authorization_code", 0) == 0
