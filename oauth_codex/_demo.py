"""``oauth-codex demo``: the whole flow offline, in a few seconds, against an in-process emulator.

Starts a :class:`~oauth_codex.testing.CodexEmulator`, logs in through its OAuth server with the real PKCE
browser flow (a background "browser" follows the authorize URL to our loopback callback), streams an
answer, runs a tool-call round trip, and prints what happened at each step.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, TextIO
from urllib.parse import parse_qs, urlsplit

import httpx

if TYPE_CHECKING:
    from .testing import CodexEmulator

__all__ = ["run_demo"]

PROMPT = "Explain OAuth PKCE in one paragraph."
QUESTION = "What is the weather in Seoul?"


def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: The city name, e.g. "Seoul".
    """
    return f"Sunny and 22°C in {city}"


def run_demo(out: TextIO) -> int:
    """Run the offline demo, writing a narrated log to ``out``; returns the process exit code."""
    from . import CodexOAuthLLM, MemoryTokenStore
    from .auth import login
    from .errors import CodexError
    from .testing import CodexEmulator

    started = time.perf_counter()

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    try:
        with CodexEmulator() as emu:
            say(f"1. Started the offline Codex emulator at {emu.url}")
            config = emu.oauth_config(redirect_uri="http://localhost:0/auth/callback")
            store = MemoryTokenStore()
            browser = _Browser(emu)
            say("2. Logging in with ChatGPT (OAuth PKCE; a scripted browser approves the consent):")
            tokens = login(config, mode="browser", store=store, open_browser=browser, output=out, timeout=15)
            browser.join()
            say(f"   logged in as {tokens.email} (plan: {tokens.plan_type}); tokens kept in memory only")

            llm = CodexOAuthLLM(
                base_url=emu.base_url, oauth_config=config, token_store=store, interactive=False
            )
            with llm:
                say(f"3. Streaming an answer to {PROMPT!r}:")
                out.write("   ")
                for chunk in llm.generate_stream(prompt=PROMPT):
                    out.write(str(chunk))
                    out.flush()
                say()

                say(f"4. Tool-call round trip: {QUESTION!r} with tools=[get_weather]")
                messages = [{"role": "user", "content": QUESTION}]
                first = llm.generate(messages=messages, tools=[get_weather], return_details=True)
                for call in first.tool_calls:
                    say(f"   the model called {call.name}({call.arguments_json}) [call id {call.id}]")
                tool_results = [
                    {"tool_call_id": c.id, "name": c.name, "output": get_weather(**(c.arguments or {}))}
                    for c in first.tool_calls
                ]
                for result in tool_results:
                    say(f"   we ran it locally -> {result['output']!r}")
                final = llm.generate(
                    messages=messages, tools=[get_weather], tool_results=tool_results, return_details=True
                )
                say(f"   final answer: {final.text}")
                if final.usage is not None:
                    usage = final.usage
                    say(
                        f"   usage: {usage.input_tokens} in ({usage.cached_tokens} cached), "
                        f"{usage.output_tokens} out, {usage.total_tokens} total"
                    )
                limits = llm.last_rate_limits
                if limits is not None and limits.primary is not None:
                    say(
                        f"5. Rate limits reported by the backend: {limits.primary.used_percent:g}% of the "
                        f"{limits.primary.window_minutes}-minute window used (plan {limits.plan_type})"
                    )
            requests = len(emu.responses_requests)
        say(f"Done: {requests} backend requests in {time.perf_counter() - started:.2f}s, all offline.")
        say("Next: `oauth-codex login` signs in to the real chatgpt.com the same way.")
        return 0
    except CodexError as exc:
        say(f"demo failed: {exc}")
        return 1


class _Browser:
    """Stands in for the user's browser: follows the authorize URL and its redirects in a thread."""

    def __init__(self, emu: CodexEmulator) -> None:
        self._emu = emu
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        redirect_uri = parse_qs(urlsplit(url).query).get("redirect_uri", [""])[0]
        self._emu.allow_redirect_uri(redirect_uri)
        thread = threading.Thread(target=_visit, args=(url,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return True

    def join(self) -> None:
        for thread in self._threads:
            thread.join(10)


def _visit(url: str) -> None:
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        client.get(url)
