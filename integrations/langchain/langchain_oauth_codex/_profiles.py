"""Model profiles (``ChatCodexOAuth.profile``) for the Codex slugs seen on the ChatGPT backend.

The Codex backend caps the *input* of the gpt-5 family at 272k tokens (400k context minus 128k output);
it never takes ``temperature``, and system text is lifted into ``instructions`` (so system messages and
tools cannot change mid-conversation in place). When the model catalog is cached (``list_models()``),
its context window, efforts and modalities win over this table; the table (September 2026, audit
CODEX-2026-12 §7, retired slugs removed) covers the rest. Unknown slugs get no profile (``None``).
"""

from __future__ import annotations

from langchain_core.language_models import ModelProfile

from oauth_codex import ModelInfo

__all__ = ["get_model_profile"]

_BASE: ModelProfile = {
    "max_input_tokens": 272_000,
    "max_output_tokens": 128_000,
    "text_inputs": True,
    "image_inputs": True,
    "image_url_inputs": True,
    "pdf_inputs": True,
    "audio_inputs": False,
    "video_inputs": False,
    "image_tool_message": True,
    "pdf_tool_message": True,
    "text_outputs": True,
    "image_outputs": False,
    "audio_outputs": False,
    "video_outputs": False,
    "reasoning_output": True,
    "tool_calling": True,
    "tool_choice": True,
    "tool_call_streaming": True,
    "structured_output": True,
    "temperature": False,
    "mid_conversation_system_messages": False,
    "mid_conversation_tools": False,
}

_GPT5 = ["minimal", "low", "medium", "high"]
_CODEX = ["low", "medium", "high"]
_CODEX_X = ["low", "medium", "high", "xhigh"]
_GPT51 = ["none", "low", "medium", "high"]
_NEWER = ["none", "low", "medium", "high", "xhigh"]
_MAX = ["low", "medium", "high", "xhigh", "max"]

_LEVELS: dict[str, list[str]] = {
    "gpt-5": _GPT5,
    "gpt-5-codex": _CODEX,
    "gpt-5-codex-mini": _CODEX,
    "gpt-5.1": _GPT51,
    "gpt-5.1-codex": _CODEX,
    "gpt-5.1-codex-mini": _CODEX,
    "gpt-5.1-codex-max": _CODEX_X,
    "gpt-5.2-codex": _CODEX_X,
    "gpt-5.3-codex-spark": _CODEX_X,
    "gpt-5.4-mini": _NEWER,
    "gpt-5.5": _NEWER,
    "gpt-5.6-sol": _MAX,
    "gpt-5.6-terra": _MAX,
    "gpt-5.6-luna": _MAX,
    "gpt-6-astra": _MAX,
    "gpt-6-sol": _MAX,
    "gpt-6-luna": _MAX,
}

_OVERRIDES: dict[str, ModelProfile] = {
    # o4-mini based; smaller window.
    "codex-mini-latest": {"max_input_tokens": 200_000, "max_output_tokens": 100_000},
    # Text-only research preview.
    "gpt-5.3-codex-spark": {
        "max_input_tokens": 128_000,
        "image_inputs": False,
        "image_url_inputs": False,
        "pdf_inputs": False,
        "image_tool_message": False,
        "pdf_tool_message": False,
    },
}


def get_model_profile(model: str, info: ModelInfo | None = None) -> ModelProfile | None:
    """Return a fresh profile for ``model`` (``info``: its cached catalog entry), or ``None`` when unknown."""
    slug = model.strip().lower()
    if slug not in _LEVELS and slug not in _OVERRIDES and info is None:
        return None
    profile: ModelProfile = {**_BASE}
    levels = _LEVELS.get(slug, _CODEX)
    profile["reasoning_effort_levels"] = list(levels)
    profile["reasoning_effort_default"] = "medium"
    profile.update(_OVERRIDES.get(slug, {}))
    if info is not None:
        if info.context_window:
            profile["max_input_tokens"] = info.context_window
        if info.supported_reasoning_efforts:
            profile["reasoning_effort_levels"] = list(info.supported_reasoning_efforts)
        if info.default_reasoning_effort:
            profile["reasoning_effort_default"] = info.default_reasoning_effort
        if info.input_modalities:
            images = "image" in info.input_modalities
            profile["image_inputs"] = profile["image_url_inputs"] = profile["image_tool_message"] = images
    return profile
