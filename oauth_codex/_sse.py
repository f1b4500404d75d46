"""Incremental server-sent-events decoder: bytes in, event dicts out (pure, no I/O).

The Codex backend frames every event as ``event: <type>\\ndata: <json>\\n\\n`` and dispatches on
``data["type"]`` only. :class:`SSEDecoder` accepts the stream in arbitrary chunks and returns the decoded
JSON objects of every complete frame:

* line endings ``\\r\\n``, ``\\r`` and ``\\n`` (also split across chunks);
* several ``data:`` lines in one frame are joined with ``\\n`` before JSON decoding;
* ``:`` comment lines (keep-alives), ``id:`` and ``retry:`` fields and unknown fields are accepted and
  ignored (the client never reconnects a stream: a cut stream is re-sent whole or raised);
* frames without data, data that is not a JSON object, and objects without a usable ``type`` are skipped;
  when the object has no ``type`` but the frame has an ``event:`` name, that name becomes its ``type``;
* bytes that are not valid UTF-8 never raise: they are decoded with U+FFFD replacement characters.

:meth:`SSEDecoder.flush` decodes what is left at EOF (a last frame missing its blank line).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["SSEDecoder"]

_UTF8 = codecs.getincrementaldecoder("utf-8")
#: the usual frame, matched in C: an optional ``event:`` line and one ``data:`` line
_SIMPLE_FRAME = re.compile(r"(?:event: [^\n]*\n)?data: ([^\n]*)\n\n")
_scan_json: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _parse(data: str) -> Any:
    """``json.loads(data)``, through the C scanner directly on the hot path; ``None`` when not JSON."""
    try:
        obj, end = _scan_json(data, 0)
        if end == len(data):
            return obj
    except (StopIteration, ValueError):
        pass
    try:
        return json.loads(data)
    except ValueError:
        return None


class SSEDecoder:
    """Turns chunks of an SSE byte stream into event dicts; one instance per stream."""

    __slots__ = ("_buf", "_parts", "_pending_cr", "_utf8")

    def __init__(self) -> None:
        self._buf = ""
        #: text received after ``_buf`` while no frame could end (joined once a blank line arrives)
        self._parts: list[str] = []
        self._pending_cr = False
        self._utf8 = _UTF8("replace")

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """Add ``chunk`` and return the events of every frame it completed (possibly none)."""
        return self._frames(self._utf8.decode(chunk), final=False)

    def flush(self) -> list[dict[str, Any]]:
        """Decode what is left at the end of the stream (a final frame without its blank line)."""
        return self._frames(self._utf8.decode(b"", True), final=True)

    def _frames(self, text: str, *, final: bool) -> list[dict[str, Any]]:
        if self._pending_cr:
            text = "\r" + text
            self._pending_cr = False
        if "\r" in text:
            if text.endswith("\r") and not final:
                # may be the first half of a CRLF split across chunks
                self._pending_cr = True
                text = text[:-1]
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if self._buf and not final:
            # An unfinished frame is buffered (it holds no blank line): until one arrives, only collect the
            # text, so a large frame arriving in many chunks costs linear, not quadratic, time.
            last = self._parts[-1] if self._parts else self._buf
            if "\n\n" not in text and not (text[:1] == "\n" and last[-1:] == "\n"):
                if text:
                    self._parts.append(text)
                return []
        if self._parts:
            self._buf += "".join(self._parts)
            self._parts.clear()
        buf = self._buf + text if self._buf else text
        events: list[dict[str, Any]] = []
        match = _SIMPLE_FRAME.match
        pos = 0
        while True:
            simple = match(buf, pos)
            if simple is not None:
                obj = _parse(simple.group(1))
                if type(obj) is dict:
                    kind = obj.get("type")
                    if type(kind) is str and kind:
                        events.append(obj)
                        pos = simple.end()
                        continue
                end = simple.end() - 2
            elif buf.startswith("\n", pos):
                pos += 1  # blank lines between frames
                continue
            else:
                end = buf.find("\n\n", pos)
                if end < 0:
                    if not final or pos >= len(buf):
                        break
                    end = len(buf)
            event = self._decode_frame(buf[pos:end])
            if event is not None:
                events.append(event)
            pos = end + 2
        self._buf = buf[pos:] if pos < len(buf) else ""
        return events

    def _decode_frame(self, frame: str) -> dict[str, Any] | None:
        data: list[str] | None = None
        name = ""
        for line in frame.split("\n"):
            if not line or line[0] == ":":
                continue
            field, sep, value = line.partition(":")
            if sep and value[:1] == " ":
                value = value[1:]
            if field == "data":
                if data is None:
                    data = [value]
                else:
                    data.append(value)
            elif field == "event":
                name = value
        if not data:
            return None
        obj = _parse("\n".join(data))
        if type(obj) is not dict:
            return None
        kind = obj.get("type")
        if type(kind) is not str or not kind:
            if not name:
                return None
            obj["type"] = name
        return obj
