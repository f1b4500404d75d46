"""The ``httpx2`` transports under :class:`~oauth_codex.openai.OpenAI` / ``AsyncOpenAI`` (in process, no server).

They answer the SDK's requests to the Codex base URL with the project's own pieces: the request builder
(``CodexOAuthLLM._start_call``), the send loop with its token refresh, retries and error classification
(``CodexOAuthLLM._run`` / ``_arun``), the SSE decoder and the accumulator. Routes:

* ``POST {base}/responses``: a streaming call is passed on as SSE (``response.completed`` carries the
  collected output); a non-streaming one is sent as a stream and answered with the aggregated response JSON.
* ``POST {base}/chat/completions``: translated to a Responses call and back (:mod:`._chat`).
* ``GET {base}/models`` and ``{base}/models/{id}``: the model catalog (``CodexOAuthLLM.list_models``).

Anything else under the base URL is a 404 that names what is supported, and a request for another host is
refused before anything is sent: the ChatGPT login never leaves for a host other than the Codex backend.
Errors are raised as the SDK's own exceptions (:mod:`._errors`).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx2
import openai

from .._accumulate import ResponseAccumulator
from .._call import CallState, Mode
from ..client import CodexOAuthLLM
from ..errors import CodexError, NotFoundError, StreamError
from ..types import ModelInfo, StreamEvent
from ._chat import ChatChunks, chat_completion, chat_plan
from ._convert import Plan, complete_response, models_page, request_body, responses_plan, sse_frame
from ._errors import StatusErrorFactory, to_openai_error

__all__ = ["AsyncCodexTransport", "CodexTransport"]

_TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete", "error"})
_WITH_RESPONSE = frozenset(
    {"response.created", "response.in_progress", "response.completed", "response.failed", "response.incomplete"}
)
_SUPPORTED = "responses.create / parse / stream, chat.completions.create / parse, models.list / retrieve"
_JSON = {"content-type": "application/json"}
_SSE = {"content-type": "text/event-stream", "cache-control": "no-cache"}


@dataclass
class _Route:
    kind: Literal["responses", "chat", "models", "model"]
    model_id: str = ""


class _Base:
    """What the sync and async transports share: routing, warnings, encoding and error mapping."""

    def __init__(self, llm: CodexOAuthLLM, *, status_error: StatusErrorFactory, owns_llm: bool) -> None:
        self.llm = llm
        self._status_error = status_error
        self._owns_llm = owns_llm
        self._base = httpx2.URL(llm.base_url.rstrip("/") + "/")
        self._warned: set[str] = set()

    @property
    def base_url(self) -> str:
        """The Codex base URL the SDK's requests must go to (``.../backend-api/codex/``)."""
        return str(self._base)

    def _route(self, request: httpx2.Request) -> _Route:
        url, base = request.url, self._base
        if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port) or not url.path.startswith(
            base.path
        ):
            raise openai.APIConnectionError(
                message=(
                    f"oauth_codex.openai only sends requests to the Codex backend at {self.base_url}; "
                    f"{url.copy_with(query=None)} is elsewhere, so nothing was sent (and no login left this "
                    "process). Use a plain openai.OpenAI client for other hosts."
                ),
                request=request,
            )
        path, method = url.path[len(base.path) :].strip("/"), request.method
        if method == "POST" and path == "responses":
            return _Route("responses")
        if method == "POST" and path == "chat/completions":
            return _Route("chat")
        if method == "GET" and path == "models":
            return _Route("models")
        if method == "GET" and path.startswith("models/") and "/" not in path[len("models/") :]:
            return _Route("model", path[len("models/") :])
        stored = " (Responses are not stored, so they cannot be retrieved or deleted.)"
        raise self._error(
            NotFoundError(
                f"{method} /{path} is not available on the ChatGPT Codex backend; this client supports "
                f"{_SUPPORTED}.{stored if path.startswith('responses/') else ''}",
                status_code=404,
            ),
            request,
        )

    def _plan(self, route: _Route, content: bytes) -> tuple[Plan, CallState]:
        plan = responses_plan(content) if route.kind == "responses" else chat_plan(content)
        for name in plan.dropped:
            if name not in self._warned:
                self._warned.add(name)
                warnings.warn(
                    f"oauth_codex.openai dropped `{name}`: the ChatGPT Codex backend rejects it (warned once "
                    "per client).",
                    UserWarning,
                    stacklevel=2,
                )
        llm = self.llm
        body = request_body(plan, default_instructions=llm.instructions, session_id=llm.session_id)
        return plan, llm._start_call(Mode.RAW if plan.stream else Mode.COLLECT, body)

    def _models(self, route: _Route, models: list[ModelInfo], request: httpx2.Request) -> httpx2.Response:
        page = models_page(models)
        if route.kind == "models":
            return _json(page, request)
        for entry in page["data"]:
            if entry["id"] == route.model_id:
                return _json(entry, request)
        raise self._error(
            NotFoundError(
                f"The model {route.model_id!r} is not in the catalog of this ChatGPT login; "
                "client.models.list() shows the available ones.",
                status_code=404,
                code="model_not_found",
            ),
            request,
        )

    def _answer(self, plan: Plan, acc: ResponseAccumulator, request: httpx2.Request) -> httpx2.Response:
        if plan.api == "responses":
            return _json(complete_response(acc.final_response(), plan.echo), request)
        result = acc.result(allow_incomplete=True)
        return _json(chat_completion(result, model=plan.model), request)

    def _error(
        self, exc: CodexError | ValueError, request: httpx2.Request, *, in_stream: bool = False
    ) -> openai.OpenAIError:
        error = to_openai_error(exc, request, self._status_error, in_stream=in_stream)
        error.__cause__ = exc
        return error

    def _stream_error(self, request: httpx2.Request) -> Callable[[CodexError], openai.OpenAIError]:
        return lambda exc: self._error(exc, request, in_stream=True)


class _Frames:
    """Stream events -> SSE bytes for the SDK, batched per network read, and what a late failure means.

    The frames of the events one network read delivered are handed on together, once the last of them
    (``CallState.last_event``) is through: the SDK pays its per-chunk cost once per read, as on a direct
    connection, and no frame waits for the next read.
    """

    def __init__(self, plan: Plan, call: CallState) -> None:
        self.plan = plan
        self.terminal: str | None = None
        self._call = call
        self._batch: list[bytes] = []
        self._chunks = ChatChunks(model=plan.model, include_usage=plan.include_usage)

    def add(self, event: str | StreamEvent) -> bytes | None:
        """Take one event; the batched bytes once the current read's events are all in, else ``None``."""
        assert isinstance(event, StreamEvent)  # Mode.RAW yields events only
        raw = event.raw
        kind = event.type
        if kind in _TERMINAL:
            self.terminal = kind
        if self.plan.api == "responses":
            if kind in _WITH_RESPONSE and isinstance(event.response, dict):
                raw = {**raw, "response": complete_response(event.response, self.plan.echo)}
            self._batch.append(sse_frame(raw, named=False))
        else:
            self._batch.extend(sse_frame(chunk, named=False) for chunk in self._chunks.feed(raw))
        return self.take() if event.raw is self._call.last_event else None

    def take(self) -> bytes:
        """The batched bytes (possibly empty), handed on now."""
        data = b"".join(self._batch)
        self._batch.clear()
        return data

    def end(self) -> bytes:
        return self.take() + (b"data: [DONE]\n\n" if self.plan.api == "chat" else b"")

    def delivered(self, exc: CodexError) -> bool:
        """Whether ``exc`` is already in the stream as its terminal Responses event (then end quietly)."""
        return self.plan.api == "responses" and self.terminal is not None and isinstance(exc, StreamError)


def _json(payload: Any, request: httpx2.Request) -> httpx2.Response:
    content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return httpx2.Response(200, headers=_JSON, content=content, request=request)


# ------------------------------------------------------------------------------------------------ sync


# _SyncEvents and _AsyncEvents are deliberate twins (duplicates lists them): Python cannot share one body between a
# blocking and an awaiting loop, so each holds only the loop and every decision lives in _Frames.
class _SyncEvents(httpx2.SyncByteStream):
    def __init__(
        self,
        first: str | StreamEvent | None,
        events: Iterator[str | StreamEvent],
        frames: _Frames,
        error: Callable[[CodexError], openai.OpenAIError],
    ) -> None:
        self._first, self._events, self._frames, self._to_error = first, events, frames, error

    def __iter__(self) -> Iterator[bytes]:
        frames = self._frames
        try:
            if self._first is not None and (data := frames.add(self._first)):
                yield data
            for event in self._events:
                if data := frames.add(event):
                    yield data
        except CodexError as exc:
            if data := frames.take():
                yield data
            if frames.delivered(exc):
                return
            raise self._to_error(exc) from exc
        yield frames.end()

    def close(self) -> None:
        close = getattr(self._events, "close", None)
        if close is not None:
            close()


class CodexTransport(_Base, httpx2.BaseTransport):
    """Sync transport: the SDK's requests answered through :class:`~oauth_codex.CodexOAuthLLM`."""

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        route = self._route(request)
        try:
            if route.kind in ("models", "model"):
                return self._models(route, self.llm.list_models(include_hidden=route.kind == "model"), request)
            plan, call = self._plan(route, request.read())
            events = self.llm._run(call)
            if plan.stream:
                first = next(events, None)
                stream = _SyncEvents(first, events, _Frames(plan, call), self._stream_error(request))
                return httpx2.Response(200, headers=_SSE, stream=stream, request=request)
            for _ in events:
                pass
            return self._answer(plan, call.acc, request)
        except (CodexError, ValueError) as exc:
            raise self._error(exc, request) from exc

    def close(self) -> None:
        if self._owns_llm:
            self.llm.close()


# ----------------------------------------------------------------------------------------------- async


class _AsyncEvents(httpx2.AsyncByteStream):
    def __init__(
        self,
        first: str | StreamEvent | None,
        events: AsyncIterator[str | StreamEvent],
        frames: _Frames,
        error: Callable[[CodexError], openai.OpenAIError],
    ) -> None:
        self._first, self._events, self._frames, self._to_error = first, events, frames, error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        frames = self._frames
        try:
            if self._first is not None and (data := frames.add(self._first)):
                yield data
            async for event in self._events:
                if data := frames.add(event):
                    yield data
        except CodexError as exc:
            if data := frames.take():
                yield data
            if frames.delivered(exc):
                return
            raise self._to_error(exc) from exc
        yield frames.end()

    async def aclose(self) -> None:
        aclose = getattr(self._events, "aclose", None)
        if aclose is not None:
            await aclose()


class AsyncCodexTransport(_Base, httpx2.AsyncBaseTransport):
    """Async transport: the SDK's requests answered through :class:`~oauth_codex.CodexOAuthLLM`."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        route = self._route(request)
        try:
            if route.kind in ("models", "model"):
                models = await self.llm.alist_models(include_hidden=route.kind == "model")
                return self._models(route, models, request)
            plan, call = self._plan(route, await request.aread())
            events = self.llm._arun(call)
            if plan.stream:
                first = await anext(events, None)
                stream = _AsyncEvents(first, events, _Frames(plan, call), self._stream_error(request))
                return httpx2.Response(200, headers=_SSE, stream=stream, request=request)
            async for _ in events:
                pass
            return self._answer(plan, call.acc, request)
        except (CodexError, ValueError) as exc:
            raise self._error(exc, request) from exc

    async def aclose(self) -> None:
        if self._owns_llm:
            await self.llm.aclose()
