"""Profiles: several ChatGPT logins side by side under one ``CODEX_OAUTH_HOME``.

A profile is a name (``[a-z0-9][a-z0-9_-]{0,31}``) with its own login record, refresh lock, rate-limit
record and model-catalog cache. Which one a client uses, highest first: an explicit ``profile_name=``, then
``CODEX_OAUTH_PROFILE`` (both end up in :attr:`OAuthConfig.profile_name`), then the profile marked current by
``oauth-codex profile use NAME``, then ``default``.

Layout (human-readable; every directory 0700, every file 0600)::

    $CODEX_OAUTH_HOME/                  default ~/.oauth_codex
        auth.json                       profile "default": the login of oauth-codex 1.0, unchanged
        auth.json.lock                  its refresh lock
        rate_limits.json                its last recorded rate limits
        current_profile                 the profile `oauth-codex profile use` selected (one line)
        profiles/
            work/                       profile "work": the same files
                auth.json
                auth.json.lock
                rate_limits.json

In the system keyring, a profile's login is the entry ``(service "oauth-codex", username <profile name>)``;
``default`` is the entry oauth-codex 1.0 wrote, so existing logins keep working without a migration step.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LoginError, NotAuthenticatedError, TokenStoreError

if TYPE_CHECKING:
    from ._config import OAuthConfig
    from ._tokens import TokenData, TokenStore

__all__ = [
    "CURRENT_PROFILE_FILE",
    "ConfirmMove",
    "DEFAULT_PROFILE",
    "PROFILES_DIR",
    "RATE_LIMITS_FILE",
    "clear_current_profile",
    "current_profile",
    "list_profiles",
    "profile_holding",
    "login_command",
    "profile_dir",
    "resolve_profile_name",
    "set_current_profile",
    "settle_duplicate",
    "use_profile",
    "validate_profile_name",
    "with_profile",
]

DEFAULT_PROFILE = "default"
PROFILES_DIR = "profiles"
CURRENT_PROFILE_FILE = "current_profile"
RATE_LIMITS_FILE = "rate_limits.json"
#: asked with the name of another profile holding the same account: True moves the login here
ConfirmMove = Callable[[str], bool]
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def validate_profile_name(name: object, *, source: str = "profile_name") -> str:
    """``name`` when it is a valid profile name, else ``ValueError`` saying what a name may contain."""
    if isinstance(name, str) and _NAME.fullmatch(name):
        return name
    shown = repr(name) if isinstance(name, str) and len(name) <= 40 else f"a {type(name).__name__}"
    raise ValueError(
        f"{source}={shown} is not a valid profile name: use 1 to 32 lowercase letters, digits, '-' or '_', "
        "starting with a letter or digit (e.g. 'work')."
    )


def _config(config: OAuthConfig | None) -> OAuthConfig:
    if config is not None:
        return config
    from ._config import OAuthConfig

    return OAuthConfig.from_env()


def with_profile(config: OAuthConfig, profile_name: str | None) -> OAuthConfig:
    """``config`` with ``profile_name`` set (validated); ``config`` itself when ``profile_name`` is ``None``."""
    if profile_name is None:
        return config
    return config.model_copy(update={"profile_name": validate_profile_name(profile_name)})


def login_command(profile_name: str | None) -> str:
    """The ``oauth-codex login`` command for a profile (no ``--profile`` for ``default`` or unknown)."""
    if profile_name is None or profile_name == DEFAULT_PROFILE:
        return "oauth-codex login"
    return f"oauth-codex login --profile {profile_name}"


def _current_file(config: OAuthConfig) -> Path:
    return config.home_dir / CURRENT_PROFILE_FILE


def current_profile(config: OAuthConfig | None = None) -> str | None:
    """The profile set by ``oauth-codex profile use`` (``None`` when none was set).

    Raises :class:`~oauth_codex.errors.TokenStoreError` naming the file when it holds no valid name.
    """
    from ._file_store import read_text_file

    path = _current_file(_config(config))
    fix = "Fix its permissions, or run `oauth-codex profile use NAME`."
    text = (read_text_file(path, "the current profile from", fix) or "").strip()
    if not text:
        return None
    if not _NAME.fullmatch(text):
        raise TokenStoreError(
            f"{path} does not hold a valid profile name. Run `oauth-codex profile use NAME` (or delete the "
            "file to use the profile 'default').",
            path=str(path),
        )
    return text


def resolve_profile_name(config: OAuthConfig | None = None) -> str:
    """The profile to use: ``config.profile_name`` (``profile_name=`` / ``CODEX_OAUTH_PROFILE``), else the
    current profile, else ``default``."""
    config = _config(config)
    return config.profile_name or current_profile(config) or DEFAULT_PROFILE


def profile_dir(config: OAuthConfig | None = None, profile_name: str | None = None) -> Path:
    """Where a profile keeps its files: ``$CODEX_OAUTH_HOME`` for ``default``, else
    ``$CODEX_OAUTH_HOME/profiles/<name>``. ``profile_name`` defaults to :func:`resolve_profile_name`.

    Nothing is created here.
    """
    config = _config(config)
    name = validate_profile_name(profile_name) if profile_name is not None else resolve_profile_name(config)
    home = config.home_dir
    return home if name == DEFAULT_PROFILE else home / PROFILES_DIR / name


def list_profiles(config: OAuthConfig | None = None) -> list[str]:
    """Every profile kept here (a directory under ``profiles/``, or a SIWC login of that name), ``default``
    first (listed always), the rest sorted."""
    from ._siwc_store import SiwcStore
    from ._siwc_wire import SiwcConfig

    config = _config(config)
    names = {DEFAULT_PROFILE}
    with contextlib.suppress(OSError):
        for entry in (config.home_dir / PROFILES_DIR).iterdir():
            if entry.is_dir() and not entry.is_symlink() and _NAME.fullmatch(entry.name):
                names.add(entry.name)
    names.update(n for n in SiwcStore(SiwcConfig(home=config.home)).names() if _NAME.fullmatch(n))
    return [DEFAULT_PROFILE, *sorted(names - {DEFAULT_PROFILE})]


def set_current_profile(name: str, config: OAuthConfig | None = None) -> Path:
    """Mark ``name`` current (atomic write of ``current_profile``, 0600); returns the file's path."""
    from ._file_store import ensure_private_dir

    name = validate_profile_name(name)
    path = _current_file(_config(config))
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()  # a leftover of a crash; O_EXCL below never follows a planted symlink
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise TokenStoreError(
            f"Cannot write {path} ({exc.strerror or type(exc).__name__}). Check that {path.parent} is writable.",
            path=str(path),
        ) from None
    return path


def use_profile(profile_name: str, config: OAuthConfig | None = None) -> Path:
    """Make ``profile_name`` the current profile (what ``oauth-codex profile use NAME`` does).

    Raises :class:`~oauth_codex.errors.NotAuthenticatedError` for a profile that was never logged in here
    (``default`` always exists). Returns the ``current_profile`` file.
    """
    config = _config(config)
    name = validate_profile_name(profile_name)
    if name not in list_profiles(config):
        raise NotAuthenticatedError(
            f"There is no profile {name!r} here. Log in to it first with `{login_command(name)}` "
            "(`oauth-codex profile list` shows the profiles)."
        )
    return set_current_profile(name, config)


def clear_current_profile(config: OAuthConfig | None = None) -> None:
    """Forget the current profile (``default`` is used again)."""
    with contextlib.suppress(FileNotFoundError):
        _current_file(_config(config)).unlink()


def profile_holding(tokens: TokenData, config: OAuthConfig, *, exclude: str) -> str | None:
    """The other profile (not ``exclude``) whose stored login is the same account as ``tokens``, if any.

    Compares :meth:`TokenData.identity` (route, user, workspace account), never a token. Profiles
    whose store cannot be read are skipped.
    """
    from ._auto_store import AutoTokenStore

    wanted = tokens.identity()
    if wanted[1] is None and wanted[2] is None:
        return None  # no identity in the tokens: nothing to compare
    for name in list_profiles(config):
        if name == exclude:
            continue
        try:
            held = AutoTokenStore(config, profile_name=name, migrate_legacy=False).load()
        except TokenStoreError:
            continue
        if held is not None and held.identity() == wanted:
            return name
    return None


def settle_duplicate(
    config: OAuthConfig, store: TokenStore, tokens: TokenData, confirm_move: ConfirmMove | None
) -> LoginError | None:
    """One account, one profile: when another profile holds the account of ``tokens``, ask ``confirm_move``;
    on yes, sign that profile out locally (the login moves here), else return the error to raise."""
    own = getattr(store, "profile_name", None)
    if own is None:
        return None  # a custom store: not part of the profiles
    other = profile_holding(tokens, config, exclude=own)
    if other is None:
        return None
    if confirm_move is not None and confirm_move(other):
        from ._manage import logout  # it imports the stores

        logout(config, profile_name=other, revoke=False)  # revoking could end this very login's session
        return None
    return LoginError(
        f"{tokens.email or 'This ChatGPT account'} is already logged in as profile {other!r}, and one account "
        f"lives in one profile; nothing was saved. Use that profile (`--profile {other}`), or remove it "
        f"first with `oauth-codex profile remove {other}`.",
        code="account_in_other_profile",
    )
