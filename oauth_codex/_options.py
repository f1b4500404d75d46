"""The per-call request options: declared once, checked once, shown in every method's signature (pure).

:class:`GenerateOptions` is the only list of the options ``generate``, ``agenerate``, ``generate_stream`` and
``agenerate_stream`` take. Type checkers read it through ``**options: Unpack[GenerateOptions]``;
:func:`with_options` writes the same options into each method's ``__signature__`` for ``help()`` and
``inspect.signature``; :func:`check_options` turns an unknown, inapplicable or wrongly typed option into a
``TypeError`` before anything is sent; :mod:`._request` reads them when it builds the body. To add an
option, add a key here and read it in :func:`oauth_codex._request.build_body`.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict, TypeVar, Union

__all__ = ["GenerateOptions", "RequestOptions", "check_options", "with_options"]

_F = TypeVar("_F", bound=Callable[..., Any])


class GenerateOptions(TypedDict, total=False):
    """The keyword options shared by ``generate``, ``agenerate``, ``generate_stream`` and ``agenerate_stream``.

    Documented on :meth:`CodexOAuthLLM.generate`. Useful to type a wrapper:
    ``def ask(**options: Unpack[GenerateOptions])``. An option left out (or given as ``None``) takes its
    default: ``False`` for the ``bool`` ones, otherwise what :meth:`CodexOAuthLLM.generate` describes.
    """

    model: str | None
    messages: Sequence[Mapping[str, Any]] | None
    instructions: str | None
    tools: Sequence[Any] | None
    tool_results: Sequence[Mapping[str, Any]] | None
    tool_choice: Any
    parallel_tool_calls: bool | None
    response_format: Any
    strict_output: bool
    reasoning: Mapping[str, Any] | None
    store: bool
    text: Mapping[str, Any] | None
    include: Sequence[str] | None
    prompt_cache_key: str | None
    previous_output: Sequence[Mapping[str, Any]] | None


class RequestOptions(GenerateOptions, total=False):
    """What the request builder reads: the call's options plus its ``prompt`` (``model`` already resolved)."""

    prompt: str | None


#: keyword arguments that belong to some of the methods only, and where they do belong
_METHOD_ONLY = {
    "return_details": "generate() and agenerate() only; a stream's events carry the details "
    "(raw_events=True, then ResponseAccumulator)",
    "raw_events": "generate_stream() and agenerate_stream() only",
}


def _annotation(name: str) -> str:
    hint = GenerateOptions.__annotations__[name]
    return hint.__forward_arg__ if isinstance(hint, typing.ForwardRef) else str(hint)


def with_options(method: _F) -> _F:
    """Write the :class:`GenerateOptions` into ``method.__signature__`` in place of its ``**options``.

    ``help()`` and ``inspect.signature`` then show every option with its annotation and default, right after
    ``prompt``; the method's own keyword parameters (``return_details``, ``raw_events``) follow.
    """
    signature = inspect.signature(method)
    params = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    own = [p for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
    options = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=False if _annotation(name) == "bool" else None,
            annotation=_annotation(name),
        )
        for name in GenerateOptions.__annotations__
    ]
    positional = [p for p in params if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    method.__signature__ = signature.replace(parameters=[*positional, *options, *own])  # type: ignore[attr-defined]
    return method


def check_options(method: str, options: Mapping[str, Any]) -> None:
    """Raise ``TypeError`` for an option ``method`` does not take, or a flag or string of the wrong type.

    ``None`` always means "not given". Lists, dicts and tools are checked by the request builder, which says
    what is wrong with them (a ``ValueError``).
    """
    names = _option_types()
    for name, value in options.items():
        if name not in names:
            raise TypeError(_unexpected(method, name))
        allowed = names[name]
        if value is not None and allowed and not isinstance(value, allowed):
            expected = " or ".join(t.__name__ for t in allowed)
            raise TypeError(f"{method}() option {name} must be {expected}, not {type(value).__name__}")


def _unexpected(method: str, name: str) -> str:
    message = f"{method}() got an unexpected keyword argument {name!r}"
    if name in _METHOD_ONLY:
        return f"{message}: {name} is for {_METHOD_ONLY[name]}."
    close = difflib.get_close_matches(name, [*GenerateOptions.__annotations__, *_METHOD_ONLY], n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{message}; {hint}the options are listed in help(CodexOAuthLLM.{method})."


@functools.cache
def _option_types() -> dict[str, tuple[type, ...]]:
    """Each option -> the classes its value must be an instance of (empty: checked by the builder)."""
    checked: dict[str, tuple[type, ...]] = {}
    for name, hint in typing.get_type_hints(GenerateOptions).items():
        args = typing.get_args(hint) if typing.get_origin(hint) in (Union, types.UnionType) else (hint,)
        scalars = tuple(a for a in args if a is not type(None))
        checked[name] = scalars if all(a in (bool, str) for a in scalars) else ()
    return checked
