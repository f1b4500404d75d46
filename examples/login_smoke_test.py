"""Smoke test: log in (if needed), ask one question, stream one answer, show usage and rate limits.

    python3 examples/login_smoke_test.py --model gpt-5.5 --prompt "hello"            # real chatgpt.com
    python3 examples/login_smoke_test.py --model gpt-5.5 --prompt "hello" --emulator # offline

Against chatgpt.com the first run opens the ChatGPT sign-in (or prints the URL to paste back); the login is
stored (keyring, else ``~/.oauth_codex/auth.json``) for the next runs. Exit code 0 when everything worked.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from _offline import environment

from oauth_codex import CodexError, CodexOAuthLLM


def run(model: str, prompt: str) -> None:
    llm = CodexOAuthLLM(model=model, interactive=True)
    result = llm.generate(prompt=prompt, return_details=True)
    print(f"[generate] {result.text}")
    if result.usage:
        print(
            f"[usage] input={result.usage.input_tokens} (cached {result.usage.cached_tokens}) "
            f"output={result.usage.output_tokens} (reasoning {result.usage.reasoning_tokens}) "
            f"total={result.usage.total_tokens}"
        )
    print("[stream] ", end="")
    for chunk in llm.generate_stream(prompt=prompt):
        print(chunk, end="", flush=True)
    print()
    text = asyncio.run(llm.agenerate(prompt=prompt))
    print(f"[agenerate] {text}")
    limits = llm.last_rate_limits
    if limits and limits.primary:
        print(
            f"[rate limits] primary {limits.primary.used_percent:g}% of {limits.primary.window_minutes} min"
            + (f", secondary {limits.secondary.used_percent:g}%" if limits.secondary else "")
            + (f", plan {limits.plan_type}" if limits.plan_type else "")
        )
    llm.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gpt-5.5", help="model slug, e.g. gpt-5.5 or gpt-5.3-codex")
    parser.add_argument("--prompt", default="hello", help="what to ask")
    parser.add_argument("--emulator", action="store_true", help="run offline against an in-process emulator")
    args = parser.parse_args(argv)
    try:
        with environment(args.emulator, args.model):
            run(args.model, args.prompt)
    except CodexError as exc:
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
