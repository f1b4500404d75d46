"""Incremental server-sent-events decoder: bytes in, event dicts out (pure, no I/O).

The Codex backend frames every event as ``event: <type>\\ndata: <json>\\n\\n`` and dispatches on
``data["type"]`` only. :class:`SSEDecoder` accepts the stream in arbitrary chunks and returns the decoded
JSON objects of every complete frame:

* line endings ``\\r\\n``, ``\\r`` and ``\\n`` (also split across chunks);
* several ``data:`` lines in one frame are joined with ``\\n`` before JSON decoding;
* ``:`` comment lines (keep-alives), ``id:`` and ``retry:`` fields (kept in :attr:`SSEDecoder.last_event_id`
  and :attr:`SSEDecoder.retry_ms`) and unknown fields are accepted;
* frames without data, data that is not a JSON object, and objects without a usable ``type`` are skipped;
  when the object has no ``type`` but the frame has an ``event:`` name, that name becomes its ``type``;
* bytes that are not valid UTF-8 never raise: they are decoded with U+FFFD replacement characters.

:meth:`SSEDecoder.flush` decodes what is left at EOF (a last frame missing its blank line).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["SSEDecoder"]

_DATA = b"data:"


class SSEDecoder:
    """Turns chunks of an SSE byte stream into event dicts; one instance per stream."""

    __slots__ = ("_buf", "_pending_cr", "last_event_id", "retry_ms")

    def __init__(self) -> None:
        self._buf = b""
        self._pending_cr = False
        #: value of the last ``id:`` field seen (``None`` until one arrives)
        self.last_event_id: str | None = None
        #: value of the last valid ``retry:`` field, in milliseconds
        self.retry_ms: int | None = None

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """Add ``chunk`` and return the events of every frame it completed (possibly none)."""
        if self._pending_cr:
            chunk = b"\r" + chunk
            self._pending_cr = False
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                # may be the first half of a CRLF split across chunks
                self._pending_cr = True
                chunk = chunk[:-1]
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buf = self._buf + chunk if self._buf else chunk
        if b"\n\n" not in buf:
            self._buf = buf
            return []
        frames = buf.split(b"\n\n")
        self._buf = frames.pop()
        events: list[dict[str, Any]] = []
        for frame in frames:
            if frame:
                event = self._decode_frame(frame)
                if event is not None:
                    events.append(event)
        return events

    def flush(self) -> list[dict[str, Any]]:
        """Decode what is left at the end of the stream (a final frame without its blank line)."""
        buf = self._buf
        self._buf = b""
        self._pending_cr = False
        events: list[dict[str, Any]] = []
        for frame in buf.split(b"\n\n"):
            if frame.strip(b"\n"):
                event = self._decode_frame(frame.strip(b"\n"))
                if event is not None:
                    events.append(event)
        return events

    def _decode_frame(self, frame: bytes) -> dict[str, Any] | None:
        # fast path: the usual two-line frame "event: X\ndata: {...}" with a single data line
        data: bytes | None = None
        data_lines: list[bytes] | None = None
        name: bytes | None = None
        for line in frame.split(b"\n"):
            if line.startswith(_DATA):
                value = line[5:]
                if value[:1] == b" ":
                    value = value[1:]
                if data is None:
                    data = value
                else:
                    if data_lines is None:
                        data_lines = [data]
                    data_lines.append(value)
                continue
            if not line or line[:1] == b":":
                continue
            field, sep, value = line.partition(b":")
            if sep and value[:1] == b" ":
                value = value[1:]
            if field == b"event":
                name = value
            elif field == b"data":  # a bare "data" line adds an empty line
                if data is None:
                    data = b""
                else:
                    if data_lines is None:
                        data_lines = [data]
                    data_lines.append(b"")
            elif field == b"id":
                if b"\0" not in value:
                    self.last_event_id = value.decode("utf-8", "replace")
            elif field == b"retry":
                if value.isdigit():
                    self.retry_ms = int(value)
        if data_lines is not None:
            data = b"\n".join(data_lines)
        if not data:
            return None
        try:
            obj = json.loads(data)
        except UnicodeDecodeError:
            try:
                obj = json.loads(data.decode("utf-8", "replace"))
            except ValueError:
                return None
        except ValueError:
            return None
        if type(obj) is not dict:
            return None
        kind = obj.get("type")
        if type(kind) is not str or not kind:
            if not name:
                return None
            obj["type"] = name.decode("utf-8", "replace")
        return obj
