"""Usage limits as text for the CLI: window bars, reset times, the wait countdown (pure but for a stream).

``oauth-codex usage`` and ``status`` print :func:`usage_lines`; ``chat --wait-for-reset`` shows a
:class:`Countdown` (a redrawn progress bar on a terminal, a line per minute otherwise).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from ._usage import describe_reset, span
from .errors import UsageLimitError
from .types import RateLimitWindow, UsageSnapshot

__all__ = ["Countdown", "bar", "parse_duration", "usage_lines", "window_label"]

_BAR_WIDTH = 20
_UNITS = {"": 1, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")


def bar(percent: float, width: int = _BAR_WIDTH) -> str:
    """``[#########...........]`` for ``percent`` (0-100, clamped)."""
    filled = round(min(max(percent, 0.0), 100.0) / 100 * width)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def window_label(name: str, minutes: int | None) -> str:
    """``"primary (5 h)"``, ``"secondary (weekly)"``, ``"code review (weekly)"``."""
    title = name.replace("_", " ")
    if not minutes:
        return title
    if minutes == 10080:
        length = "weekly"
    elif minutes % 1440 == 0:
        length = f"{minutes // 1440} d"
    elif minutes % 60 == 0:
        length = f"{minutes // 60} h"
    else:
        length = f"{minutes} min"
    return f"{title} ({length})"


def usage_lines(snapshot: UsageSnapshot, now: datetime) -> list[str]:
    """One line per window (bar, percent, reset time absolute and relative), then credits and plan."""
    windows: list[tuple[str, RateLimitWindow]] = list(snapshot.windows().items())
    if snapshot.code_review is not None:
        windows.append(("code_review", snapshot.code_review))
    labels = [window_label(name, window.window_minutes) for name, window in windows]
    pad = max((len(label) for label in labels), default=0)
    lines = []
    for label, (_, window) in zip(labels, windows, strict=True):
        used = window.used_percent
        shown = f"{used:.0f}" if used == int(used) else f"{used:.1f}"
        line = f"{label:<{pad}}  {bar(used)} {shown:>5} %"
        if window.resets_at is not None:
            line += f"  resets {describe_reset(window.resets_at, now)}"
        lines.append(line)
    if not windows:
        lines.append("no usage windows reported")
    credits = snapshot.credits
    if credits is not None:
        if credits.unlimited:
            text = "unlimited"
        elif credits.has_credits:
            text = f"balance {credits.balance or 'unknown'}"
        else:
            text = "none" + (f" (balance {credits.balance})" if credits.balance not in (None, "0") else "")
        lines.append(f"credits: {text}")
    lines.append(f"plan: {snapshot.plan_type or 'unknown'}")
    return lines


def parse_duration(text: str) -> float:
    """``"90"`` (seconds), ``"90s"``, ``"30m"``, ``"5h"``, ``"1d"`` -> seconds (``ValueError`` otherwise)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None or match.group(2) not in _UNITS:
        raise ValueError(f"{text!r} is not a duration: use seconds (3600) or 90s, 30m, 5h, 1d.")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{text!r} is not a duration: use seconds (3600) or 90s, 30m, 5h, 1d.")
    return seconds


class Countdown:
    """An ``on_wait`` callback that shows the wait for a usage reset on ``stream``.

    On a terminal (``tty``): a progress bar redrawn in place at every call, ended by a newline. Otherwise
    (a log, a pipe): one line when the wait starts and then one per minute.
    """

    def __init__(self, stream: TextIO, *, tty: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.tty = tty
        self.clock = clock
        self._total: float | None = None
        self._last_line: float | None = None
        self._width = 0

    def __call__(self, seconds_left: float, error: UsageLimitError) -> None:
        if self._total is None or seconds_left > self._total:
            self._total = max(seconds_left, 1e-9)  # a new wait
            self._last_line = None
        if self.tty:
            done = 100 * (1 - seconds_left / self._total)
            line = f"Usage limit reached: waiting for the reset {bar(done)} {span(seconds_left)} left"
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
            if seconds_left <= 0:
                self.stream.write("\n")
                self._total = None
        elif seconds_left <= 0:
            self._total = None
        elif self._last_line is None or self.clock() - self._last_line >= 60:
            self._last_line = self.clock()
            line = f"Usage limit reached: waiting {span(seconds_left)} for the reset"
            if error.resets_at is not None:
                line += f" {describe_reset(error.resets_at, datetime.now(UTC))}"
            self.stream.write(line + ".\n")
        self.stream.flush()
