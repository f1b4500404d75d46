"""The openai SDK through ``oauth_codex.openai`` against the plain openai SDK, on the same emulator stream.

    python benchmarks/openai_sdk_overhead.py [--deltas 20000] [--rounds 7]

The emulator runs in a separate process and answers every request with the same stream of ``--deltas`` text
deltas. Each round runs, in rotating order:

* ``openai``: the plain SDK, ``openai.OpenAI(base_url=<emulator>, api_key=<access token>)``, and
  ``client.responses.create(stream=True)`` (headers and body set by hand: nothing of this package involved);
* ``oauth_codex.openai``: the same call on ``oauth_codex.openai.OpenAI`` (its transport builds the request,
  sends it with the login, folds the events and hands them on to the SDK, which parses them as before);
* ``oauth_codex.openai (no stream)``: ``responses.create()`` without ``stream``: the transport streams and
  answers with the aggregated ``Response``, so the SDK parses one JSON object instead of every event.

Reported: median wall time and client CPU time per call, and ratios to the plain SDK. Target: the streaming
call through ``oauth_codex.openai`` costs no more client CPU than the plain SDK (ratio <= 1.05, noise
included; on a busy machine the wall time mostly measures waiting for a core). Not a timed test.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from _harness import INSTRUCTIONS, MODEL, PROMPT, emulator_process, print_table, run_rounds
from stream_overhead import make_openai as make_plain  # the plain SDK on the same stream, as measured there

INPUT = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": PROMPT}]}]


def make_ours(info: dict[str, str], *, stream: bool) -> Callable[[], str]:
    from oauth_codex import CodexOAuthLLM, StaticTokenProvider
    from oauth_codex.openai import OpenAI

    llm = CodexOAuthLLM(
        base_url=info["base_url"], token_provider=StaticTokenProvider(info["token"], info["account_id"])
    )
    client = OpenAI(llm=llm)

    def run_stream() -> str:
        parts: list[str] = []
        events = client.responses.create(
            model=MODEL,
            instructions=INSTRUCTIONS,
            input=INPUT,
            stream=True,  # type: ignore[arg-type]
        )
        for event in events:
            if event.type == "response.output_text.delta":
                parts.append(event.delta)
        return "".join(parts)

    def run_once() -> str:
        response = client.responses.create(model=MODEL, instructions=INSTRUCTIONS, input=INPUT)  # type: ignore[arg-type]
        return response.output_text

    return run_stream if stream else run_once


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="oauth_codex.openai vs the plain openai SDK")
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

    with emulator_process(args.deltas) as info:
        runners = {
            "openai": make_plain(info),
            "oauth_codex.openai": make_ours(info, stream=True),
            "oauth_codex.openai (no stream)": make_ours(info, stream=False),
        }
        results = run_rounds(runners, args.rounds)
    print_table(results, "openai", args.deltas, args.rounds, width=30)
    ours, plain = results["oauth_codex.openai"], results["openai"]
    ratio = ours["cpu"] / plain["cpu"]
    print(
        f"oauth_codex.openai / openai, stream=True: client CPU {ratio:.3f} (target <= 1.05: "
        f"{'met' if ratio <= 1.05 else 'NOT met'}), wall {ours['wall'] / plain['wall']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
