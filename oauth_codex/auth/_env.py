"""Facts about where we run: interactive terminal or notebook, and whether a browser can be opened here."""

from __future__ import annotations

import os
import sys

__all__ = ["browser_available", "in_notebook", "is_interactive"]


def in_notebook() -> bool:
    """True inside a Jupyter / IPython kernel (or Colab), where ``input()`` works but stdin is no TTY."""
    if "google.colab" in sys.modules:
        return True
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None) if ipython is not None else None
    if get_ipython is None:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ in {"ZMQInteractiveShell", "Shell"}


def is_interactive() -> bool:
    """Whether a human can answer a login prompt here: stdin is a TTY, or we run in a notebook."""
    try:
        if sys.stdin is not None and sys.stdin.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return in_notebook()


def browser_available() -> bool:
    """Whether ``webbrowser`` can open a graphical browser on this machine.

    False over SSH without a display and on Linux/BSD without ``DISPLAY``/``WAYLAND_DISPLAY`` (where
    ``webbrowser`` would otherwise fall back to a text browser inside the terminal).
    """
    ssh = bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform not in {"win32", "darwin"} and not has_display:
        return False
    if ssh and not has_display:
        return False
    import webbrowser  # only when a login may open a browser (it imports shlex, shutil, subprocess)

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True
