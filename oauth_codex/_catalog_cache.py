"""The model-catalog cache file: one small JSON document per account, so a process start costs no round trip.

Layout: ``<directory>/models/<account id>.json`` (``directory`` defaults to ``$CODEX_OAUTH_HOME``; a
per-profile home can pass its own directory) holding ``{"fetched_at", "etag", "client_version",
"models": [<raw /models entries>]}``. The cache is an optimisation only: reading never raises (a missing,
corrupt or foreign file is ``None``) and a failed write is ignored, so it can never break a request.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth._config import OAuthConfig
    from .types import ModelInfo

__all__ = [
    "DEFAULT_TTL",
    "CachedCatalog",
    "cache_file",
    "cached_model_info",
    "find_cached_entry",
    "load_cache",
    "save_cache",
]

#: how long a cached catalog is used without asking the backend (then an ``If-None-Match`` request)
DEFAULT_TTL = 3600.0
_VERSION = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class CachedCatalog:
    """A catalog as fetched: raw entries (every visibility), when, its ``x-models-etag`` and our version."""

    fetched_at: float
    etag: str | None
    client_version: str
    models: list[dict[str, Any]] = field(default_factory=list)

    @cached_property
    def infos(self) -> list[ModelInfo]:
        """The entries parsed (once per catalog: the request path reads it on every call)."""
        from ._catalog import parse_catalog

        return parse_catalog(self.models)

    def age(self, now: float) -> float:
        return max(0.0, now - self.fetched_at)

    def fresh(self, now: float, ttl: float = DEFAULT_TTL) -> bool:
        return self.age(now) < ttl


def cache_file(directory: Path | str, account_id: str | None) -> Path:
    """The cache file of ``account_id`` (``"default"`` when the login has none) under ``directory``."""
    name = _UNSAFE.sub("_", account_id or "default").strip("._") or "default"
    return Path(directory) / "models" / f"{name[:128]}.json"


def load_cache(path: Path) -> CachedCatalog | None:
    """The cached catalog at ``path``, or ``None`` (missing, unreadable, corrupt or another layout)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        return None
    fetched_at, etag, version, models = (data.get(k) for k in ("fetched_at", "etag", "client_version", "models"))
    if not isinstance(fetched_at, int | float) or not isinstance(version, str) or not isinstance(models, list):
        return None
    return CachedCatalog(
        fetched_at=float(fetched_at),
        etag=etag if isinstance(etag, str) else None,
        client_version=version,
        models=[m for m in models if isinstance(m, dict)],
    )


def save_cache(path: Path, catalog: CachedCatalog) -> bool:
    """Write ``catalog`` atomically (temp file + ``os.replace``); ``False`` when it could not be written."""
    document = {
        "v": _VERSION,
        "fetched_at": catalog.fetched_at,
        "etag": catalog.etag,
        "client_version": catalog.client_version,
        "models": catalog.models,
    }
    from .auth._file_store import ensure_private_dir
    from .errors import TokenStoreError

    tmp: str | None = None
    try:
        try:
            ensure_private_dir(path.parent)  # 0700 for what it creates (CODEX_OAUTH_HOME too), checks the rest
        except TokenStoreError:
            return False
        fd, tmp = tempfile.mkstemp(prefix=".models-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False)
        os.replace(tmp, path)
        tmp = None
        return True
    except OSError:
        return False
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def find_cached_entry(directory: Path | str, slug: str) -> dict[str, Any] | None:
    """The raw ``/models`` entry for ``slug`` from the newest cache file under ``directory`` (no network)."""
    folder = Path(directory) / "models"
    try:
        files = sorted(folder.glob("*.json"), key=lambda f: f.stat().st_mtime, reverse=True)
    except OSError:
        return None
    for path in files:
        cached = load_cache(path)
        for entry in cached.models if cached is not None else []:
            if entry.get("slug") == slug:
                return entry
    return None


def cached_model_info(model: str, config: OAuthConfig | None = None) -> ModelInfo | None:
    """``model``'s entry from the cached catalog of ``config``'s profile (no network), else ``None``.

    What the adapters use for LangChain ``profile`` and LlamaIndex ``context_window``.
    """
    from ._catalog import parse_model
    from .auth._config import OAuthConfig
    from .auth._profiles import profile_dir

    entry = find_cached_entry(profile_dir(config or OAuthConfig.from_env()), model)
    return parse_model(entry) if entry is not None else None
