"""Latency: connections per call, cold and warm time to first token, over plain and TLS loopback.

Three clients read the same short stream from a ``CodexEmulator``:

* ``raw``: a raw httpx loop (one ``httpx.Client``, ``iter_lines``, ``json.loads`` per ``data:`` line) that
  reads the access token from the same ``auth.json`` file;
* ``oauth_codex``: ``CodexOAuthLLM.generate_stream`` with the default (file) token store;
* ``openai``: the ``openai`` SDK's ``client.responses.create(stream=True)``.

What is measured:

* **connections**: TCP connections the emulator accepted for 10 sequential requests of one client;
* **cold TTFT**: a fresh process per sample; the clock starts after the imports (``stream_overhead.py``
  measures imports) and stops at the first text delta: token-store read, client construction (SSL
  context), connection, request, first event;
* **warm TTFT**: one process per client, 2 warm-up calls, then the median time from the call to its first
  text delta over interleaved rounds.

Targets (issue "Performance"): oauth_codex cold <= 1.2x raw, warm <= 1.15x raw. Not a timed test::

    python benchmarks/latency.py            # --samples 15 --rounds 30 --deltas 20
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from _harness import INSTRUCTIONS, MODEL, PROMPT, emulator_process

CLIENTS = ("raw", "oauth_codex", "openai")

# One script, three clients: builds a client from the token file and returns a "first token" function.
CLIENT_CODE = r"""
import json, os, ssl, time

def make(kind, info):
    verify = ssl.create_default_context(cafile=info["ca_bundle"]) if info.get("ca_bundle") else True
    body = {
        "model": MODEL, "instructions": INSTRUCTIONS, "tools": [], "store": False, "stream": True,
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": PROMPT}]}],
    }
    if kind == "oauth_codex":
        from oauth_codex import CodexOAuthLLM

        llm = CodexOAuthLLM(model=MODEL, instructions=INSTRUCTIONS, verify=verify, interactive=False)

        def first():
            stream = llm.generate_stream(prompt=PROMPT)
            token = next(stream)
            for _ in stream:
                pass
            return token

        return first
    if kind == "raw":
        import httpx

        state = {}

        def first():
            if not state:
                with open(os.path.join(os.environ["CODEX_OAUTH_HOME"], "auth.json")) as f:
                    tokens = json.load(f)["tokens"]
                state["headers"] = {
                    "Authorization": "Bearer " + tokens["access_token"],
                    "ChatGPT-Account-ID": tokens["account_id"], "Accept": "text/event-stream",
                    "originator": "codex_cli_rs",
                }
                state["client"] = httpx.Client(timeout=httpx.Timeout(300.0, connect=10.0), verify=verify)
            token = None
            url = os.environ["CODEX_OAUTH_BASE_URL"] + "/responses"
            with state["client"].stream("POST", url, json=body, headers=state["headers"]) as response:
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        event = json.loads(line[5:])
                        if token is None and event["type"] == "response.output_text.delta":
                            token = event["delta"]
            return token

        return first
    import httpx
    from openai import OpenAI

    state = {}

    def first():
        if not state:
            with open(os.path.join(os.environ["CODEX_OAUTH_HOME"], "auth.json")) as f:
                tokens = json.load(f)["tokens"]
            state["client"] = OpenAI(
                base_url=os.environ["CODEX_OAUTH_BASE_URL"], api_key=tokens["access_token"], max_retries=0,
                default_headers={"ChatGPT-Account-ID": tokens["account_id"], "originator": "codex_cli_rs"},
                http_client=httpx.Client(verify=verify),
            )
        token = None
        stream = state["client"].responses.create(
            model=MODEL, instructions=INSTRUCTIONS, input=body["input"], store=False, stream=True
        )
        for event in stream:
            if token is None and event.type == "response.output_text.delta":
                token = event.delta
        return token

    return first
"""

COLD = r"""
import json, sys, time
kind, info = sys.argv[1], json.loads(sys.argv[2])
if kind == "oauth_codex":
    from oauth_codex import CodexOAuthLLM  # what a user's import line loads (the client module is lazy)
elif kind == "openai":
    import httpx
    from openai import OpenAI
else:
    import httpx
exec(CODE)
t0, c0 = time.perf_counter(), time.process_time()
first = make(kind, info)
first()
print(time.perf_counter() - t0, time.process_time() - c0)
"""


def _header() -> str:
    return f"MODEL = {MODEL!r}\nINSTRUCTIONS = {INSTRUCTIONS!r}\nPROMPT = {PROMPT!r}\n"


def _env(info: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **info["env"]}
    # Compare installed-like code: site-packages come with bytecode, so let ours be cached too (a process
    # started with PYTHONDONTWRITEBYTECODE would recompile every oauth_codex module it loads, every time).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env  # type: ignore[return-value]


def cold_ttft(info: dict[str, Any], samples: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median seconds to the first token in a fresh process (after imports), per client, rotating order.

    Returns the wall-clock medians and the client process's CPU-time medians (steadier on a busy machine).
    """
    code = _header() + CLIENT_CODE
    script = f"CODE = {code!r}\n" + COLD
    times: dict[str, list[float]] = {kind: [] for kind in CLIENTS}
    cpu: dict[str, list[float]] = {kind: [] for kind in CLIENTS}
    payload = json.dumps({"ca_bundle": info.get("ca_bundle")})
    for s in range(-1, samples):  # round -1 warms the bytecode caches and is not counted
        order = CLIENTS[s % 3 :] + CLIENTS[: s % 3]
        for kind in order:
            out = subprocess.run(
                [sys.executable, "-c", script, kind, payload], env=_env(info), capture_output=True, text=True
            )
            if out.returncode != 0:
                raise RuntimeError(f"{kind}: {out.stderr[-2000:]}")
            wall, used = out.stdout.strip().splitlines()[-1].split()
            if s < 0:
                continue
            times[kind].append(float(wall))
            cpu[kind].append(float(used))
    return (
        {kind: statistics.median(v) for kind, v in times.items()},
        {kind: statistics.median(v) for kind, v in cpu.items()},
    )


@contextlib.contextmanager
def _in_env(env: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def warm_ttft(info: dict[str, Any], rounds: int) -> dict[str, float]:
    """Median seconds from the call to its first token with warmed-up clients, interleaved rounds."""
    namespace: dict[str, Any] = {}
    exec(_header() + CLIENT_CODE, namespace)  # noqa: S102 - our own benchmark code
    with _in_env(info["env"]):
        firsts: dict[str, Callable[[], Any]] = {
            kind: namespace["make"](kind, {"ca_bundle": info.get("ca_bundle")}) for kind in CLIENTS
        }
        for first in firsts.values():
            first()
            first()
        times: dict[str, list[float]] = {kind: [] for kind in CLIENTS}
        for r in range(rounds):
            for kind in CLIENTS[r % 3 :] + CLIENTS[: r % 3]:
                t0 = time.perf_counter()
                firsts[kind]()
                times[kind].append(time.perf_counter() - t0)
    return {kind: statistics.median(v) for kind, v in times.items()}


def connections(tls: bool, calls: int = 10) -> dict[str, int]:
    """TCP connections accepted by an (in-process) emulator for ``calls`` sequential calls per client."""
    from oauth_codex.auth import FileTokenStore
    from oauth_codex.testing import CodexEmulator

    counts: dict[str, int] = {}
    namespace: dict[str, Any] = {}
    exec(_header() + CLIENT_CODE, namespace)  # noqa: S102
    for kind in CLIENTS:
        with CodexEmulator(tls=tls, sequence_numbers=False) as emu:
            env = emu.env()
            FileTokenStore(os.path.join(env["CODEX_OAUTH_HOME"], "auth.json")).save(emu.login_tokens())
            with _in_env(env):
                first = namespace["make"](kind, {"ca_bundle": emu.ca_bundle if tls else None})
                for _ in range(calls):
                    first()
            counts[kind] = emu.connections_opened
    return counts


def _table(title: str, values: dict[str, float], unit: str = "ms") -> None:
    base = values["raw"]
    print(f"\n{title}")
    print(f"{'client':<12} {unit:>8} {'x raw':>7}")
    for kind in CLIENTS:
        print(f"{kind:<12} {values[kind] * 1000:>8.2f} {values[kind] / base:>7.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=15, help="fresh processes per client (cold)")
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds (warm)")
    parser.add_argument("--deltas", type=int, default=20, help="text deltas per answer")
    args = parser.parse_args(argv)
    for tls in (False, True):
        label = "TLS loopback" if tls else "plain loopback"
        print(f"\n=== {label} ===")
        print(f"connections for 10 sequential calls: {connections(tls)}")
        with emulator_process(args.deltas, tls=tls) as info:
            wall, cpu = cold_ttft(info, args.samples)
            _table(f"cold TTFT, median of {args.samples} fresh processes ({label})", wall)
            _table(f"cold first call, client CPU time ({label})", cpu, unit="cpu ms")
            _table(f"warm TTFT, median of {args.rounds} rounds ({label})", warm_ttft(info, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
