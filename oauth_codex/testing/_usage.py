"""The emulator's usage meter: the numbers behind the ``x-codex-*`` headers and ``GET /backend-api/wham/usage``.

One :class:`UsageMeter` per emulator computes, for an account, its plan and the current emulator time, the
primary and secondary windows (used percent, length, reset), so the headers of every answer and the usage
endpoint can never disagree. Each account has its own usage: used percent rises by ``usage_percent_step`` per
response served to it (the secondary by a fifth of it) on top of a base that :meth:`UsageMeter.set_used` fixes.
A scripted usage limit (:meth:`UsageMeter.exhaust`) holds a window at 100 % until its ``resets_at``; when the
emulator clock passes that instant the limit lifts: the window restarts empty from then on.

The wham/usage shape (``plan_type``, ``rate_limit.{allowed, limit_reached, primary_window,
secondary_window}`` with ``used_percent``, ``limit_window_seconds``, ``reset_after_seconds``, ``reset_at``,
``code_review_rate_limit``, ``credits``) is known from third-party clients only.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import Any, Literal

from ._state import Settings

__all__ = ["UsageMeter", "WindowName", "WindowView"]

WindowName = Literal["primary", "secondary"]
_WINDOWS: tuple[WindowName, ...] = ("primary", "secondary")
_SECONDARY_SHARE = 5.0
_CODE_REVIEW_WINDOW = 10080


@dataclass(frozen=True)
class WindowView:
    """One window as the backend reports it at one instant (``minutes`` 0: the window does not exist)."""

    used_percent: float
    minutes: int
    reset_after: int
    reset_at: int | None


@dataclass
class _Window:
    origin: float
    base: float = 0.0
    served_at_reset: int = 0
    exhausted_until: float | None = None


@dataclass
class _Account:
    windows: dict[WindowName, _Window]
    served: int = 0


class UsageMeter:
    """Window accounting of one emulator, per account (thread-safe; the time is passed in).

    Each account (``account_id``) has its own windows and served count. A control without ``account_id``
    applies to every account, present and future.
    """

    def __init__(self, started_at: float, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._template = _Account({name: _Window(origin=started_at) for name in _WINDOWS})
        self._accounts: dict[str, _Account] = {}

    # --------------------------------------------------------------------------------- controls
    def count(self, account_id: str) -> None:
        """One more response served to ``account_id``."""
        with self._lock:
            self._account(account_id).served += 1

    def set_used(self, window: WindowName, percent: float, account_id: str | None = None) -> None:
        """Fix ``window``'s used percent now (later responses add to it)."""
        with self._lock:
            for account in self._targets(account_id):
                state = account.windows[window]
                state.base = float(percent)
                state.served_at_reset = account.served

    def exhaust(self, window: WindowName, until: float, account_id: str | None = None) -> None:
        """Hold ``window`` at 100 % until ``until`` (emulator seconds); then it restarts empty."""
        with self._lock:
            for account in self._targets(account_id):
                account.windows[window].exhausted_until = until

    def limited(self, account_id: str, now: float) -> tuple[WindowName, float] | None:
        """The window of ``account_id`` held by a scripted limit at ``now`` and its reset instant, else ``None``."""
        with self._lock:
            account = self._account(account_id)
            _lift(account, now)
            for name in _WINDOWS:
                until = account.windows[name].exhausted_until
                if until is not None:
                    return name, until
        return None

    # ------------------------------------------------------------------------------------ views
    def windows(
        self, account_id: str, plan_type: str, now: float, *, exhausted: bool = False
    ) -> tuple[WindowView, WindowView]:
        """The account's primary and secondary windows at ``now`` (``exhausted``: an N-shot fault's 100 %)."""
        free = plan_type == "free"
        lengths = {"primary": 10080 if free else 300, "secondary": 0 if free else 10080}
        with self._lock:
            account = self._account(account_id)
            _lift(account, now)
            views = []
            for name in _WINDOWS:
                state, minutes = account.windows[name], lengths[name]
                if not minutes:
                    views.append(WindowView(0.0, 0, 0, None))
                    continue
                share = 1.0 if name == "primary" else 1.0 / _SECONDARY_SHARE
                rise = (account.served - state.served_at_reset) * self.settings.usage_percent_step * share
                used = min(100.0, state.base + rise)
                if state.exhausted_until is not None:
                    until = math.ceil(state.exhausted_until)
                    views.append(WindowView(100.0, minutes, max(0, math.ceil(until - now)), until))
                    continue
                if exhausted and name == "primary":
                    used = 100.0
                seconds = minutes * 60
                after = int(seconds - (now - state.origin) % seconds)
                views.append(WindowView(used, minutes, after, int(now) + after))
        return views[0], views[1]

    def usage_document(self, account_id: str, plan_type: str, now: float, credits: dict[str, Any]) -> dict[str, Any]:
        """The ``GET /backend-api/wham/usage`` body: the same numbers as the account's headers at ``now``."""
        primary, secondary = self.windows(account_id, plan_type, now)
        reached = primary.used_percent >= 100 or secondary.used_percent >= 100
        review_after = _CODE_REVIEW_WINDOW * 60
        return {
            "plan_type": plan_type,
            "rate_limit": {
                "allowed": not reached,
                "limit_reached": reached,
                "primary_window": _window_doc(primary),
                "secondary_window": _window_doc(secondary),
            },
            "code_review_rate_limit": {
                "allowed": True,
                "limit_reached": False,
                "primary_window": {
                    "used_percent": 0,
                    "limit_window_seconds": review_after,
                    "reset_after_seconds": review_after,
                    "reset_at": int(now) + review_after,
                },
                "secondary_window": None,
            },
            "credits": credits,
        }

    def _account(self, account_id: str) -> _Account:
        account = self._accounts.get(account_id)
        if account is None:  # a new account starts from the controls that apply to everyone
            windows = {name: replace(w, served_at_reset=0) for name, w in self._template.windows.items()}
            account = self._accounts[account_id] = _Account(windows)
        return account

    def _targets(self, account_id: str | None) -> list[_Account]:
        if account_id is not None:
            return [self._account(account_id)]
        return [self._template, *self._accounts.values()]


def _lift(account: _Account, now: float) -> None:
    for state in account.windows.values():
        until = state.exhausted_until
        if until is not None and now >= math.ceil(until):
            state.exhausted_until = None
            state.origin = until
            state.base = 0.0
            state.served_at_reset = account.served


def _window_doc(view: WindowView) -> dict[str, Any] | None:
    if not view.minutes:
        return None
    used = int(view.used_percent) if view.used_percent == int(view.used_percent) else view.used_percent
    return {
        "used_percent": used,
        "limit_window_seconds": view.minutes * 60,
        "reset_after_seconds": view.reset_after,
        "reset_at": view.reset_at,
    }
