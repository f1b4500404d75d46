"""``FileTokenStore``: ``$CODEX_OAUTH_HOME/auth.json`` in the Codex CLI layout, private and crash-safe."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import TokenStoreError
from ._config import OAuthConfig
from ._document import parse_token_document
from ._log import get_logger
from ._tokens import TokenData

__all__ = ["FileTokenStore", "ensure_private_dir", "read_text_file", "write_private_file"]

log = get_logger(__name__)

_POSIX = os.name == "posix"


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; an existing one is checked, never chmod'ed.

    On POSIX an existing directory that other users can write to, or that another user owns, raises
    :class:`~oauth_codex.errors.TokenStoreError`: tokens kept there could be swapped or removed by them.
    """
    for parent in reversed([p for p in path.parents if not p.exists()]):
        parent.mkdir(mode=0o700, exist_ok=True)  # mkdir(parents=True) would give them the umask's mode
    try:
        path.mkdir(mode=0o700)
        return  # ours: created 0700 (the umask can only remove bits)
    except FileExistsError:
        pass
    if not _POSIX:
        return
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise TokenStoreError(
            f"{path} belongs to another user (uid {info.st_uid}), so oauth-codex does not keep tokens there: set "
            "CODEX_OAUTH_HOME to a directory of your own (default ~/.oauth_codex).",
            path=str(path),
        )
    if info.st_mode & 0o022:
        raise TokenStoreError(
            f"{path} is writable by other users (mode {stat.S_IMODE(info.st_mode):o}), so oauth-codex does not "
            "keep tokens there: set CODEX_OAUTH_HOME to a private directory, or run `chmod go-w` on it.",
            path=str(path),
        )


def _fsync_dir(path: Path) -> None:
    if not _POSIX:
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace(source: str, target: Path) -> None:
    """``os.replace``, retried briefly on Windows where a reader holding the file makes it fail."""
    for attempt in range(10):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if os.name != "nt" or attempt == 9:
                raise
            time.sleep(0.05)


def read_text_file(path: Path, what: str, fix: str) -> str | None:
    """The text of ``path``, ``None`` when it does not exist. Raises ``TokenStoreError`` ("Cannot read {what}
    {path} (reason). {fix}") when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise TokenStoreError(f"Cannot read {what} {path} ({reason}). {fix}", path=str(path)) from None


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600 in a 0700 directory (temp file, fsync,
    ``os.replace``, directory fsync). Raises ``TokenStoreError`` naming the file when it cannot be written."""
    parent = path.parent
    tmp_name: str | None = None
    try:
        ensure_private_dir(parent)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
        try:
            if _POSIX:
                os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        _replace(tmp_name, path)
        tmp_name = None
        _fsync_dir(parent)
    except OSError as exc:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        raise TokenStoreError(
            f"Cannot write the token file {path} ({exc.strerror or type(exc).__name__}). Check that "
            f"{parent} is writable, or set CODEX_OAUTH_HOME to a writable directory.",
            path=str(path),
        ) from None


class FileTokenStore:
    """Tokens in a JSON file with the Codex CLI ``auth.json`` layout.

    ``path`` defaults to the selected profile's ``auth.json`` (``$CODEX_OAUTH_HOME/auth.json`` for the profile
    ``default``, ``$CODEX_OAUTH_HOME/profiles/<name>/auth.json`` for the others). The file is written
    with mode 0600 inside a 0700 directory by an atomic replace (temp file, fsync, ``os.replace``, directory
    fsync), so a crash leaves either the old or the new file. A file that cannot be parsed raises
    :class:`~oauth_codex.errors.TokenStoreError` naming it, and is moved to ``auth.json.corrupt-<time>``
    (never silently overwritten) before a new login is saved. ``lock_path`` (``auth.json.lock`` beside it) is
    the cross-process refresh lock.

    >>> store = FileTokenStore("/tmp/example/auth.json")  # doctest: +SKIP
    >>> store.load()  # None until a login is saved  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is None:
            from ._profiles import profile_dir

            path = profile_dir(OAuthConfig.from_env()) / "auth.json"
        self.path = Path(path).expanduser()
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def __repr__(self) -> str:
        return f"FileTokenStore(path={str(self.path)!r})"

    @property
    def location(self) -> str:
        """Where the tokens live, for messages."""
        return str(self.path)

    # -- reading -----------------------------------------------------------------------------------
    def _read_text(self) -> str | None:
        fix = "Check its permissions, or move it away and log in again with `oauth-codex login`."
        return read_text_file(self.path, "the token file", fix)

    def load(self) -> TokenData | None:
        """The stored tokens (``None`` without a file); raises ``TokenStoreError`` when it is corrupted."""
        text = self._read_text()
        if text is None:
            return None
        try:
            return parse_token_document(json.loads(text))
        except ValueError as exc:
            reason = "not valid JSON (truncated?)" if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise TokenStoreError(
                f"The token file {self.path} is corrupted: {reason}. Move it away (or restore a backup) "
                "and log in again with `oauth-codex login`; a new login keeps a copy of it as "
                "auth.json.corrupt-<time>.",
                path=str(self.path),
            ) from None

    # -- writing -----------------------------------------------------------------------------------
    def _existing_document(self) -> dict[str, Any] | None:
        """The current Codex-layout document (to keep its unknown keys); backs up a corrupted file first."""
        try:
            text = self._read_text()
        except TokenStoreError:
            text = ""
        if text is None:
            return None
        try:
            doc = json.loads(text)
            parse_token_document(doc)
        except ValueError:
            self._back_up_corrupted()
            return None
        return doc if isinstance(doc.get("tokens"), dict) else None

    def _back_up_corrupted(self) -> None:
        """Copy the unparsable file to ``auth.json.corrupt-<time>`` (0600) before it is replaced.

        Symlinks are never followed: a symlinked ``auth.json`` is not copied (the atomic replace swaps the link,
        its target is left untouched), and the backup is created with ``O_EXCL | O_NOFOLLOW``.
        """
        if self.path.is_symlink():
            log.warning(
                "The token file %s is a symbolic link to something that is not a login; replacing the link "
                "with a new file (its target is left untouched).",
                self.path,
            )
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        source_fd = os.open(self.path, os.O_RDONLY | nofollow)
        with os.fdopen(source_fd, "rb") as source:
            target_fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow, 0o600)
            with os.fdopen(target_fd, "wb") as target:
                shutil.copyfileobj(source, target)
        log.warning(
            "The token file %s was corrupted; kept a copy at %s before writing a new one.", self.path, backup
        )

    def save(self, tokens: TokenData) -> None:
        """Write ``tokens`` atomically (0600). Raises ``TokenStoreError`` when the file cannot be written."""
        doc = tokens.to_auth_json()
        try:
            existing = self._existing_document() or {}
        except OSError:
            existing = {}  # e.g. the parent is not a directory: the write below names the problem
        for key, value in existing.items():
            doc.setdefault(key, value)  # keep keys other tools wrote (docs/protocol.md "Codex CLI auth.json")
        write_private_file(self.path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")

    def delete(self) -> None:
        """Remove the file (nothing happens when it does not exist)."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            raise TokenStoreError(
                f"Cannot delete the token file {self.path} ({exc.strerror or type(exc).__name__}).",
                path=str(self.path),
            ) from None
        _fsync_dir(self.path.parent)
