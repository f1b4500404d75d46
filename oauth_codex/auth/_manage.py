"""``refresh``, ``logout`` and ``import_codex_cli_auth``: one-call management of the stored login."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..errors import NotAuthenticatedError, TokenStoreError
from ._auto_store import default_token_store, legacy_stores
from ._config import OAuthConfig
from ._discovery import resolve_endpoints
from ._document import parse_token_document
from ._flow import Flow, Http, run_sync
from ._keyring_store import KeyringUnavailableError
from ._locks import RefreshLock, lock_path_for
from ._log import get_logger
from ._profiles import (
    DEFAULT_PROFILE,
    RATE_LIMITS_FILE,
    ConfirmMove,
    clear_current_profile,
    current_profile,
    profile_dir,
    settle_duplicate,
    with_profile,
)
from ._provider import OAuthTokenProvider
from ._tokens import TokenData, TokenStore
from ._wire import HttpReply, revoke_request

__all__ = [
    "IMPORTED_KEY",
    "LogoutResult",
    "codex_cli_auth_path",
    "import_codex_cli_auth",
    "logout",
    "refresh",
    "remove_profile",
]

#: ``auth.json`` key recording that a login was copied from the Codex CLI: ``{"from": path,
#: "refresh_token_sha256": hash}``. While the stored refresh token still hashes to that value it is the CLI's
#: own, and ``logout`` does not revoke it.
IMPORTED_KEY = "oauth_codex_imported"

log = get_logger(__name__)


def refresh(
    config: OAuthConfig | None = None,
    *,
    store: TokenStore | None = None,
    http_client: httpx.Client | None = None,
    profile_name: str | None = None,
) -> TokenData:
    """Refresh the stored login of the profile now (whatever its expiry) and save the rotated tokens.

    Uses the same locks as :class:`OAuthTokenProvider`, so it is safe next to running clients. Raises
    :class:`~oauth_codex.errors.NotAuthenticatedError` without a login and
    :class:`~oauth_codex.errors.RefreshTokenError` when the refresh token is dead.
    """
    provider = OAuthTokenProvider(
        store, config, interactive=False, http_client=http_client, profile_name=profile_name
    )
    return provider.refresh()


@dataclass(frozen=True)
class LogoutResult:
    """What :func:`logout` did; truthy when a login was found and removed.

    ``revoked``: every refresh token that was due for revocation was revoked. ``revocation_error``: why a
    revocation failed (no secret in it), ``None`` when none failed or ``revoke=False``.
    ``kept_codex_cli_token``: a login imported from the Codex CLI still held the CLI's own refresh token,
    so it was not revoked (that would log the CLI out too).
    """

    removed: bool
    revoked: bool = False
    revocation_error: str | None = None
    kept_codex_cli_token: bool = False

    def __bool__(self) -> bool:
        return self.removed


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_codex_cli_token(tokens: TokenData) -> bool:
    """Whether ``tokens`` were imported from the Codex CLI and still hold the CLI's refresh token."""
    marker = tokens.extra.get(IMPORTED_KEY)
    if not isinstance(marker, dict) or not tokens.refresh_token:
        return False
    return marker.get("refresh_token_sha256") == _sha256(tokens.refresh_token)


def _revoke_flow(config: OAuthConfig, tokens: TokenData) -> Flow[str | None]:
    """Revoke ``tokens``; returns ``None`` on success, else why it failed."""
    endpoints = yield from resolve_endpoints(config, purpose="refresh")
    reply: HttpReply = yield Http(revoke_request(config, endpoints.revocation_endpoint, tokens))
    if 200 <= reply.status < 300:
        return None
    return f"the auth server answered HTTP {reply.status}"


def _revoke(config: OAuthConfig, tokens: TokenData, http_client: httpx.Client | None) -> str | None:
    try:
        return run_sync(_revoke_flow(config, tokens), client=http_client)
    except httpx.TimeoutException:
        return "the auth server did not answer in time"
    except httpx.HTTPError as exc:
        return f"the auth server could not be reached ({type(exc).__name__})"
    except Exception as exc:  # a discovery or configuration error: the local logout already happened
        log.debug("oauth-codex: token revocation failed (%s)", type(exc).__name__)
        return type(exc).__name__


def logout(
    config: OAuthConfig | None = None,
    *,
    store: TokenStore | None = None,
    revoke: bool = True,
    http_client: httpx.Client | None = None,
    profile_name: str | None = None,
) -> LogoutResult:
    """Sign the profile out: delete its login, then revoke its refresh token; returns a :class:`LogoutResult`.

    Without ``store``, the profile's login (``profile_name``, else ``CODEX_OAUTH_PROFILE``, else the current
    profile, else ``default``) is removed from every place oauth-codex keeps it: the keyring (service
    ``oauth-codex``), the profile's ``auth.json`` (and the ``rate_limits.json`` the CLI recorded) and, for
    ``default``, the codex-oauth-llm legacy locations.
    With ``store``, from that store only. Other profiles and the Codex CLI's own ``auth.json`` are never
    touched, and a login imported from it is not revoked while its refresh token is still the CLI's. The
    result is truthy when a login was found; ``revocation_error`` says why a revocation failed (the local
    copy is gone either way).
    """
    config = with_profile(config or OAuthConfig.from_env(), profile_name)
    targets: list[TokenStore]
    if store is not None:
        targets = [store]
    else:
        auto = default_token_store(config)  # its parts, not its load(): that would migrate legacy logins
        targets = [auto.file_store, auto.keyring_store]
        if auto.profile_name == DEFAULT_PROFILE:
            targets += legacy_stores()
    found: list[TokenData] = []
    lock_path = lock_path_for(targets[0], config)
    if lock_path is not None and not lock_path.parent.exists():
        lock_path = None  # a profile that never logged in here: do not create its directory for the lock
    with RefreshLock(lock_path).hold_file():
        for target in targets:
            try:
                tokens = target.load()
            except TokenStoreError:
                tokens = None  # unreadable: still delete it below
            if tokens is not None:
                found.append(tokens)
            try:
                target.delete()
            except KeyringUnavailableError:
                pass
        if store is None:  # what the CLI recorded about this login goes with it
            try:
                (profile_dir(config) / RATE_LIMITS_FILE).unlink(missing_ok=True)
            except OSError:
                log.debug("oauth-codex: could not remove the recorded rate limits of %s", config.profile_name)
    errors: list[str] = []
    kept = attempted = False
    if revoke:
        seen: set[str] = set()
        for tokens in found:
            key = tokens.refresh_token or tokens.access_token
            if key in seen:
                continue
            seen.add(key)
            if is_codex_cli_token(tokens):
                kept = True
                continue
            attempted = True
            error = _revoke(config, tokens, http_client)
            if error is not None:
                errors.append(error)
    return LogoutResult(
        removed=bool(found),
        revoked=attempted and not errors,
        revocation_error=errors[0] if errors else None,
        kept_codex_cli_token=kept,
    )


def codex_cli_auth_path() -> Path:
    """``$CODEX_HOME/auth.json``, default ``~/.codex/auth.json``."""
    home = os.environ.get("CODEX_HOME", "").strip()
    return (Path(home).expanduser() if home else Path.home() / ".codex") / "auth.json"


def import_codex_cli_auth(
    path: str | os.PathLike[str] | None = None,
    *,
    store: TokenStore | None = None,
    config: OAuthConfig | None = None,
    profile_name: str | None = None,
    confirm_move: ConfirmMove | None = None,
) -> TokenData:
    """Copy the Codex CLI's ChatGPT login (``$CODEX_HOME/auth.json``) into the profile's store (or ``store``);
    returns the tokens.

    The CLI's file is only read, never written. Afterwards both programs hold the same refresh token and
    rotate it independently: whichever refreshes first spends the other's copy, so the other must log in
    again. The copy remembers it was imported, so :func:`logout` does not revoke the CLI's refresh token.
    Raises :class:`~oauth_codex.errors.NotAuthenticatedError` when there is no such file or it holds an
    API key instead of a ChatGPT login, and :class:`~oauth_codex.errors.TokenStoreError` when it is corrupted.
    When another profile already holds the account, ``confirm_move`` decides as in
    :func:`~oauth_codex.auth.login` (without it: ``LoginError``, nothing saved).
    """
    source = Path(path).expanduser() if path is not None else codex_cli_auth_path()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotAuthenticatedError(
            f"No Codex CLI login at {source}. Run `codex login` first, pass the file's path, or log in with "
            "`oauth-codex login`."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenStoreError(f"Cannot read {source} ({type(exc).__name__}).", path=str(source)) from None
    try:
        doc = json.loads(text)
    except ValueError:
        raise TokenStoreError(
            f"{source} is not valid JSON; it cannot be imported.", path=str(source)
        ) from None
    if isinstance(doc, dict) and not isinstance(doc.get("tokens"), dict) and doc.get("OPENAI_API_KEY"):
        raise NotAuthenticatedError(
            f"The Codex CLI login in {source} uses an API key, not a ChatGPT account; there is nothing to "
            "import. Log in with `oauth-codex login`."
        )
    try:
        tokens = parse_token_document(doc)
    except ValueError as exc:
        raise TokenStoreError(f"{source} holds no ChatGPT login ({exc}).", path=str(source)) from None
    # copy the ChatGPT login only: an API key the CLI keeps beside it stays in the CLI's file
    extra = {k: v for k, v in tokens.extra.items() if k != "OPENAI_API_KEY"}
    if tokens.refresh_token:  # logout must not revoke the CLI's own refresh token (see is_codex_cli_token)
        extra[IMPORTED_KEY] = {"from": str(source), "refresh_token_sha256": _sha256(tokens.refresh_token)}
    tokens = tokens.model_copy(update={"account_id": tokens.resolved_account_id(), "extra": extra})
    config = with_profile(config or OAuthConfig.from_env(), profile_name)
    target = store if store is not None else default_token_store(config)
    refused = settle_duplicate(config, target, tokens, confirm_move)
    if refused is not None:
        raise refused
    with RefreshLock(lock_path_for(target, config)).hold_file():
        target.save(tokens)
    return tokens


def remove_profile(
    profile_name: str,
    config: OAuthConfig | None = None,
    *,
    revoke: bool = True,
    http_client: httpx.Client | None = None,
) -> LogoutResult:
    """Remove a profile: :func:`logout` (revoking its refresh token unless ``revoke=False``), then its files
    (its directory under ``profiles/``; for ``default`` only its ``rate_limits.json``). A SIWC login of the
    profile is signed out (revoked) and its registration deleted too. When it was the current profile,
    ``default`` becomes current again. Returns a :class:`LogoutResult` covering both routes.
    """
    config = with_profile(config or OAuthConfig.from_env(), profile_name)
    result = logout(config, revoke=revoke, http_client=http_client)
    had_siwc, siwc_problem = _remove_siwc_login(config, profile_name, revoke=revoke, http_client=http_client)
    if had_siwc:
        error = result.revocation_error or siwc_problem
        result = LogoutResult(
            removed=True,
            revoked=revoke and error is None,
            revocation_error=error,
            kept_codex_cli_token=result.kept_codex_cli_token,
        )
    folder = profile_dir(config)
    try:
        if profile_name == DEFAULT_PROFILE:
            (folder / RATE_LIMITS_FILE).unlink(missing_ok=True)
        elif folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
    except OSError as exc:
        raise TokenStoreError(
            f"Logged out, but cannot delete {folder} ({exc.strerror or type(exc).__name__}); delete it by hand.",
            path=str(folder),
        ) from None
    if current_profile(config) == profile_name:
        clear_current_profile(config)
    return result


def _remove_siwc_login(
    config: OAuthConfig, profile_name: str, *, revoke: bool, http_client: httpx.Client | None
) -> tuple[bool, str | None]:
    """Sign the profile's SIWC login out (revoking it) and delete its registration: (whether it had one, why
    the revocation failed)."""
    from ._siwc_login import siwc_logout
    from ._siwc_store import SiwcStore
    from ._siwc_wire import SiwcConfig

    siwc_config = SiwcConfig.from_env(home=config.home)
    store = SiwcStore(siwc_config)
    record = store.load(profile_name)
    if record is None:
        return False, None
    problem = None
    if revoke and record.refresh_token:
        outcome = siwc_logout(siwc_config, profile=profile_name, store=store, http_client=http_client)
        problem = None if outcome.revoked else outcome.message
    store.delete(profile_name)
    store.lock_path(profile_name).unlink(missing_ok=True)
    return True, problem
