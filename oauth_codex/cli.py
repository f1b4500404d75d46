"""The ``oauth-codex`` command line (also ``python -m oauth_codex``).

Commands::

    oauth-codex login [--browser | --paste | --device]   sign in with ChatGPT and store the tokens
    oauth-codex status [--json]                          who is logged in, plan, token expiry, rate limits
    oauth-codex logout [--no-revoke]                     remove the stored login everywhere and revoke it
    oauth-codex import-codex-auth [--path FILE]          copy the Codex CLI's login ($CODEX_HOME/auth.json)
    oauth-codex chat ["prompt" | -] [--model M] [--stream]  one request (no prompt or "-": read stdin)
    oauth-codex models                                   list the models the backend offers
    oauth-codex usage [--json]                           how full the plan's usage windows are, when they reset
    oauth-codex emulator [--host H] [--port P]           serve the offline auth server + backend
    oauth-codex demo                                     the whole flow against an in-process emulator
    oauth-codex profile list [--json]                    the logins kept here (name, account, plan, expiry)
    oauth-codex profile use NAME                         make NAME the profile commands and clients use
    oauth-codex profile remove NAME [--no-revoke]        log NAME out (revoking) and delete its files
    oauth-codex --version

``--profile NAME`` on login, status, logout, import-codex-auth, chat, models, usage and doctor picks one of several
logins (default: ``CODEX_OAUTH_PROFILE``, else the profile of ``profile use``, else ``default``).

Configuration comes from the ``CODEX_OAUTH_*`` environment variables (see ``oauth_codex.auth.OAuthConfig``).
Results go to stdout; messages, prompts and errors go to stderr. Tokens are never printed.

Exit codes:
    0    success
    1    the command failed (not logged in, login refused, backend error, ...); stderr says what to do
    2    usage error (unknown command or bad arguments)
    130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._version import __version__

if TYPE_CHECKING:
    from .auth import OAuthConfig, TokenData
    from .client import Route
    from .types import RateLimits, UsageSnapshot

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

RATE_LIMITS_FILE = "rate_limits.json"
#: the commands that act on one login and take ``--profile NAME``
#: commands that take ``--route`` (and its choices)
ROUTE_COMMANDS = {
    "login": ("codex", "siwc"),
    "status": ("codex", "siwc"),
    "logout": ("codex", "siwc"),
    "chat": ("codex", "siwc", "auto"),
    "models": ("codex", "siwc", "auto"),
    "emulator": ("codex", "siwc"),
    "demo": ("codex", "siwc"),
    "doctor": ("codex", "siwc"),
}
PROFILE_COMMANDS = ("login", "status", "logout", "import-codex-auth", "chat", "models", "usage", "doctor")


# --------------------------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``oauth-codex`` (exposed for documentation and tests)."""
    # Each command's add_parser block (here and in _add_profile_commands) is argparse data, not repeated logic:
    # duplicates lists their shared shape; a table of them would only be harder to read.
    parser = argparse.ArgumentParser(
        prog="oauth-codex",
        description="Use the ChatGPT Codex backend with your ChatGPT login.",
        epilog="Configuration: CODEX_OAUTH_* environment variables. Exit codes: 0 ok, 1 failed, 2 usage, "
        "130 interrupted. Run `oauth-codex COMMAND --help` for details.",
    )
    parser.add_argument("--version", action="version", version=f"oauth-codex {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    login = commands.add_parser(
        "login",
        help="sign in with ChatGPT and store the tokens",
        description="Sign in with ChatGPT (OAuth PKCE) and store the tokens in the keyring (file fallback). "
        "Default: open a browser when this machine has one, else paste mode.",
    )
    how = login.add_mutually_exclusive_group()
    how.add_argument(
        "--browser",
        dest="mode",
        action="store_const",
        const="browser",
        help="open a browser and receive the redirect on a local callback server (port 1455)",
    )
    how.add_argument(
        "--paste",
        dest="mode",
        action="store_const",
        const="paste",
        help="print the URL and paste the redirected URL back (works over SSH, in containers)",
    )
    how.add_argument(
        "--device",
        dest="mode",
        action="store_const",
        const="device",
        help="show a code to enter at the auth server's device page (no callback needed)",
    )
    login.set_defaults(mode="auto")
    login.add_argument(
        "--enable-plan",
        action="store_true",
        help="with --route siwc: ask again for ChatGPT plan usage after it was declined (prompt=consent)",
    )
    login.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="give up waiting for the browser (default 600) or device approval (default 900)",
    )

    status = commands.add_parser(
        "status",
        help="show the stored login (no secrets)",
        description="Show the account, plan, account id, access-token expiry and the last recorded rate "
        "limits. Never prints a token. Exit code 1 when not logged in.",
    )
    status.add_argument("--json", action="store_true", help="print the status as JSON")

    logout = commands.add_parser(
        "logout",
        help="remove the stored login and revoke it",
        description="Remove the login from the keyring, the token file and the legacy codex-oauth-llm "
        "locations, then revoke its refresh token. A login copied by import-codex-auth is not revoked while "
        "its refresh token is still the Codex CLI's (that would log the CLI out); the CLI's own file is never "
        "touched. Exit code 1 when the revocation failed (the local copy is removed either way).",
    )
    logout.add_argument(
        "--no-revoke",
        dest="revoke",
        action="store_false",
        help="only remove the local copy, do not call the revoke endpoint",
    )

    imp = commands.add_parser(
        "import-codex-auth",
        help="copy the Codex CLI's login into oauth-codex",
        description="Copy the ChatGPT login of the Codex CLI ($CODEX_HOME/auth.json, default "
        "~/.codex/auth.json) into oauth-codex's store. The CLI's file is only read. Both then refresh "
        "independently: the first to refresh spends the other's refresh token. `oauth-codex logout` removes "
        "the copy without revoking the CLI's refresh token.",
    )
    imp.add_argument("--path", type=Path, default=None, help="the auth.json to import")

    chat = commands.add_parser(
        "chat",
        help="send one prompt and print the answer",
        description="Send one prompt to the Codex backend and print the answer. Without a prompt (or with "
        "`-`) the prompt is read from stdin, e.g. `git diff | oauth-codex chat --instructions 'Review this.'`.",
    )
    chat.add_argument("prompt", nargs="?", default="-", help="the prompt text; `-` or none: read it from stdin")
    chat.add_argument("--model", default=None, help="model slug (default: gpt-5.5)")
    chat.add_argument("--stream", action="store_true", help="print the answer as it streams")
    chat.add_argument("--instructions", default=None, help="system instructions")
    chat.add_argument(
        "--wait-for-reset",
        type=_duration,
        default=None,
        metavar="MAX",
        help="on a usage limit that resets within MAX (seconds, or 30m, 5h, 1d), wait for the reset with a "
        "countdown on stderr and send again (Ctrl-C stops waiting)",
    )

    usage = commands.add_parser(
        "usage",
        help="show how much of the plan's usage is left",
        description="Show each usage window of the ChatGPT plan (the 5-hour and the weekly one, the code review "
        "one when reported) as a bar with its used percent and reset time, plus credits and plan. Asks the "
        "usage endpoint; when that fails, shows the numbers of the last response the CLI recorded.",
    )
    usage.add_argument("--json", action="store_true", help="print the usage snapshot as JSON")
    usage.add_argument(
        "--all-profiles",
        action="store_true",
        help="show every logged-in profile's usage, one block each (JSON: a list)",
    )

    commands.add_parser(
        "models",
        help="list the models of the Codex backend",
        description="List the model slugs the Codex backend offers to this account.",
    )

    doctor = commands.add_parser(
        "doctor",
        help="check the login, this machine and (with --live) the real backend",
        description="Offline: the login and its store, token expiry and clock skew, the refresh lock's directory, "
        "the keyring backend, the base URL and the cached model catalog. With --live also GET /models and one "
        "tiny request per listed model: ok / gated / retired / blocked, the time to first token, and where the "
        "wire differs from what the offline emulator assumes. Exit code 0 only when all is well. Never prints "
        "a token.",
    )
    doctor.add_argument("--live", action="store_true", help="also probe the backend (one tiny request per model)")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")

    emulator = commands.add_parser(
        "emulator",
        help="serve the offline emulator until Ctrl-C",
        description="Serve the offline auth server + Codex backend emulator and print the CODEX_OAUTH_* "
        "exports that point a client at it. Runs until Ctrl-C.",
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=0, help="port to bind (default: a free port)")

    commands.add_parser(
        "demo",
        help="run the whole flow offline against an in-process emulator",
        description="Start an emulator, log in, stream an answer and do a tool-call round "
        "trip, narrating each step.",
    )
    _add_profile_commands(commands)
    for name, choices in ROUTE_COMMANDS.items():
        commands.choices[name].add_argument(
            "--route",
            choices=choices,
            default=None,
            help="codex: the Codex backend (default); siwc: the official \"Sign in with ChatGPT\" plan usage "
            "on api.openai.com/v1" + (", auto: the profile's route" if "auto" in choices else "")
            + " (default: $CODEX_OAUTH_ROUTE, else codex)",
        )
    for name in PROFILE_COMMANDS:
        if name in commands.choices:
            commands.choices[name].add_argument(
                "--profile",
                type=_profile_name,
                default=None,
                metavar="NAME",
                help="which login to use (default: $CODEX_OAUTH_PROFILE, else `oauth-codex profile use`, "
                "else 'default')",
            )
    return parser


def _add_profile_commands(commands: Any) -> None:
    profile = commands.add_parser(
        "profile",
        help="list, select or remove profiles (several ChatGPT logins)",
        description="Profiles keep several ChatGPT logins of yours side by side (a personal account, a work "
        "workspace). They are never pooled or rotated to get around usage limits.",
    )
    actions = profile.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="show every profile: account, plan, workspace, route, token expiry (no secrets)",
        description="Show every profile kept here with its account e-mail, plan, workspace, route and "
        "access-token expiry; `*` marks the one a command without --profile uses (CODEX_OAUTH_PROFILE, else "
        "the current profile, else 'default'). Never prints a token.",
    )
    listing.add_argument("--json", action="store_true", help="print the profiles as JSON")
    use = actions.add_parser(
        "use",
        help="make a profile the current one",
        description="Make NAME the profile that commands and clients use when neither --profile / "
        "profile_name= nor CODEX_OAUTH_PROFILE says otherwise.",
    )
    use.add_argument("name", type=_profile_name, metavar="NAME")
    remove = actions.add_parser(
        "remove",
        help="log a profile out (revoking its login) and delete its files",
        description="Remove the login of NAME like `oauth-codex logout --profile NAME` (revoking its refresh "
        "token), then its directory (rate limits, model cache). The current profile falls back to 'default'.",
    )
    remove.add_argument("name", type=_profile_name, metavar="NAME")
    remove.add_argument(
        "--no-revoke",
        dest="revoke",
        action="store_false",
        help="only remove the local copy, do not call the revoke endpoint",
    )


# ------------------------------------------------------------------------------------------- helpers


def _profile_name(text: str) -> str:
    from .auth._profiles import validate_profile_name

    try:
        return validate_profile_name(text, source="--profile")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _duration(text: str) -> float:
    from ._usage_text import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """``warnings.showwarning`` for the CLI: the message only (no file name, line number or source line)."""
    _err(f"oauth-codex: warning: {message}")


def _silence_stdout() -> None:
    """Point stdout at ``/dev/null`` so the interpreter's last flush does not raise ``BrokenPipeError`` again
    (the recipe of the Python documentation for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # no real stdout file descriptor (tests, embedded use)


def _ask(prompt: str) -> str:
    """``input`` for paste mode, with the prompt on stderr so stdout stays clean."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def _config(args: argparse.Namespace) -> OAuthConfig:
    """``CODEX_OAUTH_*`` with the command's ``--profile`` (a bad variable is reported as a failure)."""
    from .auth import OAuthConfig
    from .errors import CodexError

    try:
        return OAuthConfig.from_env(profile_name=getattr(args, "profile", None))
    except ValueError as exc:
        raise CodexError(str(exc)) from None


def _confirm_move(other: str) -> bool:
    """Asked when the account that signed in is held by profile ``other``: move it here? (TTY only)."""
    if sys.stdin is None or not sys.stdin.isatty():
        return False
    try:
        answer = _ask(
            f"This ChatGPT account is already logged in as profile {other!r}. Move the login to this profile "
            f"(profile {other!r} is logged out on this machine)? [y/N] "
        )
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def _when(moment: datetime, now: datetime) -> str:
    delta = moment - now
    seconds = abs(delta.total_seconds())
    if seconds < 90:
        span = f"{seconds:.0f} s"
    elif seconds < 5400:
        span = f"{seconds / 60:.0f} min"
    elif seconds < 172800:
        span = f"{seconds / 3600:.1f} h"
    else:
        span = f"{seconds / 86400:.1f} days"
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{stamp} (in {span})" if delta.total_seconds() >= 0 else f"{stamp} ({span} ago)"


def _rate_limits_path(config: OAuthConfig) -> Path:
    from .auth import profile_dir

    return profile_dir(config) / RATE_LIMITS_FILE


def _record_rate_limits(config: OAuthConfig, limits: RateLimits | None) -> None:
    """Keep the last rate limits the backend reported, for ``status`` (no secrets in them)."""
    if limits is None:
        return
    from .auth._file_store import ensure_private_dir
    from .errors import TokenStoreError

    path = _rate_limits_path(config)
    doc = {"recorded_at": datetime.now(UTC).isoformat(), "rate_limits": limits.model_dump(mode="json")}
    try:
        ensure_private_dir(path.parent)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            if os.name == "posix":
                os.fchmod(fh.fileno(), 0o600)  # a leftover tmp file keeps its old mode otherwise
            fh.write(json.dumps(doc, indent=2) + "\n")
        tmp.replace(path)
    except (OSError, TokenStoreError):
        pass  # purely informational


def _load_rate_limits(config: OAuthConfig) -> tuple[RateLimits, str] | None:
    from .types import RateLimits

    try:
        doc = json.loads(_rate_limits_path(config).read_text(encoding="utf-8"))
        return RateLimits.model_validate(doc["rate_limits"]), str(doc.get("recorded_at", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _status_doc(tokens: TokenData, location: str, config: OAuthConfig) -> dict[str, Any]:
    expires = tokens.expires_at
    limits = _load_rate_limits(config)
    return {
        "logged_in": True,
        "email": tokens.email,
        "plan": tokens.plan_type,
        "account_id": tokens.resolved_account_id(),
        "access_token_expires_at": expires.isoformat() if expires else None,
        "last_refresh": tokens.last_refresh.isoformat() if tokens.last_refresh else None,
        "has_refresh_token": bool(tokens.refresh_token),
        "stored_in": location,
        "rate_limits": limits[0].model_dump(mode="json", exclude={"raw"}) if limits else None,
        "rate_limits_recorded_at": limits[1] if limits else None,
    }


# ------------------------------------------------------------------------------------------ commands


def _route(args: argparse.Namespace) -> Route:
    """``--route``, else ``$CODEX_OAUTH_ROUTE``, else ``codex`` (``auto`` only where the command takes it)."""
    from .client import _route_choice

    return _route_choice(getattr(args, "route", None))


def _siwc_profile(args: argparse.Namespace) -> str:
    from .auth._profiles import resolve_profile_name

    return resolve_profile_name(_config(args))


def _cmd_siwc_login(args: argparse.Namespace) -> int:
    from .auth import SiwcConfig, siwc_login

    config = SiwcConfig.from_env(home=_config(args).home)
    siwc_login(
        config,
        profile=_siwc_profile(args),
        mode=args.mode,
        input_func=_ask,
        output=sys.stderr,
        timeout=args.timeout,
        enable_plan=args.enable_plan,
    )
    return EXIT_OK


def _cmd_login(args: argparse.Namespace) -> int:
    from .auth import login

    if _route(args) == "siwc":
        return _cmd_siwc_login(args)
    if args.enable_plan:
        _err("oauth-codex login: --enable-plan applies to the siwc route only: add --route siwc.")
        return EXIT_USAGE

    login(
        _config(args),
        mode=args.mode,
        input_func=_ask,
        output=sys.stderr,
        timeout=args.timeout,
        confirm_move=_confirm_move,
    )
    return EXIT_OK


def _cmd_siwc_status(args: argparse.Namespace) -> int:
    """``status --route siwc``: the profile's SIWC sign-in (never a secret)."""
    from .auth import SiwcConfig, SiwcStore

    store = SiwcStore(SiwcConfig.from_env(home=_config(args).home))
    profile = _siwc_profile(args)
    record = store.load(profile)
    connected = record is not None and record.status == "connected" and record.access_token is not None
    doc: dict[str, Any] = {"route": "siwc", "profile": profile, "signed_in": connected}
    if record is not None:
        expires = datetime.fromtimestamp(record.expires_at, UTC) if record.expires_at else None
        doc.update(
            email=record.email,
            status=record.status,
            plan_usage_enabled=record.plan_enabled,
            client_id=record.client_id,
            host_id=record.ext_agent_host_id,
            access_token_expires_at=expires.isoformat() if expires else None,
            refresh_state=record.refresh_state,
            stored_in=str(store.path(profile)),
        )
    if args.json:
        print(json.dumps(doc, indent=2))
    elif record is None:
        _err(
            f"No SIWC sign-in for profile {profile!r}. Run `oauth-codex login --route siwc` (add --paste without a "
            "browser)."
        )
    else:
        print(f"Signed in with ChatGPT as {record.email or 'an unknown account'} ({record.status})")
        print(f"  profile:       {profile}")
        plan = "enabled" if record.plan_enabled else "not enabled (login --route siwc --enable-plan)"
        print(f"  plan usage:    {plan}")
        print(f"  app client id: {record.client_id}")
        print(f"  access token:  {doc['access_token_expires_at'] or 'none'}")
        print(f"  stored in:     {doc['stored_in']}")
        print("  usage:         no usage API on this route; see https://chatgpt.com/settings/usage")
    return EXIT_OK if connected else EXIT_FAILURE


def _cmd_status(args: argparse.Namespace) -> int:
    from .auth import default_token_store
    from .auth._profiles import login_command

    if _route(args) == "siwc":
        return _cmd_siwc_status(args)

    config = _config(args)
    store = default_token_store(config)
    tokens = store.load()
    if tokens is None:
        if args.json:
            print(json.dumps({"logged_in": False, "profile": store.profile_name}))
        _err(
            f"Not logged in (profile {store.profile_name!r}). Run `{login_command(store.profile_name)}` "
            "(`--paste` or `--device` on a machine without a browser)."
        )
        return EXIT_FAILURE
    doc = {"profile": store.profile_name, **_status_doc(tokens, store.location, config)}
    if args.json:
        print(json.dumps(doc, indent=2))
        return EXIT_OK
    now = datetime.now(UTC)
    print(f"Logged in as {tokens.email or 'an unknown account'}")
    print(f"  profile:       {store.profile_name}")
    print(f"  plan:          {tokens.plan_type or 'unknown'}")
    print(f"  account id:    {doc['account_id'] or 'unknown'}")
    expires = tokens.expires_at
    if expires is None:
        print("  access token:  no expiry claim")
    elif expires <= now:
        print(f"  access token:  expired {_when(expires, now)}; it is refreshed on next use")
    else:
        print(f"  access token:  expires {_when(expires, now)}")
    if tokens.last_refresh:
        print(f"  last refresh:  {_when(tokens.last_refresh, now)}")
    if not tokens.refresh_token:
        print("  refresh token: none (log in again when the access token expires)")
    print(f"  stored in:     {store.location}")
    snapshot = _recorded_usage(config)
    if snapshot is None:
        print("  usage:         none recorded yet (run `oauth-codex usage`)")
    else:
        print(f"  usage:         as of {_when(snapshot.fetched_at, now)}; `oauth-codex usage` for live numbers")
        _print_usage(snapshot, now, indent="    ")
    return EXIT_OK


def _recorded_usage(config: OAuthConfig) -> UsageSnapshot | None:
    """The rate limits recorded by the last ``chat``/``models``/``usage`` as a snapshot (``"headers"``)."""
    from ._usage import snapshot_from_rate_limits

    limits = _load_rate_limits(config)
    if limits is None:
        return None
    try:
        recorded = datetime.fromisoformat(limits[1])
    except ValueError:
        recorded = datetime.fromtimestamp(0, UTC)
    return snapshot_from_rate_limits(limits[0], fetched_at=recorded)


def _print_usage(snapshot: UsageSnapshot, now: datetime, indent: str = "  ") -> None:
    from ._usage_text import usage_lines

    for line in usage_lines(snapshot, now):
        print(indent + line)


def _cmd_usage(args: argparse.Namespace) -> int:
    from .auth import default_token_store, list_profiles
    from .auth._profiles import with_profile
    from .errors import MANAGE_USAGE_URL, CodexError, UnsupportedOnRouteError

    config = _config(args)
    if args.all_profiles:
        targets = [(name, with_profile(config, name)) for name in list_profiles(config) if _logged_in(config, name)]
    else:
        targets = [(default_token_store(config).profile_name, config)]
    shown: list[tuple[str, UsageSnapshot]] = []
    elsewhere: list[str] = []
    failed = False
    for name, profile_config in targets:
        try:
            shown.append((name, _fetch_usage(profile_config)))
        except UnsupportedOnRouteError:  # the siwc route: no usage API, only ChatGPT's usage page
            elsewhere.append(name)
        except CodexError as exc:
            if not args.all_profiles:
                raise
            _err(f"oauth-codex usage: profile {name!r}: {exc}")
            failed = True
    if args.json:
        docs = [{"profile": name, **snap.model_dump(mode="json", exclude={"raw"})} for name, snap in shown]
        docs += [{"profile": name, "route": "siwc", "manage_url": MANAGE_USAGE_URL} for name in elsewhere]
        print(json.dumps(docs if args.all_profiles else docs[0], indent=2))
    else:
        for name in elsewhere:
            print(f"Profile {name!r} uses the siwc route, which reports no usage: see {MANAGE_USAGE_URL}")
        now = datetime.now(UTC)
        for name, snapshot in shown:
            where = "the usage endpoint" if snapshot.source == "usage_endpoint" else "the last response's headers"
            print(f"Codex usage of profile {name!r} as of {_when(snapshot.fetched_at, now)}, from {where}:")
            _print_usage(snapshot, now)
        if args.all_profiles and not targets:
            _err("No profile is logged in. Run `oauth-codex login`.")
            failed = True
    return EXIT_FAILURE if failed else EXIT_OK


def _logged_in(config: OAuthConfig, profile: str) -> bool:
    from .auth import default_token_store
    from .errors import TokenStoreError

    try:
        return default_token_store(config, profile_name=profile).load() is not None
    except TokenStoreError:
        return True  # listed, so that its error is reported


def _fetch_usage(config: OAuthConfig) -> UsageSnapshot:
    """The live usage of ``config``'s login; when the endpoint fails, the last recorded response's."""
    from .client import CodexOAuthLLM
    from .errors import AuthError, CodexError, UnsupportedOnRouteError

    with CodexOAuthLLM(oauth_config=config, interactive=False) as llm:
        try:
            return llm.usage()
        except (AuthError, UnsupportedOnRouteError):
            raise
        except CodexError as exc:
            recorded = _recorded_usage(config)
            if recorded is None:
                raise
            _err(f"oauth-codex usage: {exc} Showing the usage recorded with the last response instead.")
            return recorded


def _cmd_logout(args: argparse.Namespace) -> int:
    from .auth import logout

    if _route(args) == "siwc":
        from .auth import SiwcConfig, siwc_logout

        outcome = siwc_logout(SiwcConfig.from_env(home=_config(args).home), profile=_siwc_profile(args))
        _err(outcome.message)
        return EXIT_OK if outcome.revoked or "nothing to do" in outcome.message else EXIT_FAILURE

    result = logout(_config(args), revoke=args.revoke)
    if not result:
        _err("Not logged in; nothing to remove.")
        return EXIT_OK
    if result.revocation_error is not None:
        _err(
            f"Logged out: removed locally, revocation failed ({result.revocation_error}): revoke sessions in "
            "ChatGPT settings (Settings > Security) if this login must stop working now."
        )
        return EXIT_FAILURE
    if result.kept_codex_cli_token:
        _err(
            "Logged out: the login was removed from this machine; its refresh token was imported from the "
            "Codex CLI and is still the CLI's, so it was not revoked (the Codex CLI stays logged in)."
        )
    elif result.revoked:
        _err("Logged out: the login was removed from this machine and revoked.")
    else:
        _err("Logged out: the login was removed from this machine (not revoked).")
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from .auth import default_token_store, import_codex_cli_auth

    config = _config(args)
    store = default_token_store(config)
    tokens = import_codex_cli_auth(args.path, store=store, config=config, confirm_move=_confirm_move)
    _err(f"Imported the Codex CLI login of {tokens.email or 'your account'} into {store.location}.")
    _err(
        "Note: both copies now refresh independently; the first to refresh spends the other's refresh "
        "token, and the other then has to log in again."
    )
    return EXIT_OK


def _chat_prompt(argument: str) -> str:
    """The prompt argument, or stdin when it is ``-`` (the default); a terminal is not read."""
    if argument != "-":
        return argument
    if sys.stdin is None or sys.stdin.isatty():
        raise ValueError('No prompt: pass it as an argument (`oauth-codex chat "..."`) or pipe it into stdin.')
    text = sys.stdin.read().strip()
    if not text:
        raise ValueError('The prompt read from stdin is empty: pipe some text in or pass `oauth-codex chat "..."`.')
    return text


def _cmd_chat(args: argparse.Namespace) -> int:
    from .client import CodexOAuthLLM

    try:
        prompt = _chat_prompt(args.prompt)
    except ValueError as exc:
        _err(f"oauth-codex chat: {exc}")
        return EXIT_USAGE
    config = _config(args)
    waiting: dict[str, Any] = {}
    if args.wait_for_reset is not None:
        from ._usage_text import Countdown

        waiting = {
            "on_usage_limit": "wait",
            "max_wait": args.wait_for_reset,
            "on_wait": Countdown(sys.stderr, tty=sys.stderr.isatty()),
        }
    route = _route(args)
    if route == "siwc":
        _err("Using ChatGPT plan · Manage usage: https://chatgpt.com/settings/usage")
    with CodexOAuthLLM(
        model=args.model, oauth_config=config, instructions=args.instructions, route=route, **waiting
    ) as llm:
        try:
            if args.stream:
                for chunk in llm.generate_stream(prompt=prompt):
                    sys.stdout.write(str(chunk))
                    sys.stdout.flush()
                sys.stdout.write("\n")
            else:
                print(llm.generate(prompt=prompt))
        finally:
            # error answers (a usage limit above all) carry the rate limits too: keep them for `status`
            _record_rate_limits(config, llm.last_rate_limits)
    return EXIT_OK


def _cmd_models(args: argparse.Namespace) -> int:
    from .client import CodexOAuthLLM

    config = _config(args)
    with CodexOAuthLLM(oauth_config=config, route=_route(args)) as llm:
        try:
            for info in llm.list_models():
                print(info.slug)
        finally:
            _record_rate_limits(config, llm.last_rate_limits)
    return EXIT_OK


def _cmd_profile(args: argparse.Namespace) -> int:
    from .auth import list_profiles, remove_profile, use_profile
    from .auth._profiles import current_profile

    config = _config(args)
    chosen = config.profile_name  # CODEX_OAUTH_PROFILE: beats the current profile in this environment
    if args.profile_command == "use":
        use_profile(args.name, config)
        _err(f"Profile {args.name!r} is now the current profile.")
        if chosen is not None and chosen != args.name:
            _err(f"Note: CODEX_OAUTH_PROFILE={chosen} still selects profile {chosen!r} where it is set.")
        return EXIT_OK
    if args.profile_command == "remove":
        if args.name not in list_profiles(config):
            _err(f"There is no profile {args.name!r} here; nothing to remove.")
            return EXIT_OK
        result = remove_profile(args.name, config, revoke=args.revoke)
        if not result:
            _err(f"Removed profile {args.name!r} (it had no login).")
        elif result.revocation_error is not None:
            _err(f"Removed profile {args.name!r}; revoking its login failed ({result.revocation_error}).")
            return EXIT_FAILURE
        else:
            _err(f"Removed profile {args.name!r}" + (" and revoked its login." if result.revoked else "."))
        return EXIT_OK
    current = chosen or current_profile(config) or "default"  # what a command without --profile uses here
    if chosen is not None:
        _err(f"CODEX_OAUTH_PROFILE={chosen} selects the profile marked current in this environment.")
    rows = [row for name in list_profiles(config) for row in _profile_rows(config, name, name == current)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    now = datetime.now(UTC)
    for row in rows:
        mark = "*" if row["current"] else " "
        if not row["logged_in"]:
            print(f"{mark} {row['name']}: " + ("unreadable" if "error" in row else "not logged in"))
            continue
        expires_at = row["access_token_expires_at"]
        expiry = f"expires {_when(datetime.fromisoformat(expires_at), now)}" if expires_at else "no expiry"
        if row["route"] == "siwc":
            details = ["siwc", f"plan usage {'on' if row['plan_usage'] else 'off'}", row["status"]]
        else:
            details = [row["plan"] or "unknown plan", f"workspace {row['workspace'] or 'unknown'}", row["route"]]
        print(f"{mark} {row['name']}: {row['email'] or 'unknown account'} ({', '.join(details)}); {expiry}")
    return EXIT_OK


def _profile_rows(config: OAuthConfig, name: str, current: bool) -> list[dict[str, Any]]:
    """``profile list`` rows of one profile: its Codex-route login, and its SIWC login when it has one."""
    from .auth import SiwcConfig, SiwcStore, default_token_store
    from .errors import TokenStoreError

    row: dict[str, Any] = {"name": name, "current": current, "route": "codex", "logged_in": False}
    rows = [row]
    try:
        tokens = default_token_store(config, profile_name=name).load()
    except TokenStoreError as exc:
        row["error"] = str(exc)
        tokens = None
    if tokens is not None:
        expires = tokens.expires_at
        row.update(
            logged_in=True,
            email=tokens.email,
            plan=tokens.plan_type,
            workspace=tokens.workspace,
            account_id=tokens.resolved_account_id(),
            route=tokens.route,
            access_token_expires_at=expires.isoformat() if expires else None,
        )
    try:
        siwc = SiwcStore(SiwcConfig(home=config.home)).load(name)
    except TokenStoreError as exc:
        rows.append({"name": name, "current": current, "route": "siwc", "logged_in": False, "error": str(exc)})
        return rows
    if siwc is not None:
        if tokens is None and "error" not in row:
            rows = []  # a SIWC-only profile: no empty Codex row
        rows.append(
            {
                "name": name,
                "current": current,
                "route": "siwc",
                "logged_in": siwc.status == "connected",
                "email": siwc.email,
                "status": siwc.status,
                "plan_usage": siwc.plan_enabled,
                "access_token_expires_at": (
                    datetime.fromtimestamp(siwc.expires_at, UTC).isoformat() if siwc.expires_at else None
                ),
            }
        )
    return rows


def _cmd_emulator(args: argparse.Namespace) -> int:
    from .testing import serve

    if _route(args) == "siwc":
        from .testing import SiwcEmulator

        return int(serve(args.host, args.port, emulator=SiwcEmulator(host=args.host, port=args.port)))
    return int(serve(args.host, args.port))


def _cmd_doctor(args: argparse.Namespace) -> int:
    from ._doctor import render_table, run_doctor

    config = _config(args)
    if _route(args) == "siwc":
        from ._doctor_siwc import run_siwc_doctor
        from .auth import SiwcConfig

        report = run_siwc_doctor(SiwcConfig.from_env(home=config.home), _siwc_profile(args), live=args.live)
    else:
        report = run_doctor(config, live=args.live)
    print(json.dumps(report.to_json(), indent=2) if args.json else render_table(report))
    return EXIT_OK if report.ok else EXIT_FAILURE


def _cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    if _route(args) == "siwc":
        from ._demo_siwc import run_siwc_demo

        return int(run_siwc_demo(out=sys.stdout))
    return int(run_demo(out=sys.stdout))


_COMMANDS = {
    "login": _cmd_login,
    "status": _cmd_status,
    "logout": _cmd_logout,
    "import-codex-auth": _cmd_import,
    "chat": _cmd_chat,
    "models": _cmd_models,
    "usage": _cmd_usage,
    "profile": _cmd_profile,
    "doctor": _cmd_doctor,
    "emulator": _cmd_emulator,
    "demo": _cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version, or a usage error (argparse printed it)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from .errors import CodexError

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning  # one line on stderr, not a file name and a source line
            return _COMMANDS[args.command](args)
    except CodexError as exc:
        _err(f"oauth-codex {args.command}: {exc}")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        _err("Interrupted.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `oauth-codex ... | head`: the reader left; exit quietly
        _silence_stdout()
        return EXIT_FAILURE
