"""The official ``openai`` SDK on a ChatGPT login: :class:`OpenAI` and :class:`AsyncOpenAI`.

>>> from oauth_codex.openai import OpenAI
>>> client = OpenAI()                                                      # doctest: +SKIP
>>> client.responses.create(model="gpt-5.5", input="Say hi").output_text   # doctest: +SKIP

They are genuine ``openai.OpenAI`` / ``openai.AsyncOpenAI`` instances whose transport runs in this process
(no local server): pass them to code written for the SDK, e.g. the OpenAI Agents SDK. Installed by the
extra ``oauth-codex[openai]``; ``import oauth_codex`` never imports ``openai``.
"""

from __future__ import annotations

try:
    import openai  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "oauth_codex.openai needs the openai SDK: install it with `pip install 'oauth-codex[openai]'`."
    ) from exc

from ._client import AsyncOpenAI, OpenAI

__all__ = ["AsyncOpenAI", "OpenAI"]
