"""The emulator's model catalog: ``/models`` entries, client-version gating and per-model efforts. Pure.

Modelled on audit CODEX-2026-12 §7 (September 2026):

* ``GET /models?client_version=V`` leaves out models whose ``minimal_client_version`` is newer than ``V``
  and lists hidden ones with their ``visibility`` (the client filters); ``client_version`` is required
  (a 400 otherwise; docs/protocol.md "Unconfirmed", the stricter choice); ``x-models-etag`` with
  ``If-None-Match`` gives a 304.
* ``POST /responses`` answers 400 "The '<m>' model requires a newer version of Codex..." when the client
  *advertises* a Codex version (``version`` header, or a ``codex_cli_rs/<v>`` / ``codex-cli/<v>``
  User-Agent) older than the model's ``minimal_client_version``. A client that advertises no version is
  not gated: the evidence says such clients pass (pi, dreb).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "DEFAULT_CATALOG",
    "GATED_DETAIL",
    "advertised_version",
    "build_catalog",
    "catalog_etag",
    "gated",
    "listed_for",
    "parse_version",
]

GATED_DETAIL = (
    "The '{model}' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again."
)
_NEWER = ("low", "medium", "high", "xhigh", "max")
#: older slugs list every effort but max; the per-family rules of ``_validate._effort_for_model`` apply
_ANY = ("none", "minimal", "low", "medium", "high", "xhigh")


def _entry(
    minimal: str = "0.0.1",
    visibility: str = "list",
    efforts: Sequence[str] | None = None,
    context: int = 272_000,
    upgrade: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "minimal_client_version": minimal,
        "visibility": visibility,
        "context_window": context,
        "default_reasoning_level": "medium",
        "supports_reasoning_summaries": True,
        "support_verbosity": True,
        "input_modalities": ["text", "image"],
        "upgrade": {"model": upgrade} if upgrade else None,
    }
    levels = efforts if efforts is not None else _ANY
    entry["supported_reasoning_levels"] = [{"effort": e, "description": e} for e in levels]
    return entry


#: metadata of the slugs the emulator knows; slugs not here get the defaults of :func:`_entry`
DEFAULT_CATALOG: dict[str, dict[str, Any]] = {
    "gpt-6-astra": _entry("0.153.0", efforts=_NEWER),
    "gpt-6-sol": _entry("0.154.0", efforts=_NEWER),
    "gpt-6-luna": _entry("0.154.0", efforts=_NEWER),
    "gpt-5.6-sol": _entry("0.142.2", efforts=_NEWER, context=372_000),
    "gpt-5.6-terra": _entry("0.142.2", efforts=_NEWER),
    "gpt-5.6-luna": _entry("0.142.2", efforts=_NEWER),
    "gpt-5.5": _entry("0.125.0", efforts=("none", "low", "medium", "high", "xhigh")),
    "gpt-5.4-mini": _entry(visibility="hide"),
    "gpt-5.3-codex-spark": _entry(visibility="hide", context=128_000),
    "gpt-5.4": _entry(upgrade="gpt-5.5"),
}
#: the order ``/models`` lists models in (newest first), then the rest in allow-list order
_ORDER = ("gpt-6-astra", "gpt-6-sol", "gpt-6-luna", "gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna", "gpt-5.5")


def build_catalog(
    slugs: Iterable[str], overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Full ``/models`` entries for the allow-listed ``slugs``, newest first, ``priority`` by position."""
    slugs = list(dict.fromkeys(slugs))
    ordered = [s for s in _ORDER if s in slugs] + [s for s in slugs if s not in _ORDER]
    entries = []
    for n, slug in enumerate(ordered):
        entry = {"slug": slug, "display_name": slug, **_entry(), **DEFAULT_CATALOG.get(slug, {})}
        entry.update((overrides or {}).get(slug, {}))
        entry["priority"] = n
        entries.append(entry)
    return entries


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """``"0.155.0"`` -> ``(0, 155, 0)``; ``None`` when it is not a dotted version."""
    if not text:
        return None
    match = re.match(r"^\s*v?(\d+(?:\.\d+)*)", text)
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


_UA_VERSION = re.compile(r"(?:codex_cli_rs|codex-cli|codex_exec|codex-tui)/(\d+(?:\.\d+)*)", re.IGNORECASE)


def advertised_version(headers: Mapping[str, str]) -> tuple[int, ...] | None:
    """The Codex version a request claims: the ``version`` header, else a ``codex_cli_rs/<v>`` User-Agent."""
    version = parse_version(headers.get("version"))
    if version is not None:
        return version
    match = _UA_VERSION.search(headers.get("user-agent") or "")
    return parse_version(match.group(1)) if match else None


def gated(entry: Mapping[str, Any] | None, version: tuple[int, ...] | None) -> bool:
    """Whether a client advertising ``version`` is too old for ``entry`` (``None``: never gated)."""
    if entry is None or version is None:
        return False
    minimal = parse_version(str(entry.get("minimal_client_version") or ""))
    return minimal is not None and version < minimal


def listed_for(entries: Sequence[Mapping[str, Any]], version: tuple[int, ...]) -> list[dict[str, Any]]:
    """The entries a ``/models?client_version=...`` call sees (gated ones left out)."""
    return [dict(e) for e in entries if not gated(e, version)]


def catalog_etag(entries: Sequence[Mapping[str, Any]]) -> str:
    """A weak etag of exactly this list (changes whenever the answer would)."""
    digest = hashlib.sha256(json.dumps(list(entries), sort_keys=True).encode()).hexdigest()[:16]
    return f'W/"{digest}"'
