"""``AutoTokenStore`` (keyring first, file fallback), legacy migration, and ``default_token_store``."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..errors import TokenStoreError
from ._config import OAuthConfig
from ._file_store import FileTokenStore, ensure_private_dir
from ._keyring_store import KeyringTokenStore, KeyringUnavailableError
from ._log import get_logger
from ._profiles import DEFAULT_PROFILE, profile_dir, resolve_profile_name, validate_profile_name
from ._tokens import TokenData, TokenStore

__all__ = [
    "LEGACY_KEYRING_SERVICE",
    "AutoTokenStore",
    "default_token_store",
    "legacy_stores",
]

log = get_logger(__name__)

LEGACY_KEYRING_SERVICE = "codex-oauth-llm"
MIGRATION_MARKER = ".legacy-migrated"

StorageMode = Literal["auto", "keyring", "file"]


def legacy_stores() -> list[TokenStore]:
    """Where codex-oauth-llm kept logins: keyring service ``codex-oauth-llm`` and ``~/.codex_oauth_llm``."""
    return [
        KeyringTokenStore(LEGACY_KEYRING_SERVICE),
        FileTokenStore(Path.home() / ".codex_oauth_llm" / "auth.json"),
    ]


def _refreshed_at(tokens: TokenData) -> datetime:
    return tokens.last_refresh or datetime.min.replace(tzinfo=UTC)


class AutoTokenStore:
    """The default store of one profile: the system keyring first, its ``auth.json`` when that cannot be used.

    ``profile_name`` (default: ``config.profile_name``, else the current profile, else ``default``) keys
    both: keyring entry ``(oauth-codex, <profile>)`` and :func:`~oauth_codex.auth.profile_dir` ``/auth.json``
    (``$CODEX_OAUTH_HOME/auth.json`` for ``default``, the place oauth-codex 1.0 used).

    ``mode`` (default ``config.storage``, i.e. ``CODEX_OAUTH_STORAGE``): ``auto`` falls back to the file when
    the keyring has no backend, is locked or fails (with a one-line notice in the ``oauth_codex`` log);
    ``keyring`` uses only the keyring (failures raise); ``file`` uses only the file. When both hold a login,
    the more recently refreshed one wins. On the first load that finds nothing, a login of the predecessor
    package (keyring service ``codex-oauth-llm``, ``~/.codex_oauth_llm/auth.json``) is copied over once
    (profile ``default`` only).

    ``lock_path`` is the profile's cross-process refresh lock (``auth.json.lock`` beside its file).
    """

    def __init__(
        self,
        config: OAuthConfig | None = None,
        *,
        mode: StorageMode | None = None,
        keyring_store: KeyringTokenStore | None = None,
        file_store: FileTokenStore | None = None,
        migrate_legacy: bool = True,
        legacy: list[TokenStore] | None = None,
        profile_name: str | None = None,
    ) -> None:
        self.config = config or OAuthConfig.from_env()
        self.profile_name = (
            validate_profile_name(profile_name)
            if profile_name is not None
            else resolve_profile_name(self.config)
        )
        self.mode: StorageMode = mode or self.config.storage
        self.keyring_store = keyring_store or KeyringTokenStore(username=self.profile_name)
        self.file_store = file_store or FileTokenStore(
            profile_dir(self.config, self.profile_name) / "auth.json"
        )
        self.lock_path = self.file_store.lock_path
        self._migrate = migrate_legacy and self.profile_name == DEFAULT_PROFILE
        self._legacy = legacy
        self._keyring_problem: KeyringUnavailableError | None = None
        self._noticed = False
        self._last_location: str | None = None

    def __repr__(self) -> str:
        return (
            f"AutoTokenStore(profile_name={self.profile_name!r}, mode={self.mode!r}, "
            f"file={str(self.file_store.path)!r})"
        )

    @property
    def location(self) -> str:
        """Where the tokens were last found or saved (for messages)."""
        if self._last_location:
            return self._with_reason(self._last_location)
        if self.mode == "file" or self._keyring_problem is not None:
            return self._with_reason(self.file_store.location)
        return self.keyring_store.location

    def _with_reason(self, location: str) -> str:
        """The file location, naming the keyring backend that was passed over for it."""
        problem = self._keyring_problem
        if location != self.file_store.location or problem is None or problem.backend is None:
            return location
        return f"{location} (not the keyring: its backend {problem.backend} is not a secure store)"

    # -- keyring with fallback -------------------------------------------------------------------------
    def _keyring_usable(self) -> bool:
        return self.mode != "file" and (self.mode == "keyring" or self._keyring_problem is None)

    def _keyring_failed(self, exc: KeyringUnavailableError) -> None:
        if self.mode == "keyring":
            raise exc
        if self._keyring_problem is None:
            log.debug("oauth-codex: keyring unusable (%s); using %s", exc.reason, self.file_store.path)
        self._keyring_problem = exc

    def _notice_fallback(self) -> None:
        """One line, once per store, the first time a login is written to the file instead of the keyring."""
        if self._noticed or self._keyring_problem is None:
            return
        self._noticed = True
        what = {
            "no_backend": "no keyring backend is available",
            "unsuitable": f"the keyring backend {self._keyring_problem.backend} is not a secure store",
            "locked": "the keyring is locked",
            "corrupted": "the keyring entry is unreadable",
        }.get(self._keyring_problem.reason, "the keyring failed")
        log.warning(
            "oauth-codex: %s; storing the ChatGPT login in %s (mode 0600).", what, self.file_store.path
        )

    # -- TokenStore ------------------------------------------------------------------------------------
    def load(self) -> TokenData | None:
        """The newest stored login (keyring or file), migrating a legacy one on first use."""
        found: list[tuple[TokenData, str]] = []
        if self._keyring_usable():
            try:
                tokens = self.keyring_store.load()
            except KeyringUnavailableError as exc:
                self._keyring_failed(exc)
            else:
                if tokens is not None:
                    found.append((tokens, self.keyring_store.location))
        if self.mode != "keyring":
            try:
                tokens = self.file_store.load()
            except TokenStoreError:
                if not found:
                    raise
                log.warning(
                    "oauth-codex: ignoring the unreadable %s; using the keyring login", self.file_store.path
                )
            else:
                if tokens is not None:
                    found.append((tokens, self.file_store.location))
        if found:
            tokens, self._last_location = max(found, key=lambda pair: _refreshed_at(pair[0]))
            log.debug("oauth-codex: login read from %s (%d store(s) hold one)", self._last_location, len(found))
            return tokens
        if self._migrate:
            return self._migrate_legacy()
        return None

    def save(self, tokens: TokenData) -> None:
        """Save to the keyring, or to the file when the keyring cannot be used (``auto``).

        The profile's directory is created either way: it is what lists the profile.
        """
        try:
            ensure_private_dir(self.file_store.path.parent)
        except OSError:
            pass  # the file save below reports an unwritable home; a keyring save does not need it
        if self._keyring_usable():
            try:
                self.keyring_store.save(tokens)
            except KeyringUnavailableError as exc:
                self._keyring_failed(exc)
            else:
                self._last_location = self.keyring_store.location
                log.debug("oauth-codex: login saved to %s", self._last_location)
                return
        self._notice_fallback()
        self.file_store.save(tokens)
        self._last_location = self.file_store.location
        log.debug("oauth-codex: login saved to %s", self._last_location)

    def delete(self) -> None:
        """Remove the login from the keyring and the file (whatever the mode)."""
        with contextlib.suppress(KeyringUnavailableError):
            self.keyring_store.delete()
        self.file_store.delete()
        self._last_location = None

    # -- migration -------------------------------------------------------------------------------------
    def _marker(self) -> Path:
        return self.config.home_dir / MIGRATION_MARKER

    def _migrate_legacy(self) -> TokenData | None:
        marker = self._marker()
        if marker.exists():
            return None
        for store in self._legacy if self._legacy is not None else legacy_stores():
            try:
                tokens = store.load()
            except TokenStoreError:
                continue
            if tokens is None:
                continue
            self.save(tokens)
            with contextlib.suppress(OSError, TokenStoreError):
                ensure_private_dir(marker.parent)
                marker.write_text(
                    f"migrated from {getattr(store, 'location', repr(store))}\n", encoding="utf-8"
                )
            log.warning(
                "oauth-codex: migrated the ChatGPT login of codex-oauth-llm (%s) to %s.",
                getattr(store, "location", repr(store)),
                self.location,
            )
            return tokens
        return None


def default_token_store(
    config: OAuthConfig | None = None, *, profile_name: str | None = None
) -> AutoTokenStore:
    """The store used when none is given: the :class:`AutoTokenStore` of the profile (``profile_name``, else
    ``config.profile_name``, else the current profile, else ``default``) in ``config.storage`` mode."""
    return AutoTokenStore(config or OAuthConfig.from_env(), profile_name=profile_name)
