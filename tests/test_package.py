"""The package's public surface and import cost."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys

import oauth_codex

EXPORTED = {
    "APIConnectionError", "APIError", "APITimeoutError", "AccessToken", "AuthError", "AuthenticationError",
    "BadRequestError", "CodexError", "CodexOAuthLLM", "ContextWindowExceededError", "Credits", "GenerateResult",
    "LoginError", "MemoryTokenStore", "ModelNotSupportedError", "ModelRateLimits", "NotAuthenticatedError",
    "NotFoundError",
    "OAuthConfig", "PermissionDeniedError", "RateLimitError", "RateLimitWindow", "RateLimits", "RefreshTokenError",
    "ResponseAccumulator", "ServerError", "StaticTokenProvider", "StreamError", "StreamEvent", "TokenData",
    "TokenProvider", "TokenStore", "TokenStoreError", "ToolCall", "ToolCallRequiredError", "Usage",
    "UsageLimitError", "__version__",
}


def test_all_is_pinned_and_sorted() -> None:
    assert set(oauth_codex.__all__) == EXPORTED
    assert oauth_codex.__all__ == sorted(oauth_codex.__all__)


def test_every_exported_name_resolves() -> None:
    for name in oauth_codex.__all__:
        assert getattr(oauth_codex, name) is not None, name


def test_version_matches_distribution_metadata() -> None:
    assert oauth_codex.__version__ == importlib.metadata.version("oauth-codex")


def test_errors_share_one_base() -> None:
    for name in oauth_codex.errors.__all__:
        assert issubclass(getattr(oauth_codex.errors, name), oauth_codex.CodexError), name


def test_import_is_light() -> None:
    """`import oauth_codex` (and touching CodexOAuthLLM) loads no framework, keyring or emulator."""
    code = (
        "import sys, json, oauth_codex; oauth_codex.CodexOAuthLLM;"
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded = set(json.loads(out))
    for heavy in ("langchain_core", "llama_index", "keyring", "oauth_codex.testing", "openai", "filelock"):
        assert not {m for m in loaded if m == heavy or m.startswith(heavy + ".")}, heavy


def test_adapters_without_their_framework_say_which_extra_to_install() -> None:
    for module, framework, extra in (
        ("langchain_oauth_codex", "langchain_core", "oauth-codex[langchain]"),
        ("llama_index.llms.oauth_codex", "llama_index.core", "oauth-codex[llama-index]"),
    ):
        code = f"import sys; sys.modules[{framework!r}] = None; import {module}"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert done.returncode != 0
        assert f"pip install '{extra}'" in done.stderr, done.stderr
