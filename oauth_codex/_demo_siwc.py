"""``oauth-codex demo --route siwc``: the "Sign in with ChatGPT" route offline, against a SIWC emulator.

Registers the app and signs in with the real browser flow (a background "browser" follows the authorize URL
to our loopback callback), verifies the RS256 ID token, lists the models, streams an answer, runs a
tool-call round trip and signs out (revocation). Everything lives in the emulator's temporary home.
"""

from __future__ import annotations

import io
import time
from typing import TextIO

from ._demo import PROMPT, QUESTION, get_weather

__all__ = ["run_siwc_demo"]


def run_siwc_demo(out: TextIO) -> int:
    """Run the offline SIWC demo, writing a narrated log to ``out``; returns the process exit code."""
    from .auth import SiwcTokenProvider, siwc_login, siwc_logout
    from .client import CodexOAuthLLM
    from .errors import CodexError
    from .testing import SiwcEmulator

    started = time.perf_counter()

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    try:
        with SiwcEmulator() as emu:
            config = emu.siwc_config()
            say(f'1. Started the offline "Sign in with ChatGPT" emulator at {emu.url}')
            say("2. Continue with ChatGPT: registering this app and signing in (a scripted browser approves):")
            notes = io.StringIO()
            record = siwc_login(config, mode="browser", open_browser=emu.browser, output=notes, timeout=15)
            for line in notes.getvalue().splitlines():
                if "/authorize?" not in line:
                    say(f"   {line.strip()}")
            say(f"   issued client id {record.client_id}; ID token verified (RS256, iss, aud, nonce)")
            provider = SiwcTokenProvider(config, interactive=False)
            with CodexOAuthLLM(route="siwc", siwc_config=config, token_provider=provider) as llm:
                models = [m.slug for m in llm.list_models()]
                say(f"3. Models this plan lists: {', '.join(models)}")
                llm.model = models[0] if models else None
                say(f"4. Streaming an answer to {PROMPT!r} from {llm.model}:")
                out.write("   ")
                for chunk in llm.generate_stream(prompt=PROMPT):
                    out.write(str(chunk))
                    out.flush()
                say()
                say(f"5. Tool-call round trip: {QUESTION!r} (tools travel in an additional_tools item)")
                messages = [{"role": "user", "content": QUESTION}]
                first = llm.generate(messages=messages, tools=[get_weather], return_details=True)
                results = [
                    {"tool_call_id": c.id, "name": c.name, "output": get_weather(**(c.arguments or {}))}
                    for c in first.tool_calls
                ]
                for call, result in zip(first.tool_calls, results, strict=True):
                    say(f"   the model called {call.name}({call.arguments_json}) -> {result['output']!r}")
                final = llm.generate(messages=messages, tools=[get_weather], tool_results=results)
                say(f"   final answer: {final}")
            outcome = siwc_logout(config)
            say(f"6. Signed out: {outcome.message}")
            requests = len(emu.requests_to("/v1/responses"))
        say(f"Done: {requests} /v1/responses requests in {time.perf_counter() - started:.2f}s, all offline.")
        say("Next: `oauth-codex login --route siwc` signs in to the real ChatGPT the same way.")
        return 0
    except CodexError as exc:
        say(f"demo failed: {exc}")
        return 1
