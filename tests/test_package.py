"""The package's public surface and import cost."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import oauth_codex

EXPORTED = {
    "APIConnectionError", "APIError", "APITimeoutError", "AccessToken", "AuthError", "AuthenticationError",
    "BadRequestError", "BlockedError", "CodexError", "CodexOAuthLLM", "ContextWindowExceededError", "Credits",
    "GenerateResult", "InvalidParameterError", "LoginError", "MemoryTokenStore", "ModelInfo",
    "ModelNotSupportedError", "ModelRateLimits", "NotAuthenticatedError", "NotFoundError",
    "OAuthConfig", "PermissionDeniedError", "RateLimitError", "RateLimitWindow", "RateLimits", "RefreshTokenError",
    "ResponseAccumulator", "ServerError", "StaticTokenProvider", "StreamError", "StreamEvent", "TokenData",
    "TokenProvider", "TokenStore", "TokenStoreError", "ToolCall", "ToolCallRequiredError", "Usage",
    "UsageBudgetExceededError", "UsageLimitError", "UsageSnapshot", "__version__",
    # the "Sign in with ChatGPT" route's errors
    "AccountMismatchError", "IdentityVerificationUnavailableError", "InvalidIdTokenError", "PlanAuthError",
    "PlanGrantError", "PlanNotEligibleError", "PlanRouteNotSupportedError", "PlanUnsupportedCapabilityError",
    "PlanUsageLimitError", "PlanUsageNotGrantedError", "PlanUsageUnavailableError", "RefreshNotReadyError",
    "RefreshOutcomeUnknownError", "UnsupportedOnRouteError",
}


def test_all_is_pinned_and_sorted() -> None:
    assert set(oauth_codex.__all__) == EXPORTED
    assert oauth_codex.__all__ == sorted(oauth_codex.__all__)


def test_every_exported_name_resolves() -> None:
    for name in oauth_codex.__all__:
        assert getattr(oauth_codex, name) is not None, name


def test_version_matches_distribution_metadata() -> None:
    assert oauth_codex.__version__ == importlib.metadata.version("oauth-codex")


def _pyproject() -> dict[str, Any]:
    import tomllib

    return tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_is_above_the_published_line() -> None:
    """PyPI holds 0.2.3 to 4.0.0 of this project's line: this release must be numbered above them."""
    version = _pyproject()["project"]["version"]
    assert oauth_codex.__version__ == version
    assert tuple(int(part) for part in version.split(".")[:3]) >= (5, 0, 0)
    workflow = (Path(__file__).parents[1] / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    assert "does not match project.version" in workflow  # the tag check stays


def test_a_plain_install_pulls_no_test_only_package() -> None:
    """`pip install oauth-codex` (no extras) must not install keyrings.alt or test tools."""
    import re

    names = {re.split(r"[\s<>=!~;\[]", dep, maxsplit=1)[0].lower() for dep in _pyproject()["project"]["dependencies"]}
    test_only = {"keyrings.alt", "pytest", "hypothesis", "nbmake", "langchain-tests", "build", "twine", "ruff", "mypy"}
    assert not names & test_only
    assert not {name for name in names if name.startswith("pytest")}
    assert "keyrings.alt>=5" in " ".join(_pyproject()["project"]["optional-dependencies"]["dev"])


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
    for heavy in (
        "langchain_core",
        "llama_index",
        "keyring",
        "oauth_codex.testing",
        "openai",
        "oauth_codex.openai",
        "httpx2",
        "filelock",
        "jwt",
        "cryptography",
    ):
        assert not {m for m in loaded if m == heavy or m.startswith(heavy + ".")}, heavy


def test_the_openai_extra_loads_only_the_sdk() -> None:
    """`oauth_codex.openai` brings the openai SDK, and still no framework, keyring or emulator."""
    code = (
        "import sys, json; from oauth_codex.openai import OpenAI, AsyncOpenAI;"
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded = set(json.loads(out))
    assert "openai" in loaded
    for heavy in ("langchain_core", "llama_index", "keyring", "oauth_codex.testing", "agents"):
        assert not {m for m in loaded if m == heavy or m.startswith(heavy + ".")}, heavy


def test_adapters_without_their_framework_say_which_extra_to_install() -> None:
    for module, framework, extra in (
        ("langchain_oauth_codex", "langchain_core", "oauth-codex[langchain]"),
        ("llama_index.llms.oauth_codex", "llama_index.core", "oauth-codex[llama-index]"),
        ("oauth_codex.openai", "openai", "oauth-codex[openai]"),
    ):
        code = f"import sys; sys.modules[{framework!r}] = None; import {module}"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert done.returncode != 0
        assert f"pip install '{extra}'" in done.stderr, done.stderr
