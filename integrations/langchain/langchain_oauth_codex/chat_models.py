"""``ChatCodexOAuth``: a LangChain chat model on the ChatGPT Codex backend, signed in with a ChatGPT login.

A thin translator over :class:`oauth_codex.CodexOAuthLLM`: messages go in through
:func:`~langchain_oauth_codex._convert.convert_messages`, the core client's ``raw_events=True`` stream comes
back through :class:`~langchain_oauth_codex._convert.StreamConverter`. HTTP, SSE, token refresh, retries and
error classification all stay in the core client.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal, Self, cast

import httpx
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput, ModelProfile
from langchain_core.language_models.chat_models import (
    BaseChatModel,
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.pydantic import is_basemodel_subclass
from langchain_core.utils.utils import from_env
from pydantic import ConfigDict, Field, PrivateAttr, field_validator, model_validator

from oauth_codex import (
    CodexError,
    CodexOAuthLLM,
    OAuthConfig,
    StreamEvent,
    TokenProvider,
    TokenStore,
    UsageLimitError,
)
from oauth_codex.auth import validate_profile_name
from oauth_codex.client import DEFAULT_MODEL
from oauth_codex.policy import drop_unsupported, merge_include, normalize_tool_choice

from ._convert import MODEL_PROVIDER, StreamConverter, convert_messages, to_responses_v1
from ._errors import translate_error
from ._profiles import get_model_profile
from ._structured import RefusalAwareJsonParser, RefusalAwarePydanticParser
from ._tokens import count_message_tokens, count_text_tokens
from ._tools import ToolLike, convert_tool, json_object_format, json_schema_format

__all__ = ["ChatCodexOAuth"]

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]

# Per-call keyword arguments that LangChain or callers pass but the backend must never see (ADAPTERS §0).
_NEVER_SENT = frozenset(
    {
        "stream",
        "stop",
        "temperature",
        "top_p",
        "max_tokens",
        "max_output_tokens",
        "max_completion_tokens",
        "ls_structured_output_format",
        "structured_output_format",
    }
)
_CALL_OPTIONS = frozenset(
    {
        "model",
        "instructions",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "reasoning",
        "reasoning_effort",
        "verbosity",
        "include",
        "prompt_cache_key",
    }
)
_API_KEY_NAMES = ("api_key", "openai_api_key")
_SHARED_FIELDS = (
    "client",
    "on_wait",
    "token_store",
    "token_provider",
    "oauth_config",
    "http_client",
    "async_http_client",
)


class ChatCodexOAuth(BaseChatModel):
    """Chat model for the ChatGPT Codex backend (``chatgpt.com/backend-api/codex``) with a ChatGPT login.

    A drop-in for ``ChatOpenAI`` in chains and agents: tool calling (``bind_tools``), structured output
    (``with_structured_output``: ``json_schema``, ``function_calling``, ``json_mode``), sync and native
    async streaming, usage metadata, reasoning summaries and stateless reasoning replay.

    Authentication comes from ``oauth-codex login`` (the default token store), or pass ``token_store``,
    ``token_provider`` / ``oauth_config``, or a ready ``client=CodexOAuthLLM(...)``. Construction does no
    I/O; credentials load on the first call.

    The backend only streams, so ``invoke`` streams and aggregates. ``temperature``, ``max_tokens`` and
    ``stop`` are accepted (and traced) but never sent: the backend rejects them. System messages become
    the request's ``instructions`` (precedence: ``instructions=`` per call > system messages > the
    ``instructions`` field).

    Errors surface as classes that inherit both the oauth-codex error and LangChain's ``ModelError``
    subclass (``UsageLimitError`` is a non-retryable ``ModelRateLimitError``, ...), so ``with_retry`` and
    ``with_fallbacks`` can filter on either.

    Example:
        ```python
        from langchain_oauth_codex import ChatCodexOAuth

        llm = ChatCodexOAuth(model="gpt-5.5", reasoning_effort="low")
        llm.invoke("Explain PKCE in one sentence.").text

        from langgraph.prebuilt import create_react_agent

        agent = create_react_agent(llm, [my_tool])
        ```

    ``init_chat_model("openai:gpt-5.1-codex")`` builds a ``ChatOpenAI`` that needs an API key, not this
    class: pass a ``ChatCodexOAuth`` instance to agents instead.
    """

    model_name: str = Field(default=DEFAULT_MODEL, alias="model")
    """Model slug, e.g. ``"gpt-5.5"`` or ``"gpt-5.3-codex"`` (a per-call ``model=`` overrides it)."""

    instructions: str | None = None
    """Default ``instructions`` when the input has no system message (``None``: the core client's
    default, a short helpful-assistant prompt; the backend requires a non-empty value)."""

    reasoning_effort: ReasoningEffort | None = None
    """Reasoning effort (``reasoning.effort``); which levels a model takes is in ``profile``."""

    reasoning: dict[str, Any] | None = None
    """The full ``reasoning`` object, e.g. ``{"effort": "high", "summary": "detailed"}``; ``reasoning_effort``
    overrides its ``effort``. A ``summary`` of ``"auto"`` is requested unless one is given."""

    include_encrypted_reasoning: bool = True
    """Request ``reasoning.encrypted_content`` so reasoning can be replayed on the next turn (the backend is
    stateless: ``store`` is always false). Replayable items land in
    ``AIMessage.additional_kwargs["reasoning_items"]``."""

    include: list[str] | None = None
    """Extra ``include`` values sent with every request."""

    verbosity: Literal["low", "medium", "high"] | None = None
    """Output verbosity (``text.verbosity``)."""

    parallel_tool_calls: bool | None = None
    """Allow several tool calls in one turn (default: the model catalog's ``supports_parallel_tool_calls``
    when the catalog is known, else off, the backend's default; ``ChatOpenAI`` leaves it to the API)."""

    prompt_cache_key: str | None = None
    """Cache key for prompt caching (default: one per client instance)."""

    originator: str | None = None
    """``originator`` header (default: ``codex_cli_rs`` or ``CODEX_OAUTH_ORIGINATOR``)."""

    temperature: float | None = None
    """Accepted for compatibility and tracing; never sent (the backend rejects it)."""

    max_tokens: int | None = None
    """Accepted for compatibility and tracing; never sent (the backend rejects ``max_output_tokens``)."""

    stop: list[str] | None = None
    """Accepted for compatibility and tracing; never sent (the Responses API has no stop sequences)."""

    timeout: float | httpx.Timeout | None = None
    """Request timeout in seconds (default: connect 10 s, read 300 s)."""

    max_retries: int | None = None
    """Retries of connection errors, timeouts, 5xx and retryable stream failures (default 4)."""

    base_url: str | None = Field(default_factory=from_env("CODEX_OAUTH_BASE_URL", default=None))
    """Backend base URL (default ``CODEX_OAUTH_BASE_URL`` or ``https://chatgpt.com/backend-api/codex``).
    The access token follows it: the core client warns unless the host is chatgpt.com or loopback."""

    streaming: bool = False
    """Stream through callbacks on ``invoke`` too (the wire always streams)."""

    interactive: bool | None = None
    """Log in interactively when no login is stored (``None``: only when stdin is a TTY or in a notebook)."""

    client: CodexOAuthLLM | None = Field(default=None, exclude=True, repr=False)
    """A ready core client to send with. Its own connection, auth, retry and ``originator`` settings then
    apply instead of the fields that configure them; ``model``, ``instructions`` and the request options
    still come from this model."""

    token_store: TokenStore | None = Field(default=None, exclude=True, repr=False)
    """Where the ChatGPT login is stored (default: keyring, then ``~/.oauth_codex/auth.json``)."""

    token_provider: TokenProvider | None = Field(default=None, exclude=True, repr=False)
    """Supplies access tokens directly (e.g. ``StaticTokenProvider``), bypassing the OAuth login."""

    oauth_config: OAuthConfig | None = Field(default=None, exclude=True, repr=False)
    """OAuth endpoints and settings (default ``OAuthConfig.from_env()``)."""

    http_client: httpx.Client | None = Field(default=None, exclude=True, repr=False)
    """An ``httpx.Client`` for the core client to send with."""

    async_http_client: httpx.AsyncClient | None = Field(default=None, exclude=True, repr=False)
    """An ``httpx.AsyncClient`` for the core client to send with."""

    usage_budget: float | None = None
    """Stop before sending when a usage window is at least this full (a share, e.g. 0.9); raises
    ``UsageBudgetExceededError``. Default: ``CODEX_OAUTH_USAGE_BUDGET`` or no budget."""

    on_usage_limit: Literal["raise", "wait"] = "raise"
    """``"wait"``: on a usage limit whose reset is within ``max_wait``, wait for it and re-send."""

    max_wait: float | None = None
    """The longest wait for a usage reset, in seconds (required with ``on_usage_limit="wait"``)."""

    on_wait: Callable[[float, UsageLimitError], object] | None = Field(default=None, exclude=True, repr=False)
    """Called with ``(seconds_left, error)`` at least once a second while waiting for a reset."""

    profile_name: str | None = None
    """Which of several ChatGPT logins to use (``oauth-codex login --profile NAME``); default:
    ``CODEX_OAUTH_PROFILE``, else the current profile (``oauth-codex profile use``), else ``default``."""

    route: Literal["codex", "siwc", "auto"] | None = None
    """``"codex"`` (the Codex backend), ``"siwc"`` (the official "Sign in with ChatGPT" plan usage on
    ``/v1/responses``) or ``"auto"`` (the profile's route); default ``CODEX_OAUTH_ROUTE``, else ``"codex"``.
    On ``"siwc"`` ``temperature``/``max_tokens``/``top_p`` are dropped as on the Codex route."""

    siwc_config: Any = Field(default=None, exclude=True, repr=False)
    """Where the ``siwc`` route signs in and sends requests (an ``oauth_codex.auth.SiwcConfig``)."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    @field_validator("profile_name")
    @classmethod
    def _valid_profile_name(cls, value: str | None) -> str | None:
        return None if value is None else validate_profile_name(value)

    _core: CodexOAuthLLM | None = PrivateAttr(default=None)
    _core_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    # ------------------------------------------------------------------------------ construction

    @model_validator(mode="before")
    @classmethod
    def _drop_foreign_kwargs(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
        for name in _API_KEY_NAMES:
            if name in values:
                warnings.warn(
                    f"ChatCodexOAuth ignores {name!r}: it signs in with a ChatGPT login "
                    "(`oauth-codex login`), not an API key.",
                    UserWarning,
                    stacklevel=4,
                )
        unknown = sorted(k for k in values if k not in known and k not in _API_KEY_NAMES)
        if unknown:
            warnings.warn(f"ChatCodexOAuth ignores unknown arguments {unknown}.", UserWarning, stacklevel=4)
        return {k: v for k, v in values.items() if k in known}

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        # Clients, token stores and locks are shared, not copied (they hold locks and sockets).
        memo = {} if memo is None else memo
        for name in _SHARED_FIELDS:
            value = getattr(self, name)
            if value is not None:
                memo[id(value)] = value
        for value in (self._core, self._core_lock):
            if value is not None:
                memo[id(value)] = value
        return super().__deepcopy__(memo)

    def _resolve_model_profile(self) -> ModelProfile | None:
        # the cached model catalog (a local file, never a request) wins over the static table
        from oauth_codex.client import cached_model_info

        return get_model_profile(self.model_name, cached_model_info(self.model_name, self.oauth_config))

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """``True``: ``dumpd``/``dumps`` keep the settings (model, reasoning, base URL, ...); auth objects,
        clients and token stores are excluded fields and never serialised, so no secret is written.
        ``loads(text, valid_namespaces=["langchain_oauth_codex"], allowed_objects=[ChatCodexOAuth])``
        rebuilds it; the copy signs in with the default login."""
        return True

    @property
    def model(self) -> str:
        """The model slug (same as ``model_name``)."""
        return self.model_name

    @property
    def _llm_type(self) -> str:
        return "oauth-codex-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "reasoning_effort": self.reasoning_effort,
            "reasoning": self.reasoning,
            "verbosity": self.verbosity,
            "include_encrypted_reasoning": self.include_encrypted_reasoning,
            "profile_name": self.profile_name,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        model = kwargs.get("model")
        params = LangSmithParams(
            ls_provider=MODEL_PROVIDER,
            ls_model_name=model if isinstance(model, str) and model else self.model_name,
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stop_sequences = stop or kwargs.get("stop") or self.stop
        if stop_sequences:
            params["ls_stop"] = list(stop_sequences)
        return params

    # ------------------------------------------------------------------------------ core client

    @property
    def core_client(self) -> CodexOAuthLLM:
        """The core client this model sends with: ``client``, or a ``CodexOAuthLLM`` built on first use."""
        if self.client is not None:
            return self.client
        core = self._core
        if core is None:
            with self._core_lock:
                core = self._core
                if core is None:
                    core = self._build_core()
                    self._core = core
        return core

    def _build_core(self) -> CodexOAuthLLM:
        options: dict[str, Any] = {
            "model": self.model_name,
            "base_url": self.base_url,
            "token_store": self.token_store,
            "token_provider": self.token_provider,
            "oauth_config": self.oauth_config,
            "interactive": self.interactive,
            "http_client": self.http_client,
            "async_http_client": self.async_http_client,
            "originator": self.originator,
            "instructions": self.instructions,
            "usage_budget": self.usage_budget,
            "on_usage_limit": self.on_usage_limit,
            "max_wait": self.max_wait,
            "on_wait": self.on_wait,
            "profile_name": self.profile_name,
            "route": self.route,
            "siwc_config": self.siwc_config,
        }
        if self.timeout is not None:
            options["timeout"] = self.timeout
        if self.max_retries is not None:
            options["max_retries"] = self.max_retries
        return CodexOAuthLLM(**options)

    def _answered_by(self) -> dict[str, str | None]:
        """The profile and ChatGPT account of the core client's login (for ``response_metadata``)."""
        core = self.core_client
        return {"profile_name": core.profile_name, "account_id": core.last_account_id}

    def close(self) -> None:
        """Close the connections of the core client this model built (an injected ``client`` stays open)."""
        if self._core is not None:
            self._core.close()

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        if self._core is not None:
            await self._core.aclose()

    # ------------------------------------------------------------------------------ requests

    def _request(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The core ``generate_stream`` arguments for one call, and the requested model slug."""
        kwargs = drop_unsupported(kwargs, _CALL_OPTIONS, owner="ChatCodexOAuth", quiet=_NEVER_SENT)
        lifted, items = convert_messages(messages)
        model = kwargs.get("model") or self.model_name
        text: dict[str, Any] = {}
        verbosity = kwargs.get("verbosity") or self.verbosity
        if verbosity:
            text["verbosity"] = verbosity
        include = merge_include(
            self.include, kwargs.get("include"), encrypted_reasoning=self.include_encrypted_reasoning
        )
        tools = kwargs.get("tools")
        parallel = kwargs.get("parallel_tool_calls")
        if parallel is None:
            parallel = self.parallel_tool_calls
        if parallel is None and tools:
            parallel = self._catalog_parallel_tool_calls(model)
        request: dict[str, Any] = {
            "model": model,
            "messages": items,
            "instructions": kwargs.get("instructions") or lifted or self.instructions,
            "tools": [convert_tool(tool) for tool in tools] if tools else None,
            "tool_choice": normalize_tool_choice(kwargs.get("tool_choice")),
            "parallel_tool_calls": parallel,
            "response_format": kwargs.get("response_format"),
            "reasoning": self._reasoning(kwargs.get("reasoning"), kwargs.get("reasoning_effort")),
            "text": text or None,
            "include": include,
            "prompt_cache_key": kwargs.get("prompt_cache_key") or self.prompt_cache_key,
            "raw_events": True,
        }
        return model, request

    def _catalog_parallel_tool_calls(self, model: str) -> bool | None:
        """The model catalog's ``supports_parallel_tool_calls`` when the catalog is known (no request)."""
        info = self.core_client.cached_model_info(model)
        flag = info.raw.get("supports_parallel_tool_calls") if info is not None else None
        return flag if isinstance(flag, bool) else None

    def _reasoning(self, reasoning: Mapping[str, Any] | None, effort: str | None) -> dict[str, Any] | None:
        merged: dict[str, Any] = dict(self.reasoning or {})
        merged.update(reasoning or {})
        effort = effort or self.reasoning_effort
        if effort:
            merged["effort"] = effort
        if not merged:
            return None
        if merged.get("effort") != "none":
            merged.setdefault("summary", "auto")
        return merged

    # ------------------------------------------------------------------------------ streaming

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        model, request = self._request(messages, kwargs)
        converter = StreamConverter(model, identity=self._answered_by)
        try:
            events = cast("Iterator[StreamEvent]", self.core_client.generate_stream(**request))
            try:
                for event in events:
                    chunk = converter.convert(event)
                    if chunk is None:
                        continue
                    chunk = self._shape(chunk)
                    if run_manager is not None:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
            finally:
                close = getattr(events, "close", None)
                if close is not None:
                    close()
        except CodexError as exc:
            raise translate_error(exc) from exc

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        model, request = self._request(messages, kwargs)
        converter = StreamConverter(model, identity=self._answered_by)
        try:
            events = cast("AsyncIterator[StreamEvent]", self.core_client.agenerate_stream(**request))
            try:
                async for event in events:
                    chunk = converter.convert(event)
                    if chunk is None:
                        continue
                    chunk = self._shape(chunk)
                    if run_manager is not None:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
            finally:
                aclose = getattr(events, "aclose", None)
                if aclose is not None:
                    await aclose()
        except CodexError as exc:
            raise translate_error(exc) from exc

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if run_manager is not None and run_manager.handlers:
            # Someone may watch the tokens: stream chunk by chunk through the callbacks.
            return generate_from_stream(self._stream(messages, stop=stop, run_manager=run_manager, **kwargs))
        model, request = self._request(messages, kwargs)
        converter = StreamConverter(model, collect_text=True, identity=self._answered_by)
        chunks: list[ChatGenerationChunk] = []
        events = cast("Iterator[StreamEvent]", self.core_client.generate_stream(**request))
        try:
            for event in events:
                chunk = converter.convert(event)
                if chunk is not None:
                    chunks.append(chunk)
        except CodexError as exc:
            raise translate_error(exc) from exc
        return self._collected(converter, chunks)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if run_manager is not None and run_manager.handlers:
            stream = self._astream(messages, stop=stop, run_manager=run_manager, **kwargs)
            return await agenerate_from_stream(stream)
        model, request = self._request(messages, kwargs)
        converter = StreamConverter(model, collect_text=True, identity=self._answered_by)
        chunks: list[ChatGenerationChunk] = []
        events = cast("AsyncIterator[StreamEvent]", self.core_client.agenerate_stream(**request))
        try:
            async for event in events:
                chunk = converter.convert(event)
                if chunk is not None:
                    chunks.append(chunk)
        except CodexError as exc:
            raise translate_error(exc) from exc
        return self._collected(converter, chunks)

    def _collected(self, converter: StreamConverter, chunks: list[ChatGenerationChunk]) -> ChatResult:
        """The result of a collected (not streamed) call; content blocks in output order."""
        result = generate_from_stream(iter([self._shape(c) for c in (converter.text_chunk(), *chunks)]))
        message = result.generations[0].message
        if isinstance(message.content, list):
            message.content = sorted(message.content, key=lambda b: b.get("index", 0) if isinstance(b, dict) else 0)
        return result

    def _shape(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        """``output_version="responses/v1"``: Responses-style content blocks (``"v1"`` is done by LangChain)."""
        return to_responses_v1(chunk) if self.output_version == "responses/v1" else chunk

    # ------------------------------------------------------------------------------ tools & structure

    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        response_format: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (functions, pydantic classes, TypedDicts, LangChain tools, JSON-schema / OpenAI dicts).

        Args:
            tools: The tools to offer.
            tool_choice: ``"auto"``, ``"none"``, ``"any"`` / ``"required"`` / ``True`` (must call one), a tool
                name (must call that one), or a Responses / Chat-Completions tool-choice dict.
            strict: Strict JSON-schema validation of the arguments, per tool.
            parallel_tool_calls: Allow several calls in one turn.
            response_format: A schema for structured output next to the tools (``text.format``).
            **kwargs: Further call options (``reasoning_effort``, ``instructions``, ...).

        Raises:
            ValueError: an unsupported tool or ``tool_choice``.
        """
        formatted = [convert_tool(tool, strict=strict) for tool in tools]
        choice = normalize_tool_choice(tool_choice, [tool["name"] for tool in formatted])
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        if response_format is not None:
            kwargs["response_format"] = _text_format(response_format, strict=strict)
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        tools: Sequence[ToolLike] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Return a runnable whose output matches ``schema``.

        Args:
            schema: A pydantic class (v1 or v2), TypedDict, JSON schema or OpenAI tool dict. Pydantic classes
                yield instances, everything else dicts. Optional for ``json_mode`` (then any JSON object).
            method: ``"json_schema"`` (default; native ``text.format``), ``"function_calling"`` (a forced
                tool call), or ``"json_mode"`` (``{"type": "json_object"}``; the prompt must ask for JSON).
            include_raw: Return ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}`` instead of
                raising on parse errors.
            strict: Strict schema adherence (``json_schema`` and ``function_calling``).
            tools: Extra tools offered next to the structured output (``json_schema`` only).

        Raises:
            ValueError: an unknown ``method``, a missing ``schema``, or unexpected keyword arguments.
            langchain_core.exceptions.ModelRefusalError: (when run) the model refused.
        """
        if kwargs:
            raise ValueError(f"Unexpected arguments to with_structured_output: {sorted(kwargs)}")
        if schema is None and method != "json_mode":
            raise ValueError(f"with_structured_output(method={method!r}) needs a schema.")
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        ls_format = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        llm: Runnable[LanguageModelInput, Any]
        parser: Runnable[Any, Any]
        if method == "function_calling":
            assert schema is not None
            tool_name = convert_tool(schema)["name"]
            llm = self.bind_tools(
                [schema],
                tool_choice=tool_name,
                parallel_tool_calls=False,
                strict=strict,
                ls_structured_output_format=ls_format,
            )
            if is_pydantic:
                parser = PydanticToolsParser(tools=[cast("type", schema)], first_tool_only=True)
            else:
                parser = JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True)
        elif method in ("json_schema", "json_mode"):
            response_format = (
                json_schema_format(schema, strict=strict) if method == "json_schema" else json_object_format()
            )
            bound: dict[str, Any] = {"response_format": response_format}
            bound["ls_structured_output_format"] = ls_format
            if tools:
                bound["tools"] = [convert_tool(tool, strict=strict) for tool in tools]
            llm = self.bind(**bound)
            if is_pydantic:
                parser = RefusalAwarePydanticParser(pydantic_object=cast("Any", schema))
            else:
                parser = RefusalAwareJsonParser()
        else:
            raise ValueError(
                f"Unknown method {method!r}: use 'json_schema', 'function_calling' or 'json_mode'."
            )
        if not include_raw:
            return llm | parser
        parse: Callable[[Any], Any] = lambda _: None  # noqa: E731
        with_parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=parse)
        without = RunnablePassthrough.assign(parsed=parse)
        return RunnableMap(raw=llm) | with_parsed.with_fallbacks([without], exception_key="parsing_error")

    # ------------------------------------------------------------------------------ token counting

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text`` with the models' ``o200k_base`` encoding (offline: no tokenizer download)."""
        return count_text_tokens(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Tokens of a conversation counted like ``ChatOpenAI``: text, tool-call arguments, tool outputs and
        the ``tools`` schemas included (``o200k_base``, offline). ``trim_messages(token_counter=llm)`` uses it.
        """
        return count_message_tokens(messages, [convert_tool(tool) for tool in tools or ()])


def _text_format(response_format: Any, *, strict: bool | None) -> dict[str, Any]:
    if isinstance(response_format, Mapping) and response_format.get("type") in ("json_object", "text"):
        return dict(response_format)
    return json_schema_format(response_format, strict=strict)
