"""LlamaIndex integration for the ChatGPT Codex backend with a ChatGPT login.

>>> from llama_index.llms.oauth_codex import CodexOAuth
>>> llm = CodexOAuth(model="gpt-5.5")          # doctest: +SKIP
>>> print(llm.complete("Say hi"))               # doctest: +SKIP
"""

from llama_index.llms.oauth_codex.base import CodexOAuth

__all__ = ["CodexOAuth"]
