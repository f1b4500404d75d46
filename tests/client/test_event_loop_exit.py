"""A process that drives the async client from a loop it never shuts down exits without asyncio noise.

``loop.run_until_complete(...)`` without ``loop.close()`` (scripts, some notebooks and frameworks) must not end
in "Task was destroyed but it is pending!" or a traceback from closing the HTTP client at interpreter exit.
"""

from __future__ import annotations

import subprocess
import sys

from oauth_codex.testing import CodexEmulator

SCRIPT = r"""
import asyncio, json, sys
from oauth_codex import CodexOAuthLLM, StaticTokenProvider
info = json.loads(sys.argv[1])
llm = CodexOAuthLLM(base_url=info["base_url"], token_provider=StaticTokenProvider(info["token"], info["account_id"]))
loop = asyncio.new_event_loop()
print(loop.run_until_complete(llm.agenerate(prompt="hi", model="gpt-5.5")))
"""


def test_an_unclosed_event_loop_exits_quietly(codex_emulator: CodexEmulator) -> None:
    import json

    tokens = codex_emulator.login_tokens()
    info = {"base_url": codex_emulator.base_url, "token": tokens.access_token, "account_id": tokens.account_id}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(info)], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip()
    assert "Task was destroyed" not in out.stderr
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr, out.stderr
