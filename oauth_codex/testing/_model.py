"""The scripted model: a validated request body in, output items out (SSE framing: :mod:`._events`).

What it does, in order of precedence:

* **Tool calls** when function tools are offered and ``tool_choice`` allows: a named choice calls that tool;
  ``"required"`` calls the tools the prompt mentions, else the first tool; ``"auto"`` (the default) calls
  the tools the prompt mentions by name (``magic_function``) or by a word of the name (``weather`` for
  ``get_weather``), or the first tool when the prompt says "use the tool", unless the turn ends with
  ``function_call_output`` items. Several calls only when ``parallel_tool_calls`` is not false.
  Arguments are valid for the tool's JSON schema and take numbers, quoted strings and named entities
  from the last user message (:mod:`._schema`); they stream in several ``function_call_arguments.delta``
  events. ``"required"`` with no tools answers normally (tolerant: the real behaviour is unknown and the
  seed README sends it).
* **JSON** when ``text.format`` asks: a value valid for a ``json_schema``; for ``json_object`` an object
  whose keys are the ones the prompt names (quoted identifiers, or "with X and Y").
* **Text** otherwise: after tool outputs, an answer that quotes them; else a reply quoting the last user
  message. :class:`AnswerSettings` overrides the text and the number of deltas.
* **Reasoning** first when ``reasoning`` is set (effort not ``"none"``), with ``reasoning_tokens`` > 0:
  a summary streamed in deltas when ``reasoning.summary`` asks for one (else an empty summary, as in the
  recorded platform stream), and ``encrypted_content`` when ``include`` has
  ``"reasoning.encrypted_content"`` (as on the real backend).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._schema import PromptFacts, fill_schema, quoted_strings

__all__ = [
    "AnswerSettings",
    "ModelTurn",
    "OutputPlan",
    "count_input_tokens",
    "run_model",
    "split_text",
    "tool_mentioned",
]

REASONING_TOKENS = {"minimal": 8, "low": 16, "medium": 32, "high": 64, "xhigh": 128}
_FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
_NAME_STOPWORDS = frozenset(
    "get set fetch call run tool tools function func do make the a an of for to and with by from current "
    "info data value values query tool_call use api".split()
)
_KEY_PHRASE = re.compile(
    r"\b(?:with|keys?|fields?|properties|containing|including)\s+((?:[A-Za-z_][\w]*\s*(?:,|\band\b|\bor\b)?\s*)+)",
    re.IGNORECASE,
)
_ASKS_FOR_A_TOOL = re.compile(
    r"\b(?:use|using|call|invoke|run)\s+(?:the|a|an|your|any|one|some)?\s*(?:tools?|functions?)\b",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class AnswerSettings:
    """Overrides for text answers: fixed ``text``, a number of ``deltas``, a pause between deltas."""

    text: str | None = None
    deltas: int | None = None
    delta_delay: float = 0.0
    #: a ``phase: "commentary"`` message sent before the answer (which then carries ``phase: "final_answer"``)
    commentary: str | None = None


@dataclass
class OutputPlan:
    """One output item in its final (``output_item.done``) form and the deltas that stream it."""

    item: dict[str, Any]
    deltas: list[str] = field(default_factory=list)


@dataclass
class ModelTurn:
    outputs: list[OutputPlan]
    usage: dict[str, Any]


# ---------------------------------------------------------------------------------------------- input


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(part, str):
                texts.append(part)
        return "\n".join(texts)
    return ""


def _is_message(item: dict[str, Any]) -> bool:
    return item.get("type", "message") == "message" and "role" in item


def _last_user_index(items: list[dict[str, Any]]) -> int:
    for i in range(len(items) - 1, -1, -1):
        if _is_message(items[i]) and items[i].get("role") == "user":
            return i
    return -1


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return _content_text(output)
    return json.dumps(output, ensure_ascii=False)


def count_input_tokens(body: dict[str, Any]) -> int:
    """A deterministic stand-in for the tokenizer: a quarter of the characters of what the model reads."""
    seen = {k: body.get(k) for k in ("instructions", "input", "tools", "text")}
    return max(1, math.ceil(len(json.dumps(seen, ensure_ascii=False, sort_keys=True)) / 4))


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4) if text else 0


# --------------------------------------------------------------------------------------------- splitting


def split_text(text: str, count: int) -> list[str]:
    """``text`` cut into ``count`` near-equal non-empty pieces (fewer when it is shorter)."""
    if not text:
        return []
    count = max(1, min(count, len(text)))
    size, extra = divmod(len(text), count)
    pieces, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def _word_pieces(text: str) -> list[str]:
    """Words with their trailing whitespace (leading whitespace joins the first word)."""
    body = text.lstrip()
    lead = text[: len(text) - len(body)]
    pieces = re.findall(r"\S+\s*", body)
    if not pieces:
        return [text] if text else []
    pieces[0] = lead + pieces[0]
    return pieces


def _text_deltas(text: str, settings: AnswerSettings, fixed: bool) -> tuple[str, list[str]]:
    """The final text and its deltas. Without a fixed text, filler words stretch it to ``settings.deltas``."""
    pieces = _word_pieces(text)
    wanted = settings.deltas
    if wanted is None or wanted <= 0:
        return text, pieces
    if fixed:
        return text, split_text(text, wanted)
    while len(pieces) < wanted:
        pieces.append(" " + _FILLER[len(pieces) % len(_FILLER)])
    if len(pieces) > wanted:
        pieces = split_text("".join(pieces), wanted)
    return "".join(pieces), pieces


def _argument_deltas(arguments: str) -> list[str]:
    return split_text(arguments, max(2, math.ceil(len(arguments) / 8))) if len(arguments) > 1 else [arguments]


# ------------------------------------------------------------------------------------------------ tools


def _function_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Function tools and freeform ``custom`` tools (called with the prompt as their ``input``)."""
    tools = body.get("tools") or []
    return [t for t in tools if isinstance(t, dict) and t.get("type") in ("function", "custom") and t.get("name")]


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    words = [w.lower() for w in re.split(r"[\s_\-.]+", spaced) if w]
    return [w for w in words if len(w) >= 3 and w not in _NAME_STOPWORDS]


def tool_mentioned(name: str, text: str) -> bool:
    """Whether ``text`` names the tool or asks for what its name says (``weather`` -> ``get_weather``)."""
    lowered = text.lower()
    if name.lower() in lowered or name.lower().replace("_", " ") in lowered:
        return True
    facts = PromptFacts(text=text)
    for word in _name_words(name):
        stem = word[:-1] if word.endswith("s") and len(word) > 4 else word
        if facts.mentions(word) or facts.mentions(stem) or facts.mentions(stem + "s"):
            return True
    return False


def _choose_tools(
    body: dict[str, Any], tools: list[dict[str, Any]], prompt: str, after_outputs: bool
) -> list[dict[str, Any]]:
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return []
    if isinstance(choice, dict):
        name = choice.get("name") or (choice.get("function") or {}).get("name")
        return [t for t in tools if t["name"] == name][:1]
    mentioned = [t for t in tools if tool_mentioned(str(t["name"]), prompt)]
    if not mentioned and _ASKS_FOR_A_TOOL.search(prompt):
        mentioned = tools[:1]
    if choice == "required":
        chosen = mentioned or tools[:1]
    elif after_outputs:
        return []
    else:
        chosen = mentioned
    if body.get("parallel_tool_calls") is False:
        chosen = chosen[:1]
    return chosen


# ------------------------------------------------------------------------------------------------- JSON


def _json_object_keys(texts: list[str]) -> list[str]:
    """Keys the prompt names: quoted identifiers, else the words after "with"/"keys"/"fields" ..."""
    skip = {"the", "a", "an", "keys", "key", "fields", "field", "properties"}
    for text in texts:
        quoted = [q for q in quoted_strings(text) if _IDENTIFIER.match(q)]
        if quoted:
            return list(dict.fromkeys(quoted))
        keys: list[str] = []
        for m in _KEY_PHRASE.finditer(text):
            for word in re.split(r"\s*(?:,|\band\b|\bor\b|\s)\s*", m.group(1)):
                if word and _IDENTIFIER.match(word) and word.lower() not in skip:
                    keys.append(word)
        if keys:
            return list(dict.fromkeys(keys))
    return ["answer"]


def _json_answer(fmt: dict[str, Any], prompt: str, all_text: str) -> str | None:
    """JSON for ``text.format``; the prompt (then the whole conversation) names ``json_object`` keys."""
    kind = fmt.get("type")
    if kind == "json_schema" and isinstance(fmt.get("schema"), dict):
        value = fill_schema(fmt["schema"], PromptFacts.from_text(prompt))
        return json.dumps(value, ensure_ascii=False)
    if kind == "json_object":
        keys = _json_object_keys([prompt, all_text])
        facts = PromptFacts.from_text(prompt)
        obj = {key: fill_schema({"type": "string"}, facts, name=key) for key in keys}
        return json.dumps(obj, ensure_ascii=False)
    return None


# ------------------------------------------------------------------------------------------------- model


def run_model(
    body: dict[str, Any],
    *,
    answer: AnswerSettings,
    new_id: Callable[[str], str],
    seal: Callable[[dict[str, Any]], str],
    cached_tokens: int = 0,
) -> ModelTurn:
    """The output of one turn for a request body that passed validation."""
    items = [i for i in body.get("input") or [] if isinstance(i, dict)]
    last_user = _last_user_index(items)
    prompt = _content_text(items[last_user].get("content")) if last_user >= 0 else ""
    all_text = "\n".join(
        [str(body.get("instructions") or "")]
        + [_content_text(i.get("content")) for i in items if _is_message(i)]
    )
    calls = {i.get("call_id"): i for i in items if i.get("type") in ("function_call", "custom_tool_call")}
    outputs_after = [
        i for i in items[last_user + 1 :] if i.get("type") in ("function_call_output", "custom_tool_call_output")
    ]

    plans: list[OutputPlan] = []
    reasoning_tokens = 0
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort") != "none":
        effort = str(reasoning.get("effort") or "medium")
        reasoning_tokens = REASONING_TOKENS.get(effort, 32)
        plans.append(_reasoning_plan(body, prompt, new_id, seal))

    chosen = _choose_tools(body, _function_tools(body), prompt, bool(outputs_after))
    if answer.commentary is not None:
        plans.append(_message_plan(answer.commentary, "commentary", new_id, answer))
    facts = PromptFacts.from_text(prompt)  # shared: parallel calls take successive values from the prompt
    for tool in chosen:
        if tool.get("type") == "custom":
            custom = {
                "id": new_id("ctc_"),
                "type": "custom_tool_call",
                "status": "completed",
                "call_id": new_id("call_"),
                "name": tool["name"],
                "input": prompt,
            }
            plans.append(OutputPlan(item=custom, deltas=_word_pieces(prompt)))
            continue
        arguments = json.dumps(fill_schema(tool.get("parameters") or {}, facts), ensure_ascii=False)
        item = {
            "id": new_id("fc_"),
            "type": "function_call",
            "status": "completed",
            "arguments": arguments,
            "call_id": new_id("call_"),
            "name": tool["name"],
        }
        plans.append(OutputPlan(item=item, deltas=_argument_deltas(arguments)))

    if not chosen:
        fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
        json_text = _json_answer(fmt, prompt, all_text) if isinstance(fmt, dict) else None
        if answer.text is not None:
            text, deltas = _text_deltas(answer.text, answer, fixed=True)
        elif json_text is not None:
            text = json_text
            deltas = split_text(text, answer.deltas) if answer.deltas else _argument_deltas(text)
        else:
            text, deltas = _text_deltas(_reply_text(prompt, outputs_after, calls), answer, fixed=False)
        item = {
            "id": new_id("msg_"),
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "annotations": [], "text": text}],
        }
        if answer.commentary is not None:
            item["phase"] = "final_answer"
        plans.append(OutputPlan(item=item, deltas=deltas))

    input_tokens = count_input_tokens(body)
    cached = min(cached_tokens, input_tokens)
    visible = sum(_tokens(_item_text(p.item)) for p in plans)
    output_tokens = max(1, visible + reasoning_tokens)
    usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }
    return ModelTurn(outputs=plans, usage=usage)


def _message_plan(
    text: str, phase: str, new_id: Callable[[str], str], answer: AnswerSettings
) -> OutputPlan:
    """An assistant message with a ``phase`` (audit CODEX-2026-12 §3; issue 14 item 4)."""
    text, deltas = _text_deltas(text, answer, fixed=True)
    item = {
        "id": new_id("msg_"),
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "phase": phase,
        "content": [{"type": "output_text", "annotations": [], "text": text}],
    }
    return OutputPlan(item=item, deltas=deltas)


def _item_text(item: dict[str, Any]) -> str:
    if item["type"] == "message":
        return "".join(str(p.get("text", "")) for p in item["content"])
    if item["type"] == "function_call":
        return str(item["arguments"])
    if item["type"] == "custom_tool_call":
        return str(item["input"])
    return "".join(str(p.get("text", "")) for p in item.get("summary", []))


def _reply_text(prompt: str, outputs: list[dict[str, Any]], calls: dict[Any, dict[str, Any]]) -> str:
    if outputs:
        parts = []
        for out in outputs:
            name = (calls.get(out.get("call_id")) or {}).get("name", "the tool")
            parts.append(f"{name} returned: {_output_text(out.get('output'))}")
        answer = "Here is what I found. " + "; ".join(parts) + "."
        return answer + (f' (You asked: "{prompt}")' if prompt else "")
    if prompt:
        return f'Emulator reply to: "{prompt}"'
    return "Emulator reply."


def _reasoning_plan(
    body: dict[str, Any], prompt: str, new_id: Callable[[str], str], seal: Callable[[dict[str, Any]], str]
) -> OutputPlan:
    rid = new_id("rs_")
    topic = " ".join(prompt.split())[:80] or "the request"
    summary = f"**Planning the answer**\n\nThe user asked about: {topic}. I will answer directly."
    wanted = (body.get("reasoning") or {}).get("summary") in {"auto", "concise", "detailed"}
    parts = [{"type": "summary_text", "text": summary}] if wanted else []
    item: dict[str, Any] = {"id": rid, "type": "reasoning", "summary": parts}
    include = body.get("include") or []
    if isinstance(include, list) and "reasoning.encrypted_content" in include:
        item["encrypted_content"] = seal({"rs": rid, "summary": summary})
    return OutputPlan(item=item, deltas=_word_pieces(summary) if wanted else [])
