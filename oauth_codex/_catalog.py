"""The model catalog, pure: ``/models`` entries -> :class:`~oauth_codex.types.ModelInfo`, the built-in
fallback list, the Codex CLI version we advertise, effort mapping and clamping, and the wording of
model errors. The cache file lives in :mod:`._catalog_cache`; the HTTP calls in the client.

Wire facts (audit CODEX-2026-12 §7): ``GET {base}/models?client_version=<v>`` answers
``{"models": [{slug, display_name, visibility, minimal_client_version, supported_reasoning_levels, ...}]}``
with an ``x-models-etag`` header; the list is gated by ``client_version`` (models whose
``minimal_client_version`` is newer are left out), so we send a real Codex CLI version, not our own.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .types import ModelInfo

__all__ = [
    "BUILTIN_MODELS",
    "CLIENT_VERSION_ENV",
    "CODEX_CLIENT_VERSION",
    "EFFORT_ORDER",
    "MODEL_ENV",
    "builtin_catalog",
    "clamp_effort",
    "client_version",
    "model_error_message",
    "parse_catalog",
    "parse_model",
    "visible",
    "wire_effort",
]

#: the Codex CLI release current when this list was made (``@openai/codex`` 0.155.0, September 2026;
#: audit CODEX-2026-12 §0). Sent as ``client_version`` to ``/models`` (audit §7, ranked mismatch 3) and,
#: only when the caller opts in, as the ``version`` header and ``codex_cli_rs/<v>`` User-Agent (audit §1).
CODEX_CLIENT_VERSION = "0.155.0"
CLIENT_VERSION_ENV = "CODEX_OAUTH_CLIENT_VERSION"
#: the default model when ``model=`` is not given (beats the catalog's first model)
MODEL_ENV = "CODEX_OAUTH_MODEL"

#: every effort the backend knows, weakest first (``max`` is the CLI's name for the top level)
EFFORT_ORDER: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh", "max")

_NEWER = ("low", "medium", "high", "xhigh", "max")


def _entry(
    slug: str, *, context: int, efforts: Sequence[str] = _NEWER, visibility: str = "list", priority: int
) -> dict[str, Any]:
    return {
        "slug": slug,
        "display_name": slug,
        "context_window": context,
        "default_reasoning_level": "medium",
        "supported_reasoning_levels": [{"effort": e} for e in efforts],
        "supports_reasoning_summaries": True,
        "support_verbosity": True,
        "input_modalities": ["text", "image"],
        "visibility": visibility,
        "priority": priority,
        "upgrade": None,
    }


#: The fallback when neither the backend nor the cache can say: the models visible at client_version
#: 0.155.0 in September 2026 (audit §7: Hermes #119412), server order. Retired slugs (gpt-5.4,
#: gpt-5.3-codex) are left out. ``minimal`` is not offered: gpt-6-astra rejects it (audit §2).
BUILTIN_MODELS: tuple[dict[str, Any], ...] = (
    _entry("gpt-6-astra", context=272_000, priority=0),
    _entry("gpt-6-sol", context=272_000, priority=1),
    _entry("gpt-6-luna", context=272_000, priority=2),
    _entry("gpt-5.6-sol", context=272_000, priority=3),
    _entry("gpt-5.6-terra", context=272_000, priority=4),
    _entry("gpt-5.6-luna", context=272_000, priority=5),
    _entry("gpt-5.5", context=272_000, efforts=("none", "low", "medium", "high", "xhigh"), priority=6),
)


def builtin_catalog() -> list[ModelInfo]:
    """The built-in model list (a new list of shared, frozen entries)."""
    return list(_builtin())


@functools.cache
def _builtin() -> tuple[ModelInfo, ...]:
    return tuple(parse_catalog({"models": list(BUILTIN_MODELS)}))


def client_version(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The Codex CLI version to advertise: ``explicit``, else ``$CODEX_OAUTH_CLIENT_VERSION``, else ours."""
    if explicit:
        return explicit
    value = (env or {}).get(CLIENT_VERSION_ENV, "").strip()
    return value or CODEX_CLIENT_VERSION


def parse_model(entry: Any) -> ModelInfo | None:
    """One ``/models`` entry as :class:`ModelInfo` (``None`` when it has no slug). Never raises."""
    if isinstance(entry, str):
        return ModelInfo(slug=entry, display_name=entry, raw={"slug": entry})
    if not isinstance(entry, Mapping):
        return None
    slug = entry.get("slug") or entry.get("id") or entry.get("name")
    if not isinstance(slug, str) or not slug:
        return None
    levels = entry.get("supported_reasoning_levels") or entry.get("supported_reasoning_efforts") or []
    efforts: list[str] = []
    if isinstance(levels, list):
        for level in levels:
            effort = level.get("effort") if isinstance(level, Mapping) else level
            if isinstance(effort, str) and effort not in efforts:
                efforts.append(effort)
    upgrade = entry.get("upgrade")
    if isinstance(upgrade, Mapping):
        upgrade = upgrade.get("model") or upgrade.get("slug")
    modalities = entry.get("input_modalities")
    default = entry.get("default_reasoning_level", entry.get("default_reasoning_effort"))
    return ModelInfo(
        slug=slug,
        display_name=_str(entry.get("display_name")) or slug,
        context_window=_int(entry.get("context_window")),
        default_reasoning_effort=default if isinstance(default, str) else None,
        supported_reasoning_efforts=efforts,
        supports_reasoning_summaries=entry.get("supports_reasoning_summaries") is True,
        supports_verbosity=(entry.get("support_verbosity") or entry.get("supports_verbosity")) is True,
        input_modalities=[m for m in modalities if isinstance(m, str)] if isinstance(modalities, list) else [],
        visibility=_str(entry.get("visibility")) or "list",
        priority=_int(entry.get("priority")),
        upgrade=upgrade if isinstance(upgrade, str) and upgrade else None,
        raw=dict(entry),
    )


def parse_catalog(data: Any) -> list[ModelInfo]:
    """``{"models": [...]}`` (or ``{"data": [...]}``, or a bare list) -> models, in the server's order."""
    entries: Any = data
    if isinstance(data, Mapping):
        entries = data.get("models", data.get("data", []))
    if not isinstance(entries, list):
        return []
    models = [parse_model(e) for e in entries]
    return [m for m in models if m is not None]


def visible(models: Iterable[ModelInfo], include_hidden: bool = False) -> list[ModelInfo]:
    """Only ``visibility == "list"`` entries (what the Codex CLI shows) unless ``include_hidden``."""
    return [m for m in models if include_hidden or m.visibility == "list"]


def wire_effort(effort: Any) -> Any:
    """``ultra`` is sent as ``max``, as the Codex CLI does; the backend rejects ``ultra`` (audit §2, ranked 7)."""
    return "max" if effort == "ultra" else effort


def clamp_effort(effort: str, info: ModelInfo | None) -> str:
    """``effort`` if ``info`` supports it (or says nothing), else the nearest supported effort.

    Ties go to the weaker effort (cheaper, and what the model surely takes). Efforts we do not know the
    rank of are sent unchanged: the backend is the judge.
    """
    if info is None or not info.supported_reasoning_efforts or effort in info.supported_reasoning_efforts:
        return effort
    if effort not in EFFORT_ORDER:
        return effort
    rank = EFFORT_ORDER.index(effort)
    ranked = [e for e in info.supported_reasoning_efforts if e in EFFORT_ORDER]
    if not ranked:
        return effort
    return min(ranked, key=lambda e: (abs(EFFORT_ORDER.index(e) - rank), EFFORT_ORDER.index(e)))


def model_error_message(model: str | None, *, gated: bool, available: Sequence[str], detail: str | None) -> str:
    """One sentence for :class:`~oauth_codex.errors.ModelNotSupportedError` that says what to do next."""
    name = f"model '{model}'" if model else "requested model"
    choices = f": {', '.join(available[:12])}" if available else " (`oauth-codex models` lists them)"
    if gated:
        return (
            f"The backend says the {name} requires a newer Codex client version than this request "
            f"advertised: set {CLIENT_VERSION_ENV} to the current Codex CLI version (or pass "
            f"client_version=...), or choose another model with model= or {MODEL_ENV}{choices}."
        )
    said = f" (backend: {detail.rstrip('.')})" if detail else ""
    return (
        f"The {name} is not available for this ChatGPT login, it is unknown, retired or not on "
        f"your plan{said}: choose another with model= or {MODEL_ENV}{choices}."
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
