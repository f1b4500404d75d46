"""Notebooks run under nbmake in emulator mode (``OAUTH_CODEX_EMULATOR=1``), never against chatgpt.com.

Each kernel inherits this environment: a private home, no real keyring, and the emulator switch.
"""

from __future__ import annotations

import os
import tempfile

_home = tempfile.mkdtemp(prefix="oauth-codex-nb-")
os.environ["OAUTH_CODEX_EMULATOR"] = "1"
os.environ["CODEX_OAUTH_HOME"] = os.path.join(_home, ".oauth_codex")
os.environ["CODEX_HOME"] = os.path.join(_home, ".codex")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
for _var in [v for v in os.environ if v.startswith("CODEX_OAUTH_") and v != "CODEX_OAUTH_HOME"]:
    del os.environ[_var]
