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
