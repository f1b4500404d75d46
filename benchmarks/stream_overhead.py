"""Streaming overhead of ``CodexOAuthLLM.generate_stream`` against a raw httpx floor and the openai SDK.

    python benchmarks/stream_overhead.py [--deltas 20000] [--rounds 7] [--import-runs 15]

The emulator runs in a separate process (so the server does not compete with the client for the GIL) and
answers every request with the same stream of ``--deltas`` text deltas. Each round runs, in rotating order:

* ``floor``: a raw ``httpx`` loop that splits SSE lines and ``json.loads`` every event (no error handling);
* ``oauth_codex``: ``CodexOAuthLLM.generate_stream`` (text deltas; retries, errors and accumulation on);
* ``openai``: the openai SDK's ``client.responses.create(stream=True)`` with ``base_url`` at the emulator.

Reported: median wall time and client CPU time per stream, and ratios to the floor. Then the import time of
``import oauth_codex`` vs ``import httpx; from pydantic import BaseModel`` in fresh interpreters (median of
interleaved runs), and whether langchain, llama_index, keyring or the emulator were loaded.
Targets: oauth_codex <= 1.15x floor, faster than openai; import <= 1.3x. Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
from _harness import INSTRUCTIONS, MODEL, PROMPT, emulator_process, print_table, run_rounds


def make_floor(info: dict[str, str]) -> Callable[[], str]:
    client = httpx.Client(timeout=httpx.Timeout(300.0, connect=10.0))
    headers = {
        "Authorization": f"Bearer {info['token']}",
        "ChatGPT-Account-ID": info["account_id"],
        "Accept": "text/event-stream",
        "originator": "codex_cli_rs",
    }
    body = {
        "model": MODEL,
        "instructions": INSTRUCTIONS,
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": PROMPT}]}],
        "tools": [],
        "store": False,
        "stream": True,
    }
    url = f"{info['base_url']}/responses"

    def run() -> str:
        parts: list[str] = []
        with client.stream("POST", url, json=body, headers=headers) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    if event["type"] == "response.output_text.delta":
                        parts.append(event["delta"])
        return "".join(parts)

    return run


def make_ours(info: dict[str, str]) -> Callable[[], str]:
    from oauth_codex import CodexOAuthLLM, StaticTokenProvider

    llm = CodexOAuthLLM(
        base_url=info["base_url"],
        token_provider=StaticTokenProvider(info["token"], info["account_id"]),
        model=MODEL,
        instructions=INSTRUCTIONS,
    )

    def run() -> str:
        return "".join(llm.generate_stream(prompt=PROMPT))  # type: ignore[arg-type]

    return run


def make_openai(info: dict[str, str]) -> Callable[[], str]:
    from openai import OpenAI

    client = OpenAI(
        base_url=info["base_url"],
        api_key=info["token"],
        default_headers={"ChatGPT-Account-ID": info["account_id"], "originator": "codex_cli_rs"},
        max_retries=0,
    )

    def run() -> str:
        parts: list[str] = []
        stream = client.responses.create(
            model=MODEL,
            instructions=INSTRUCTIONS,
            input=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": PROMPT}]}],
            store=False,
            stream=True,
        )
        for event in stream:
            if event.type == "response.output_text.delta":
                parts.append(event.delta)
        return "".join(parts)

    return run


def bench_streams(info: dict[str, str], rounds: int) -> dict[str, dict[str, float]]:
    runners = {"floor": make_floor(info), "oauth_codex": make_ours(info), "openai": make_openai(info)}
    return run_rounds(runners, rounds)


IMPORT_OURS = (
    "import time, sys; t = time.perf_counter(); import oauth_codex; d = time.perf_counter() - t;"
    "heavy = [m for m in ('langchain_core', 'llama_index', 'keyring', 'oauth_codex.testing')"
    " if m in sys.modules];"
    "print(d, ','.join(heavy))"
)
IMPORT_DEPS = (
    "import time; t = time.perf_counter(); import httpx; from pydantic import BaseModel;"
    "print(time.perf_counter() - t, '')"
)


def bench_imports(runs: int) -> dict[str, Any]:
    times: dict[str, list[float]] = {"oauth_codex": [], "httpx+pydantic": []}
    heavy: set[str] = set()
    for _ in range(runs):
        for name, code in (("oauth_codex", IMPORT_OURS), ("httpx+pydantic", IMPORT_DEPS)):
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
            seconds, _, loaded = out.strip().partition(" ")
            times[name].append(float(seconds))
            heavy.update(m for m in loaded.split(",") if m)
    return {
        "oauth_codex": statistics.median(times["oauth_codex"]),
        "httpx+pydantic": statistics.median(times["httpx+pydantic"]),
        "heavy": sorted(heavy),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="oauth-codex streaming and import overhead")
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--import-runs", type=int, default=15)
    args = parser.parse_args(argv)

    with emulator_process(args.deltas) as info:
        streams = bench_streams(info, args.rounds)
    print_table(streams, "floor", args.deltas, args.rounds, width=12)
    floor = streams["floor"]
    ours, peer = streams["oauth_codex"], streams["openai"]
    ratio = ours["wall"] / floor["wall"]
    print(f"oauth_codex / floor = {ratio:.3f} (target <= 1.15): {'met' if ratio <= 1.15 else 'NOT met'}")
    print(
        f"oauth_codex / openai = {ours['wall'] / peer['wall']:.3f} (target < 1): "
        f"{'met' if ours['wall'] < peer['wall'] else 'NOT met'}"
    )

    imports = bench_imports(args.import_runs)
    import_ratio = imports["oauth_codex"] / imports["httpx+pydantic"]
    print(
        f"import oauth_codex {imports['oauth_codex'] * 1000:.1f} ms vs httpx+pydantic "
        f"{imports['httpx+pydantic'] * 1000:.1f} ms (median of {args.import_runs}): ratio {import_ratio:.2f} "
        f"(target <= 1.3): {'met' if import_ratio <= 1.3 else 'NOT met'}"
    )
    print(f"heavy modules loaded by `import oauth_codex`: {imports['heavy'] or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
