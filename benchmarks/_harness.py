"""What the benchmarks share: the emulator in a separate process, and interleaved timed rounds.

The emulator runs in its own process (so the server does not compete with the client for the GIL) and
answers every request with the same stream of ``deltas`` text deltas (``emu.set_answer(deltas=...)``).
"""

from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

SERVER = r"""
import json, os, sys
from oauth_codex.auth import FileTokenStore
from oauth_codex.testing import CodexEmulator
emu = CodexEmulator(sequence_numbers=False, tls=sys.argv[2] == "tls")
emu.start()
emu.set_answer(deltas=int(sys.argv[1]))
tokens = emu.login_tokens()
env = emu.env()
FileTokenStore(os.path.join(env["CODEX_OAUTH_HOME"], "auth.json")).save(tokens)
print(json.dumps({"base_url": emu.base_url, "token": tokens.access_token, "account_id": tokens.account_id,
                  "env": env, "ca_bundle": emu.ca_bundle if sys.argv[2] == "tls" else None}), flush=True)
sys.stdin.read()
emu.stop()
"""

PROMPT = "Write a long story."
MODEL = "gpt-5.5"
INSTRUCTIONS = "You are a helpful assistant."


@contextlib.contextmanager
def emulator_process(deltas: int, tls: bool = False) -> Iterator[dict[str, Any]]:
    """Run the emulator in a child process; yield its ``base_url``, access ``token`` and ``account_id``.

    Also ``env`` (the ``CODEX_OAUTH_*`` variables, with a private home whose ``auth.json`` holds the login)
    and, with ``tls``, ``ca_bundle`` (the PEM file of its throwaway CA).
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(deltas), "tls" if tls else "plain"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        yield json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(10)


def run_rounds(runners: dict[str, Callable[[], str]], rounds: int) -> dict[str, dict[str, float]]:
    """Warm every runner up (their answers must agree), then time ``rounds`` rounds in rotating order.

    Returns per runner the median ``wall`` and client ``cpu`` seconds and the answer's length (``chars``).
    """
    texts = {name: run() for name, run in runners.items()}
    assert len(set(texts.values())) == 1, {k: len(v) for k, v in texts.items()}
    wall: dict[str, list[float]] = {name: [] for name in runners}
    cpu: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            w0, c0 = time.perf_counter(), time.process_time()
            runners[name]()
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    return {
        name: {
            "wall": statistics.median(wall[name]),
            "cpu": statistics.median(cpu[name]),
            "chars": len(texts[name]),
        }
        for name in runners
    }


def print_table(results: dict[str, dict[str, float]], base: str, deltas: int, rounds: int, width: int) -> None:
    """Print each runner's medians and their ratios to the ``base`` runner."""
    ref = results[base]
    print(f"stream of {deltas} deltas ({ref['chars']:.0f} chars), median of {rounds} rounds")
    print(f"{'client':<{width}} {'wall s':>8} {'x ' + base:>8} {'cpu s':>8} {'x ' + base:>8}")
    for name, result in results.items():
        print(
            f"{name:<{width}} {result['wall']:>8.3f} {result['wall'] / ref['wall']:>8.2f} "
            f"{result['cpu']:>8.3f} {result['cpu'] / ref['cpu']:>8.2f}"
        )
