"""Layering: the adapters use only the core's public names (issue 12 §2; issue 13 extends this file).

A private core module (``oauth_codex._*``, ``oauth_codex.auth._*``, any ``_``-prefixed part) is free to
change; an adapter that imports one breaks silently when it does. Public names are re-exported from
``oauth_codex``, ``oauth_codex.auth``, ``oauth_codex.errors``, ``oauth_codex.types``, ``oauth_codex.policy``
and ``oauth_codex.client``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ADAPTER_FILES = sorted((ROOT / "integrations").rglob("*.py"))


def private_core_imports(source: str) -> list[str]:
    """``oauth_codex`` modules or names with a ``_``-prefixed part imported by ``source``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for dotted in modules + names:
            parts = dotted.split(".")
            if parts[0] == "oauth_codex" and any(part.startswith("_") for part in parts[1:]):
                found.append(dotted)
    return found


def test_the_check_catches_private_imports() -> None:
    assert private_core_imports("from oauth_codex.auth._tokens import TokenStore") == [
        "oauth_codex.auth._tokens",
        "oauth_codex.auth._tokens.TokenStore",
    ]
    assert private_core_imports("import oauth_codex._transport") == ["oauth_codex._transport"]
    assert private_core_imports("from oauth_codex import _call") == ["oauth_codex._call"]
    assert private_core_imports("from oauth_codex import CodexOAuthLLM\nfrom ._convert import x") == []


@pytest.mark.parametrize("path", ADAPTER_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_import_only_public_core_names(path: Path) -> None:
    assert ADAPTER_FILES, "no adapter sources found"
    assert private_core_imports(path.read_text(encoding="utf-8")) == []


# ---------------------------------------------------------------------------------------------------------
# Core, emulator and pure modules (issue 13 §2). Imports are resolved to absolute module names, relative ones
# included; an import inside a function is "lazy" (it runs only when the function does).

CORE = ROOT / "oauth_codex"
CORE_FILES = sorted(p for p in CORE.rglob("*.py") if "testing" not in p.relative_to(CORE).parts)
#: the only core modules that may import the emulator, and only lazily: `oauth-codex emulator` and `demo`
#: (`demo --route siwc` too)
EMULATOR_ENTRY_POINTS = {"oauth_codex.cli", "oauth_codex._demo", "oauth_codex._demo_siwc"}
FRAMEWORKS = ("langchain", "langchain_core", "langgraph", "langchain_oauth_codex", "llama_index")
#: decisions and data without I/O; each imports only modules of this set or of PURE_DEPENDENCIES
PURE = {
    "oauth_codex._accumulate",
    "oauth_codex._call",
    "oauth_codex._catalog",
    "oauth_codex._options",
    "oauth_codex._ratelimits",
    "oauth_codex._request",
    "oauth_codex._siwc_errors",
    "oauth_codex._siwc_request",
    "oauth_codex._sse",
    "oauth_codex._tools",
    "oauth_codex._failures",
    "oauth_codex.policy",
}
PURE_DEPENDENCIES = {"oauth_codex.errors", "oauth_codex.types", "oauth_codex._version", "oauth_codex.auth._tokens"}
#: standard-library modules that do I/O (files, sockets, processes, threads, the event loop, logging)
IO_MODULES = (
    "asyncio", "http", "io", "logging", "os", "pathlib", "shutil", "socket", "ssl", "subprocess",
    "tempfile", "threading", "urllib.request", "webbrowser", "filelock", "keyring",
)  # fmt: skip
#: what sends a request with httpx (its exception and type names are fine to use)
HTTPX_IO = {"Client", "AsyncClient", "request", "stream", "get", "post", "put", "patch", "delete", "head", "options"}
IO_BUILTINS = {"open", "print", "input", "breakpoint"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] == "integrations":
        parts = parts[2:]  # integrations/<dist>/<package>/...
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, bool]]:
    """``(absolute module or module.name, lazy)`` for every import in ``path``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lazy_nodes = {  # inside a function, or type-only (under `if TYPE_CHECKING:`)
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        or (isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
        for inner in ast.walk(node)
    }
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        lazy = id(node) in lazy_nodes
        if isinstance(node, ast.Import):
            found += [(alias.name, lazy) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, lazy))
            found += [(f"{module}.{alias.name}", lazy) for alias in node.names]
    return found


def within(module: str, *roots: str) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


def test_import_resolution() -> None:
    demo = {m for m, lazy in imports(CORE / "_demo.py") if lazy}
    assert "oauth_codex.testing.CodexEmulator" in demo
    assert ("oauth_codex._accumulate", False) in imports(CORE / "_call.py")
    assert module_name(ROOT / "integrations/langchain/langchain_oauth_codex/chat_models.py") == (
        "langchain_oauth_codex.chat_models"
    )


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_the_adapters_or_the_emulator(path: Path) -> None:
    name = module_name(path)
    for module, lazy in imports(path):
        assert not within(module, *FRAMEWORKS), f"{name} imports {module}: the core knows no framework"
        if within(module, "oauth_codex.testing"):
            assert name in EMULATOR_ENTRY_POINTS and lazy, (
                f"{name} imports {module}: only the CLI's emulator/demo entry points may, inside a function"
            )


@pytest.mark.parametrize("path", ADAPTER_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_do_no_http_of_their_own(path: Path) -> None:
    """The core client does every request; an adapter may name httpx types (to pass clients through)."""
    for module, _ in imports(path):
        assert not within(module, "oauth_codex.testing"), f"{path.name} imports the emulator ({module})"
        assert not within(module, *(f"httpx.{n}" for n in HTTPX_IO)), f"{path.name} imports {module}"
    assert not httpx_calls(path.read_text(encoding="utf-8")), f"{path.name} sends with httpx itself"


def httpx_calls(source: str) -> list[str]:
    """``httpx.Client(...)``, ``httpx.post(...)`` and the like in ``source``."""
    return [
        f"httpx.{node.func.attr}"
        for node in sorted(ast.walk(ast.parse(source)), key=lambda n: getattr(n, "lineno", 0))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "httpx"
        and node.func.attr in HTTPX_IO
    ]


def io_builtin_calls(source: str) -> list[str]:
    return [
        node.func.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in IO_BUILTINS
    ]


def test_the_io_checks_catch_io() -> None:
    assert httpx_calls("import httpx\nhttpx.Client(timeout=1).get('x')\nhttpx.post('u')") == [
        "httpx.Client",
        "httpx.post",
    ]
    assert httpx_calls("import httpx\ntry:\n    pass\nexcept httpx.HTTPError:\n    pass\nhttpx.Timeout(1)") == []
    assert io_builtin_calls("with open('f') as f:\n    print(f.read())") == ["open", "print"]


def test_every_pure_module_exists() -> None:
    assert {module_name(p) for p in CORE_FILES} >= PURE | PURE_DEPENDENCIES


@pytest.mark.parametrize("name", sorted(PURE))
def test_pure_modules_do_no_io(name: str) -> None:
    path = ROOT / (name.replace(".", "/") + ".py")
    source = path.read_text(encoding="utf-8")
    for module, _ in imports(path):
        if within(module, "oauth_codex"):
            assert any(within(module, allowed) for allowed in PURE | PURE_DEPENDENCIES), (
                f"{name} imports {module}, which is neither pure nor plain data"
            )
        assert not within(module, *IO_MODULES), f"{name} imports {module}: pure modules do no I/O"
    assert not httpx_calls(source), f"{name} sends requests"
    assert not io_builtin_calls(source), f"{name} calls {io_builtin_calls(source)}"
