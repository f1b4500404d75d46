"""Context window and output limits of the models the Codex backend serves (for ``LLMMetadata``)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ModelLimits", "model_limits"]


class ModelLimits(NamedTuple):
    """``context_window`` is input plus output tokens; ``num_output`` the most the model may generate."""

    context_window: int
    num_output: int


# gpt-5 and gpt-6 families: 272k input + 128k output (used when no model catalog is cached; the
# catalog's context_window wins then). Prefixes are matched longest first.
_GPT5 = ModelLimits(context_window=400_000, num_output=128_000)
_LIMITS: dict[str, ModelLimits] = {
    "gpt-5.3-codex-spark": ModelLimits(context_window=128_000, num_output=32_000),
    "codex-mini-latest": ModelLimits(context_window=200_000, num_output=100_000),
    "gpt-5": _GPT5,
    "gpt-6": _GPT5,
}
_DEFAULT = _GPT5


def model_limits(model: str) -> ModelLimits:
    """Limits for a model slug; unknown slugs get the gpt-5 family's limits."""
    slug = model.strip().lower()
    for prefix in sorted(_LIMITS, key=len, reverse=True):
        if slug.startswith(prefix):
            return _LIMITS[prefix]
    return _DEFAULT
