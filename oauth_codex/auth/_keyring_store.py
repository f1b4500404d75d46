"""``KeyringTokenStore``: tokens in the OS credential store (service ``oauth-codex``), imported lazily.

Size limits: Windows Credential Manager holds at most 2,560 bytes per secret (1,280 UTF-16 characters), less
than one login (two JWTs and a refresh token). Documents longer than :data:`CHUNK_CHARS` are therefore split:

* the entry ``(service, username)`` holds a small manifest
  ``{"oauth_codex_chunks": N, "generation": G, "sha256": H}``;
* the entries ``(service, f"{username}#{G}#{i}")`` for ``i`` in ``0..N-1`` hold the pieces.

A save writes the new generation's pieces first and the manifest last (the commit point), then deletes the
previous generation, so a reader never sees a mix; the hash catches a torn read, which is retried once.
Short documents (and the flat documents of older releases) sit directly in the main entry.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import TYPE_CHECKING, Any, Literal

from ..errors import TokenStoreError
from ._document import dumps_document, parse_token_document
from ._log import get_logger
from ._tokens import TokenData

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = ["CHUNK_CHARS", "KeyringTokenStore", "KeyringUnavailableError", "backend_name"]

log = get_logger(__name__)

CHUNK_CHARS = 1000
_MANIFEST_KEY = "oauth_codex_chunks"

KeyringProblem = Literal["no_backend", "unsuitable", "locked", "error", "corrupted"]


class KeyringUnavailableError(TokenStoreError):
    """The keyring cannot be used now; ``reason``: ``no_backend``, ``unsuitable`` (a plain-file or
    low-priority backend such as ``keyrings.alt``), ``locked``, ``error`` or ``corrupted``; ``backend`` names the
    backend when one was found."""

    def __init__(self, message: str, *, reason: KeyringProblem, backend: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.backend = backend


def backend_name(backend: object) -> str:
    """The dotted class name of a keyring backend, e.g. ``keyring.backends.SecretService.Keyring``."""
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def unsuitable_reason(backend: KeyringBackend) -> str | None:
    """Why the backend keyring chose is no real credential store (``None`` when it is one).

    ``keyrings.alt``'s file backends keep secrets in a file under ``~/.local/share`` (base64 or weakly
    encrypted), and every backend of priority < 1 is one keyring itself ranks as a last resort: our own 0600
    file is the better fallback. The "fail" backend is left to raise ``NoKeyringError`` as before.
    """
    module = type(backend).__module__
    if module == "keyring.backends.fail":
        return None
    if module.startswith("keyrings.alt.file"):
        return "keeps secrets in a plain file"
    try:
        priority = float(backend.priority)
    except Exception:  # a backend whose priority cannot be computed is not viable here
        return "is not usable on this system"
    if priority < 1:
        return f"is a last-resort backend (priority {priority:g})"
    return None


def _wrap(exc: BaseException, action: str, service: str) -> KeyringUnavailableError:
    from keyring.errors import KeyringLocked, NoKeyringError

    if isinstance(exc, NoKeyringError):
        return KeyringUnavailableError(
            f"No keyring backend is available to {action} the ChatGPT login (service {service!r}).",
            reason="no_backend",
        )
    if isinstance(exc, KeyringLocked):
        return KeyringUnavailableError(
            f"The keyring is locked, so the ChatGPT login cannot be {action}d (service {service!r}). "
            "Unlock it, or use CODEX_OAUTH_STORAGE=file.",
            reason="locked",
        )
    return KeyringUnavailableError(
        f"The keyring failed to {action} the ChatGPT login (service {service!r}: {type(exc).__name__}). "
        "Use CODEX_OAUTH_STORAGE=file to store it in a file instead.",
        reason="error",
    )


class KeyringTokenStore:
    """Tokens in the system keyring under ``service`` (default ``oauth-codex``) and ``username``.

    ``backend`` is a ``keyring`` backend instance (default: ``keyring.get_keyring()``, resolved on first use).
    Long documents are split into chunks (see the module docs). Every keyring failure is raised as
    :class:`KeyringUnavailableError` (a :class:`~oauth_codex.errors.TokenStoreError`) with a ``reason``.
    """

    def __init__(
        self,
        service: str = "oauth-codex",
        username: str = "default",
        *,
        backend: KeyringBackend | None = None,
    ) -> None:
        self.service = service
        self.username = username
        self._backend = backend

    def __repr__(self) -> str:
        return f"KeyringTokenStore(service={self.service!r}, username={self.username!r})"

    @property
    def location(self) -> str:
        """Where the tokens live, for messages (with the backend's name once it is known)."""
        if self._backend is None:
            return f"the system keyring (service {self.service!r})"
        return f"the system keyring ({backend_name(self._backend)}, service {self.service!r})"

    def _kr(self) -> KeyringBackend:
        """The backend: the one given, else ``keyring.get_keyring()`` unless it is no real keyring."""
        if self._backend is None:
            import keyring

            try:
                backend = keyring.get_keyring()
            except Exception as exc:
                raise _wrap(exc, "use", self.service) from None
            why = unsuitable_reason(backend)
            if why is not None:
                name = backend_name(backend)
                raise KeyringUnavailableError(
                    f"The keyring backend {name} {why}, so it is not used for the ChatGPT login "
                    f"(service {self.service!r}).",
                    reason="unsuitable",
                    backend=name,
                )
            self._backend = backend
        return self._backend

    def _get(self, username: str) -> str | None:
        backend = self._kr()
        try:
            return backend.get_password(self.service, username)
        except Exception as exc:  # every backend raises its own types
            raise _wrap(exc, "read", self.service) from None

    def _set(self, username: str, value: str) -> None:
        backend = self._kr()
        try:
            backend.set_password(self.service, username, value)
        except Exception as exc:
            raise _wrap(exc, "save", self.service) from None

    def _delete(self, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        backend = self._kr()
        try:
            backend.delete_password(self.service, username)
        except PasswordDeleteError:
            pass  # nothing stored under that name
        except Exception as exc:
            raise _wrap(exc, "delete", self.service) from None

    def _chunk_name(self, generation: str, index: int) -> str:
        return f"{self.username}#{generation}#{index}"

    @staticmethod
    def _manifest(raw: str) -> dict[str, Any] | None:
        try:
            doc = json.loads(raw)
        except ValueError:
            return None
        return doc if isinstance(doc, dict) and _MANIFEST_KEY in doc else None

    def _read_document(self) -> str | None:
        raw = self._get(self.username)
        if raw is None:
            return None
        manifest = self._manifest(raw)
        if manifest is None:
            return raw
        count, generation = manifest.get(_MANIFEST_KEY), manifest.get("generation")
        if not isinstance(count, int) or not isinstance(generation, str):
            raise KeyringUnavailableError(
                f"The keyring entry of service {self.service!r} is corrupted. Run `oauth-codex logout` and "
                "log in again.",
                reason="corrupted",
            )
        pieces = [self._get(self._chunk_name(generation, i)) for i in range(count)]
        text = "".join(p for p in pieces if p is not None)
        if None in pieces or hashlib.sha256(text.encode()).hexdigest() != manifest.get("sha256"):
            return ""  # torn read: a save is in progress
        return text

    def load_text(self) -> str | None:
        """The stored document as text (chunks joined; ``""`` after two torn reads), or ``None`` when nothing is
        stored; the SIWC store keeps its secrets this way."""
        text = self._read_document()
        if text == "":
            text = self._read_document()  # one retry after a torn read
        return text

    def load(self) -> TokenData | None:
        """The stored tokens, or ``None``; raises :class:`KeyringUnavailableError` when the keyring fails."""
        text = self.load_text()
        if text is None:
            return None
        try:
            return parse_token_document(json.loads(text))
        except ValueError:
            raise KeyringUnavailableError(
                f"The keyring entry of service {self.service!r} is corrupted or incomplete. Run `oauth-codex "
                "logout` and log in again.",
                reason="corrupted",
            ) from None

    def _old_generation(self) -> tuple[str, int] | None:
        raw = self._get(self.username)
        manifest = self._manifest(raw) if raw else None
        if manifest is None:
            return None
        count, generation = manifest.get(_MANIFEST_KEY), manifest.get("generation")
        if isinstance(count, int) and isinstance(generation, str):
            return generation, count
        return None

    def save(self, tokens: TokenData) -> None:
        """Store ``tokens`` (chunked when long); raises :class:`KeyringUnavailableError` on failure."""
        self.save_text(dumps_document(tokens, pretty=False))

    def save_text(self, text: str) -> None:
        """Store a document given as text (chunked when long); raises :class:`KeyringUnavailableError`."""
        old = self._old_generation()
        if len(text) <= CHUNK_CHARS:
            self._set(self.username, text)
        else:
            generation = secrets.token_hex(4)
            pieces = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]
            for index, piece in enumerate(pieces):
                self._set(self._chunk_name(generation, index), piece)
            manifest = {
                _MANIFEST_KEY: len(pieces),
                "generation": generation,
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            }
            self._set(self.username, json.dumps(manifest))
        if old is not None:
            self._delete_generation(*old)

    def _delete_generation(self, generation: str, count: int) -> None:
        for index in range(count):
            try:
                self._delete(self._chunk_name(generation, index))
            except KeyringUnavailableError:
                log.debug("could not delete an old keyring chunk of service %r", self.service)

    def delete(self) -> None:
        """Remove the entry and its chunks (nothing happens when none is stored)."""
        old = self._old_generation()
        self._delete(self.username)
        if old is not None:
            self._delete_generation(*old)
