"""``CodexOAuth``: a LlamaIndex ``FunctionCallingLLM`` on the ChatGPT Codex backend (ChatGPT login).

A thin translator over :class:`oauth_codex.CodexOAuthLLM`: the streaming entry points fold the core
client's ``generate_stream(..., raw_events=True)`` / ``agenerate_stream`` events with
:class:`~._stream.ChatStreamState`; ``chat``/``achat`` (and so ``complete``, structured output, agents
without streaming) let the core collect the stream (``generate(..., return_details=True)``), which
re-sends a stream that failed before its end. Every path ends the same way: the final response, or the
core's ``StreamError`` (failed, cut, or ``response.incomplete``, as the core's text stream raises it).
Auth, refresh, retries and error classification stay in the core client; its typed errors
(``oauth_codex.errors``) surface unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import httpx
from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, field_validator
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.tools.types import BaseTool
from llama_index.core.types import Model

from oauth_codex import CodexOAuthLLM, OAuthConfig, StreamEvent, TokenProvider, TokenStore, UsageLimitError
from oauth_codex.auth import validate_profile_name
from oauth_codex.client import DEFAULT_MODEL
from oauth_codex.policy import drop_unsupported, merge_include, normalize_tool_choice

from ._convert import to_core_messages, to_tool_specs, tool_selections
from ._models import model_limits
from ._stream import ChatStreamState, assistant_message, chat_response_or_raise

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Generator

    from llama_index.core.program.utils import FlexibleModel
    from llama_index.core.prompts import PromptTemplate

    from oauth_codex.auth import SiwcConfig

__all__ = ["CodexOAuth"]

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
ReasoningSummary = Literal["auto", "concise", "detailed"]
Verbosity = Literal["low", "medium", "high"]

# Per-call kwargs the backend rejects or Responses lacks: accepted (LlamaIndex code passes them), never sent.
_DROPPED_KWARGS = frozenset(
    {"temperature", "top_p", "max_tokens", "max_output_tokens", "max_completion_tokens", "stop", "truncation"}
    | {"oauth_codex_tool_choice"}  # _STRUCTURED_TOOL_CHOICE, when a program does not call with tools
)
# Per-call kwargs forwarded to the core client as they are.
_FORWARDED_KWARGS = ("response_format", "prompt_cache_key", "strict_output")


class CodexOAuth(FunctionCallingLLM):
    """LlamaIndex LLM for the ChatGPT Codex backend, authenticated with a ChatGPT login (OAuth).

    Works wherever LlamaIndex takes an LLM: ``Settings.llm``, query and chat engines, ``FunctionAgent``,
    ``ReActAgent``, ``AgentWorkflow``, structured prediction. The constructor does no I/O; the login is
    loaded (or refreshed) on the first request. Run ``oauth-codex login`` once, or pass ``token_store``,
    ``token_provider`` or a ready ``client``.

    Errors are the core SDK's (``oauth_codex.errors``): ``NotAuthenticatedError`` (log in first),
    ``UsageLimitError`` (``resets_at``), ``RateLimitError``, ``BadRequestError``, ``StreamError`` (a failed
    or cut stream never yields a truncated final message), and so on.

    ``temperature`` and ``max_output_tokens`` are accepted for compatibility but never sent: the
    Codex backend rejects them. With a ready ``client``, its own ``base_url``, auth, ``timeout`` and
    ``max_retries`` apply.

    Example:
        ```python
        from llama_index.core import Settings
        from llama_index.llms.oauth_codex import CodexOAuth

        Settings.llm = CodexOAuth(model="gpt-5.5", reasoning_effort="low")
        print(Settings.llm.complete("Explain PKCE in one line."))
        ```
    """

    model: str = Field(default=DEFAULT_MODEL, description="The Codex model slug, e.g. 'gpt-5.5'.")
    reasoning_effort: ReasoningEffort | None = Field(
        default=None, description="Reasoning effort (the backend's default when None)."
    )
    reasoning_summary: ReasoningSummary | None = Field(
        default=None, description="Ask for a reasoning summary (streamed as thinking deltas)."
    )
    instructions: str | None = Field(
        default=None,
        description="Instructions sent with every call (a per-call `instructions` replaces them); the text "
        "of system messages is appended after them, as OpenAIResponses sends both.",
    )
    verbosity: Verbosity | None = Field(default=None, description="Text verbosity (`text.verbosity`).")
    strict: bool = Field(default=False, description="Send function tools with strict JSON schemas.")
    prompt_cache_key: str | None = Field(
        default=None, description="Stable per conversation; improves prompt-cache hits."
    )
    max_retries: int = Field(default=4, ge=0, description="Retries of transient failures (core client).")
    timeout: float | None = Field(
        default=None, gt=0, description="Request timeout in seconds (core default: connect 10 s, read 300 s)."
    )
    base_url: str | None = Field(
        default=None, description="Backend base URL (default: env CODEX_OAUTH_BASE_URL or chatgpt.com)."
    )
    context_window: int | None = Field(default=None, gt=0, description="Override the model's context window.")
    temperature: float | None = Field(default=None, description="Accepted for compatibility; never sent.")
    max_output_tokens: int | None = Field(default=None, description="Accepted for compatibility; never sent.")
    usage_budget: float | None = Field(
        default=None, description="Stop before sending when a usage window is this full (e.g. 0.9)."
    )
    on_usage_limit: Literal["raise", "wait"] = Field(
        default="raise", description="'wait': wait for a usage limit's reset (within max_wait) and re-send."
    )
    max_wait: float | None = Field(default=None, description="Longest wait for a usage reset, in seconds.")
    profile_name: str | None = Field(
        default=None,
        description="Which ChatGPT login to use (`oauth-codex login --profile NAME`); default: "
        "CODEX_OAUTH_PROFILE, else the current profile, else 'default'.",
    )

    route: Literal["codex", "siwc", "auto"] | None = Field(
        default=None,
        description="'codex' (the Codex backend), 'siwc' (the official 'Sign in with ChatGPT' plan usage on "
        "/v1/responses) or 'auto' (the profile's route); default CODEX_OAUTH_ROUTE, else 'codex'.",
    )

    @field_validator("profile_name")
    @classmethod
    def _valid_profile_name(cls, value: str | None) -> str | None:
        return None if value is None else validate_profile_name(value)

    _client: CodexOAuthLLM = PrivateAttr()
    _owns_client: bool = PrivateAttr(default=False)

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        reasoning_effort: ReasoningEffort | None = None,
        reasoning_summary: ReasoningSummary | None = None,
        instructions: str | None = None,
        verbosity: Verbosity | None = None,
        strict: bool = False,
        prompt_cache_key: str | None = None,
        max_retries: int = 4,
        timeout: float | None = None,
        base_url: str | None = None,
        context_window: int | None = None,
        client: CodexOAuthLLM | None = None,
        token_store: TokenStore | None = None,
        token_provider: TokenProvider | None = None,
        oauth_config: OAuthConfig | None = None,
        interactive: bool | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        originator: str | None = None,
        usage_budget: float | None = None,
        on_usage_limit: Literal["raise", "wait"] = "raise",
        max_wait: float | None = None,
        on_wait: Callable[[float, UsageLimitError], object] | None = None,
        profile_name: str | None = None,
        route: Literal["codex", "siwc", "auto"] | None = None,
        siwc_config: SiwcConfig | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            model=model,
            reasoning_effort=reasoning_effort,
            reasoning_summary=reasoning_summary,
            instructions=instructions,
            verbosity=verbosity,
            strict=strict,
            prompt_cache_key=prompt_cache_key,
            max_retries=max_retries,
            timeout=timeout,
            base_url=base_url,
            context_window=context_window,
            usage_budget=usage_budget,
            on_usage_limit=on_usage_limit,
            max_wait=max_wait,
            profile_name=profile_name,
            route=route,
            **kwargs,
        )
        if client is None:
            options: dict[str, Any] = {}
            if timeout is not None:
                options["timeout"] = timeout
            client = CodexOAuthLLM(
                model=model,
                base_url=base_url,
                token_store=token_store,
                token_provider=token_provider,
                oauth_config=oauth_config,
                interactive=interactive,
                max_retries=max_retries,
                http_client=http_client,
                async_http_client=async_http_client,
                originator=originator,
                usage_budget=usage_budget,
                on_usage_limit=on_usage_limit,
                max_wait=max_wait,
                on_wait=on_wait,
                profile_name=profile_name,
                route=route,
                siwc_config=siwc_config,
                **options,
            )
            self._owns_client = True
        elif self.base_url is None:
            # A copy (pickle, deepcopy) rebuilds its client from the fields: keep it on the same backend.
            self.base_url = client.base_url
        self._client = client

    @classmethod
    def class_name(cls) -> str:
        return "oauth_codex_llm"

    @property
    def client(self) -> CodexOAuthLLM:
        """The core client doing the requests (auth, retries, SSE)."""
        return self._client

    @property
    def metadata(self) -> LLMMetadata:
        limits = model_limits(self.model)
        # the cached model catalog (a local file, never a request) gives the input window; LlamaIndex's
        # context_window counts the output too, as the static table does
        info = self._client.cached_model_info(self.model)
        window = info.context_window + limits.num_output if info is not None and info.context_window else None
        return LLMMetadata(
            context_window=self.context_window or window or limits.context_window,
            num_output=limits.num_output,
            is_chat_model=True,
            is_function_calling_model=True,
            model_name=self.model,
        )

    def close(self) -> None:
        """Close the core client if this LLM created it."""
        if self._owns_client:
            self._client.close()

    async def aclose(self) -> None:
        """Close the core client if this LLM created it (async)."""
        if self._owns_client:
            await self._client.aclose()

    # ------------------------------------------------------------------ request building

    def _request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Core-client arguments for one call (pure; conversion errors surface before any I/O)."""
        kwargs = dict(kwargs)
        lifted, core_messages = to_core_messages(messages)
        request: dict[str, Any] = {
            "model": kwargs.pop("model", None) or self.model,
            "messages": core_messages,
            "include": merge_include(kwargs.pop("include", None)),
        }
        # Both, as OpenAIResponses sends both: instructions (per call, else the field) then system messages.
        base = kwargs.pop("instructions", None) or self.instructions
        instructions = "\n\n".join(part for part in (base, lifted) if part)
        if instructions:
            request["instructions"] = instructions
        tools = kwargs.pop("tools", None)
        tool_choice = kwargs.pop("tool_choice", None)
        parallel = kwargs.pop("parallel_tool_calls", None)
        if tools:
            request["tools"] = [to_tool_specs([t])[0] if isinstance(t, BaseTool) else t for t in tools]
            names = [spec["name"] for spec in request["tools"] if isinstance(spec.get("name"), str)]
            request["tool_choice"] = normalize_tool_choice(tool_choice, names, default="auto")
            if parallel is not None:
                request["parallel_tool_calls"] = bool(parallel)
        effort = kwargs.pop("reasoning_effort", None)
        reasoning = kwargs.pop("reasoning", None) or self._reasoning(effort)
        if reasoning:
            request["reasoning"] = reasoning
        text = kwargs.pop("text", None)
        if self.verbosity or text:
            request["text"] = {**({"verbosity": self.verbosity} if self.verbosity else {}), **(text or {})}
        if self.prompt_cache_key:
            request["prompt_cache_key"] = self.prompt_cache_key
        for name in _FORWARDED_KWARGS:
            if kwargs.get(name) is not None:
                request[name] = kwargs.pop(name)
        drop_unsupported(kwargs, _FORWARDED_KWARGS, owner="CodexOAuth", quiet=_DROPPED_KWARGS)
        return request

    def _reasoning(self, effort: str | None) -> dict[str, Any] | None:
        reasoning: dict[str, Any] = {}
        if effort or self.reasoning_effort:
            reasoning["effort"] = effort or self.reasoning_effort
        if self.reasoning_summary:
            reasoning["summary"] = self.reasoning_summary
        return reasoning or None

    # ------------------------------------------------------------------ chat

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Chat; streams over the wire and returns the final accumulated response."""
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream chat: each response holds the accumulated message; the last one all tool calls and usage."""
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async chat (natively async); returns the final accumulated response."""
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        """Async stream chat: ``await`` it, then ``async for`` over the responses."""
        return await self._astream_chat(messages, **kwargs)

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        # Collected by the core (not raw events): a stream that failed anywhere before its end is re-sent.
        result = self._client.generate(**self._request(messages, kwargs), return_details=True)
        return chat_response_or_raise(result)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        request = self._request(messages, kwargs)

        def gen() -> ChatResponseGen:
            state = ChatStreamState()
            events = self._client.generate_stream(**request, raw_events=True)
            try:
                for event in events:
                    if isinstance(event, StreamEvent) and (response := state.feed(event)) is not None:
                        yield response
            finally:
                _close(events)
            yield self._finish(state)

        return gen()

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        result = await self._client.agenerate(**self._request(messages, kwargs), return_details=True)
        return chat_response_or_raise(result)

    async def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        request = self._request(messages, kwargs)

        async def gen() -> ChatResponseAsyncGen:
            state = ChatStreamState()
            events = self._client.agenerate_stream(**request, raw_events=True)
            try:
                async for event in events:
                    if isinstance(event, StreamEvent) and (response := state.feed(event)) is not None:
                        yield response
            finally:
                await _aclose(events)
            yield self._finish(state)

        return gen()

    def _finish(self, state: ChatStreamState) -> ChatResponse:
        """The final response of every chat path; the core's ``StreamError`` for a failed or incomplete one."""
        return state.finish(
            rate_limits=self._client.last_rate_limits,
            profile_name=self._client.profile_name,
            account_id=self._client.last_account_id,
        )

    # ------------------------------------------------------------------ completion twins

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Complete a prompt (as one user message)."""
        return chat_to_completion_decorator(self._chat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """Stream the completion of a prompt."""
        return stream_chat_to_completion_decorator(self._stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Async completion of a prompt."""
        return await achat_to_completion_decorator(self._achat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Async streamed completion: ``await`` it, then ``async for``."""
        return await astream_chat_to_completion_decorator(self._astream_chat)(prompt, **kwargs)

    # ------------------------------------------------------------------ tools

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Chat kwargs for ``chat_with_tools`` & co.: flat Responses tools, resolved ``tool_choice``."""
        tool_choice = kwargs.pop(_STRUCTURED_TOOL_CHOICE, None) or tool_choice
        specs = to_tool_specs(tools, strict=self.strict if strict is None else strict)
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        return {
            "messages": messages,
            "tools": specs or None,
            "tool_choice": (
                normalize_tool_choice(
                    tool_choice, [spec["name"] for spec in specs], default="required" if tool_required else "auto"
                )
                if specs
                else None
            ),
            "parallel_tool_calls": allow_parallel_tool_calls if specs else None,
            **kwargs,
        }

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call when parallel calls are not allowed."""
        if not allow_parallel_tool_calls:
            calls = [block for block in response.message.blocks if isinstance(block, ToolCallBlock)]
            if len(calls) > 1:
                dropped = {id(block) for block in calls[1:]}
                blocks = [block for block in response.message.blocks if id(block) not in dropped]
                response.message = assistant_message(blocks)
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """Tool calls on a (final or streamed) response; partial arguments are parsed leniently.

        Raises ``ValueError`` when there is none and ``error_on_no_tool_call`` is true.
        """
        selections = tool_selections(response)
        if not selections and error_on_no_tool_call:
            text = (response.message.content or "")[:200]
            raise ValueError(f"Expected at least one tool call, but the model answered with text: {text!r}")
        return selections

    # ------------------------------------------------------------------ structured output

    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Structured prediction through a forced function call (``tool_choice="required"`` by default)."""
        result: Model = super().structured_predict(
            output_cls, prompt, llm_kwargs=_require_tool(llm_kwargs), **prompt_args
        )
        return result

    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Async structured prediction (``tool_choice="required"`` by default)."""
        result: Model = await super().astructured_predict(
            output_cls, prompt, llm_kwargs=_require_tool(llm_kwargs), **prompt_args
        )
        return result

    def _structured_stream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None, None]:
        return super()._structured_stream_call(output_cls, prompt, _require_tool(llm_kwargs), **prompt_args)

    async def _structured_astream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None]:
        return await super()._structured_astream_call(
            output_cls, prompt, _require_tool(llm_kwargs), **prompt_args
        )


# LlamaIndex's function-calling programs drop llm_kwargs["tool_choice"] (they pass their own, None): the
# caller's choice travels under this key to _prepare_chat_with_tools instead.
_STRUCTURED_TOOL_CHOICE = "oauth_codex_tool_choice"


def _require_tool(llm_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    llm_kwargs = dict(llm_kwargs or {})
    llm_kwargs[_STRUCTURED_TOOL_CHOICE] = llm_kwargs.get("tool_choice") or "required"
    return llm_kwargs


def _close(events: Iterator[Any]) -> None:
    close = getattr(events, "close", None)
    if close is not None:
        close()


async def _aclose(events: AsyncIterator[Any]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()
