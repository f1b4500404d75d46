"""``serve()``: run an emulator in the foreground until Ctrl-C (``oauth-codex emulator --port N``)."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, TextIO

from ._emulator import CodexEmulator

if TYPE_CHECKING:
    from ._siwc_emulator import SiwcEmulator

__all__ = ["serve"]


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    out: TextIO | None = None,
    stop_event: threading.Event | None = None,
    emulator: CodexEmulator | SiwcEmulator | None = None,
) -> int:
    """Serve a :class:`CodexEmulator` (or ``emulator``, e.g. a SIWC one) on ``host:port`` until Ctrl-C or
    ``stop_event``; returns 0.

    Prints the URL and the ``export`` lines that point a client at it. ``port=0`` picks a free port.
    """
    stream = out or sys.stdout
    emu = emulator or CodexEmulator(host=host, port=port)
    stop = stop_event or threading.Event()
    with emu:
        if isinstance(emu, CodexEmulator):
            what = [f"Codex emulator listening on {emu.url}", f"  auth issuer: {emu.issuer}",
                    f"  backend:     {emu.base_url}/responses"]  # fmt: skip
        else:
            what = [f"SIWC emulator (\"Sign in with ChatGPT\" route) listening on {emu.url}",
                    f"  auth issuer: {emu.issuer}", f"  API:         {emu.api_base}/responses"]  # fmt: skip
        lines = [
            *what,
            "Point a client at it with:",
            *(f"  export {key}={value}" for key, value in emu.env().items()),
            "Press Ctrl-C to stop.",
        ]
        stream.write("\n".join(lines) + "\n")
        stream.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            stream.write("Emulator stopped.\n")
    return 0
