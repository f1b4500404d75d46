"""SIWC records (SIWC.md §6, §14.1), kept apart from the Codex route's login.

``<home>/siwc/host.json`` holds this installation's ``ext_agent_host_id`` (not secret; made once, never
copied). ``<home>/siwc/profiles/<name>.json`` holds one account registration: the issued client id, the
verified identity and, while signed in, the tokens. Files are written atomically with mode 0600; the
refresh lock of a profile is ``<name>.json.lock`` beside it. Signing out clears the tokens and keeps the
registration, so the next sign-in reuses the issued client id.

Keyring first, like the Codex route (``CODEX_OAUTH_STORAGE``): in ``auto`` and ``keyring`` mode the three
tokens go to the system keyring (service ``oauth-codex-siwc``, username = profile) and the file keeps the
rest with ``"secrets": "keyring"``; ``auto`` falls back to keeping them in the file when the keyring is missing,
locked or failing; ``file`` never uses the keyring.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import TokenStoreError
from ._file_store import write_private_file
from ._log import get_logger
from ._siwc_wire import PLAN_SCOPE, SiwcConfig

__all__ = ["SiwcCredentials", "SiwcStore"]

log = get_logger(__name__)
KEYRING_SERVICE = "oauth-codex-siwc"
_SECRETS = ("access_token", "refresh_token", "id_token")
StorageMode = Literal["auto", "keyring", "file"]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
Status = Literal["registering", "connected", "disconnected", "reauth_required"]
RefreshState = Literal["ok", "in_flight", "uncertain", "pending_verification"]


class SiwcCredentials(BaseModel):
    """One SIWC account registration and, while signed in, its tokens (secrets hidden from ``repr``)."""

    model_config = ConfigDict(extra="ignore")

    version: int = 1
    issuer: str
    client_id: str
    ext_agent_host_id: str
    subject: str | None = None
    email: str | None = None
    name: str | None = None
    status: Status = "registering"
    id_token: str | None = Field(default=None, repr=False)
    access_token: str | None = Field(default=None, repr=False)
    refresh_token: str | None = Field(default=None, repr=False)
    token_type: str = "Bearer"
    expires_at: float | None = None
    earliest_refresh_at: float | None = None
    scopes: list[str] = Field(default_factory=list)
    saved_at: str | None = None
    refresh_state: RefreshState = "ok"
    welcome_seen: bool = False

    @property
    def plan_enabled(self) -> bool:
        """Whether ChatGPT plan usage was granted (``chatgpt.tokens.use.direct`` in the granted scopes)."""
        return PLAN_SCOPE in self.scopes

    def cleared(self, status: Status) -> SiwcCredentials:
        """The registration without tokens (sign-out, or a refresh token known to be dead)."""
        return self.model_copy(
            update={
                "status": status,
                "access_token": None,
                "refresh_token": None,
                "id_token": None if status == "disconnected" else self.id_token,
                "expires_at": None,
                "earliest_refresh_at": None,
                "refresh_state": "ok",
            }
        )


def _now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class SiwcStore:
    """The SIWC files of one ``home`` (``<home>/siwc``); one record per profile name."""

    def __init__(
        self,
        config: SiwcConfig | None = None,
        *,
        root: Path | None = None,
        storage: StorageMode | None = None,
        keyring_backend: Any = None,
    ) -> None:
        import os

        self.root = root if root is not None else (config or SiwcConfig.from_env()).siwc_dir
        chosen = storage or os.environ.get("CODEX_OAUTH_STORAGE", "").strip().lower() or "auto"
        if chosen not in ("auto", "keyring", "file"):
            chosen = "auto"  # OAuthConfig reports a bad CODEX_OAUTH_STORAGE; never lose a login over it here
        self.storage: StorageMode = chosen  # type: ignore[assignment]
        self._backend = keyring_backend

    def __repr__(self) -> str:
        return f"SiwcStore(root={str(self.root)!r}, storage={self.storage!r})"

    def _keyring(self, name: str) -> Any:
        from ._keyring_store import KeyringTokenStore

        return KeyringTokenStore(KEYRING_SERVICE, name, backend=self._backend)

    # -- host id ---------------------------------------------------------------------------------------
    @property
    def host_path(self) -> Path:
        return self.root / "host.json"

    def host_id(self) -> str:
        """This installation's ``ext_agent_host_id`` (``urn:uuid:<v4>``), created on first use."""
        try:
            doc = json.loads(self.host_path.read_text(encoding="utf-8"))
            value = doc.get("ext_agent_host_id") if isinstance(doc, dict) else None
            if isinstance(value, str) and value:
                return value
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            raise TokenStoreError(
                f"Cannot read {self.host_path} ({type(exc).__name__}); fix or remove the file.",
                path=str(self.host_path),
            ) from None
        value = f"urn:uuid:{uuid.uuid4()}"
        write_private_file(self.host_path, json.dumps({"version": 1, "ext_agent_host_id": value}) + "\n")
        return value

    # -- profiles --------------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise ValueError(f"profile name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
        return self.root / "profiles" / f"{name}.json"

    def lock_path(self, name: str) -> Path:
        return self.path(name).with_suffix(".json.lock")

    def load(self, name: str) -> SiwcCredentials | None:
        path = self.path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStoreError(f"Cannot read {path} ({exc.strerror}).", path=str(path)) from None
        try:
            doc = json.loads(text)
            if isinstance(doc, dict) and doc.get("secrets") == "keyring":
                doc.update(self._keyring_secrets(name))
            return SiwcCredentials.model_validate(doc)
        except (ValueError, ValidationError):
            raise TokenStoreError(
                f"The SIWC login file {path} is corrupt; run `oauth-codex login --route siwc` to replace it.",
                path=str(path),
            ) from None

    def _keyring_secrets(self, name: str) -> dict[str, Any]:
        text = self._keyring(name).load_text()  # KeyringUnavailableError (a TokenStoreError) when it fails
        secrets = json.loads(text) if text else None
        if not isinstance(secrets, dict):
            raise TokenStoreError(
                f"The keyring entry of the SIWC profile {name!r} is missing or corrupt; run `oauth-codex login "
                "--route siwc` again.",
            )
        return {key: secrets.get(key) for key in _SECRETS}

    def save(self, name: str, record: SiwcCredentials) -> SiwcCredentials:
        """Write ``record`` atomically (0600), stamping ``saved_at``; returns what was written."""
        from ._keyring_store import KeyringUnavailableError

        record = record.model_copy(update={"saved_at": _now_iso()})
        doc: dict[str, Any] = record.model_dump()
        doc["secrets"] = "file"
        if self.storage != "file" and any(doc[key] for key in _SECRETS):
            try:
                self._keyring(name).save_text(json.dumps({key: doc[key] for key in _SECRETS}))
            except KeyringUnavailableError as exc:
                if self.storage == "keyring":
                    raise
                log.debug("SIWC tokens kept in the 0600 file: the keyring is unavailable (%s)", exc.reason)
            else:
                doc.update({key: None for key in _SECRETS}, secrets="keyring")
        elif self.storage != "file":
            try:
                self._keyring(name).delete()  # signed out: no token may stay behind in the keyring either
            except KeyringUnavailableError:
                pass
        write_private_file(self.path(name), json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return record

    def names(self) -> list[str]:
        folder = self.root / "profiles"
        try:
            return sorted(p.stem for p in folder.glob("*.json"))
        except OSError:
            return []

    def delete(self, name: str) -> None:
        from ._keyring_store import KeyringUnavailableError

        self.path(name).unlink(missing_ok=True)
        if self.storage != "file":
            try:
                self._keyring(name).delete()
            except KeyringUnavailableError:
                pass
