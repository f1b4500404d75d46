"""The module ``__getattr__`` (PEP 562) of packages that import some of their names on first access."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, modules: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """``__getattr__`` for ``package``: ``name`` is imported from the relative module ``modules[name]``.

    The value is stored in ``namespace`` (the package's ``globals()``), so each name is imported once.
    """

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    return __getattr__
