"""LlamaIndex integration for the ChatGPT Codex backend with a ChatGPT login.

>>> from llama_index.llms.oauth_codex import CodexOAuth
>>> llm = CodexOAuth(model="gpt-5.5")          # doctest: +SKIP
>>> print(llm.complete("Say hi"))               # doctest: +SKIP
"""

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "llama_index.llms.oauth_codex needs llama-index-core: install it with "
        "`pip install 'oauth-codex[llama-index]'`."
    ) from exc

from llama_index.llms.oauth_codex.base import CodexOAuth

__all__ = ["CodexOAuth"]
