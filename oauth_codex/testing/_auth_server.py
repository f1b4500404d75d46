"""The emulated auth server (``auth.openai.com``): discovery, authorize, token, revoke and device-code login.

Tokens are HS256 JWTs signed with the emulator's secret, carrying the real claim layout
(docs/protocol.md "Token claims") in both the id token and the access token; refresh tokens are opaque ``rt_``
strings that rotate on every use.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from ._faults import FaultQueue
from ._jwt import b64url_encode, encode_jwt, verify_jwt
from ._server import HttpRequest, Reply
from ._state import AccessRecord, Account, AuthCode, DeviceLogin, EmulatorState, RefreshRecord, Settings

__all__ = ["AuthServer", "REFRESH_ERRORS"]

AUTH_CLAIMS = "https://api.openai.com/auth"
PROFILE_CLAIMS = "https://api.openai.com/profile"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
SCOPES = frozenset(
    {"openid", "profile", "email", "offline_access", "api.connectors.read", "api.connectors.invoke"}
)
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")

REFRESH_ERRORS: dict[str, str] = {
    "refresh_token_reused": "Your refresh token has already been used to generate a new access token. "
    "Please try signing in again.",
    "refresh_token_expired": "Your refresh token has expired. Please try signing in again.",
    "refresh_token_invalidated": "Your refresh token has been invalidated. Please try signing in again.",
    "token_expired": "Could not validate your token. Please try signing in again.",
}


def refresh_error(code: str, status: int = 401) -> Reply:
    """The §1.7 envelope: ``{"error": {"message", "type", "param", "code"}}``."""
    message = REFRESH_ERRORS.get(code, "Your refresh request failed. Please try signing in again.")
    return Reply.json(
        status, {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
    )


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return Reply.json(status, {"error": error, "error_description": description})


def _page(title: str, body: str, status: int = 200) -> Reply:
    return Reply.html(
        status,
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>",
    )


def _with_query(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


class AuthServer:
    """Route handlers of the auth server, plus the token minting the emulator's helpers use."""

    def __init__(
        self, state: EmulatorState, settings: Settings, issuer: Callable[[], str], account: Account
    ) -> None:
        self.state = state
        self.settings = settings
        self.issuer = issuer
        self.login_account = account
        self.token_faults = FaultQueue()
        self._pending: dict[str, dict[str, str]] = {}

    # -------------------------------------------------------------------------------------- minting
    def mint(self, account: Account, family: str | None = None, scope: str = "") -> dict[str, Any]:
        """Issue id, access and (unless the scope lacks ``offline_access``) refresh tokens."""
        now = self.state.clock.now()
        family = family or self.state.next_id("fam_")
        jti = self.state.next_id("jti_", 32)
        exp = now + self.settings.access_token_ttl
        auth = {
            "chatgpt_account_id": account.account_id,
            "chatgpt_plan_type": account.plan_type,
            "chatgpt_user_id": account.user_id,
            "user_id": account.user_id,
        }
        common = {
            "iss": self.issuer(),
            "sub": f"auth0|{account.user_id[5:]}",
            "iat": int(now),
            "email": account.email,
            PROFILE_CLAIMS: {"email": account.email, "email_verified": True},
        }
        access_claims = {
            **common,
            "aud": ["https://api.openai.com/v1"],
            "exp": int(exp),
            "jti": jti,
            "client_id": self.settings.client_id,
            "scp": (scope or "openid profile email offline_access").split(),
            AUTH_CLAIMS: auth,
        }
        id_claims = {
            **common,
            "aud": [self.settings.client_id],
            "exp": int(now + min(3600.0, self.settings.access_token_ttl)),
            "jti": self.state.next_id("jti_", 32),
            AUTH_CLAIMS: {
                **auth,
                "organization_id": account.organization_id,
                "project_id": account.project_id,
                "organizations": [
                    {
                        "id": account.organization_id,
                        "is_default": True,
                        "role": "owner",
                        "title": account.workspace or "Personal",
                    }
                ],
                "completed_platform_onboarding": True,
                "is_org_owner": True,
                # audit §1: the CLI sends X-OpenAI-Fedramp when this id-token claim is true
                **({"chatgpt_account_is_fedramp": True} if account.fedramp else {}),
            },
        }
        tokens: dict[str, Any] = {
            "id_token": encode_jwt(id_claims, self.state.secret),
            "access_token": encode_jwt(access_claims, self.state.secret),
            "expires_in": int(self.settings.access_token_ttl),
        }
        with self.state.lock:
            self.state.access[jti] = AccessRecord(jti=jti, family=family, account=account, exp=exp)
            if not scope or "offline_access" in scope.split():
                rt = self.state.new_secret_token("rt_")
                self.state.refresh[rt] = RefreshRecord(
                    token=rt, family=family, account=account, issued_at=now
                )
                tokens["refresh_token"] = rt
        return tokens

    def revoke_family(self, family: str) -> None:
        with self.state.lock:
            for rec in self.state.refresh.values():
                if rec.family == family:
                    rec.status = "revoked"
            for acc in self.state.access.values():
                if acc.family == family:
                    acc.revoked = True

    # ------------------------------------------------------------------------------------ discovery
    def discovery(self, request: HttpRequest) -> Reply:
        issuer = self.issuer()
        return Reply.json(
            200,
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/oauth/authorize",
                "token_endpoint": f"{issuer}/oauth/token",
                "revocation_endpoint": f"{issuer}/oauth/revoke",
                "device_authorization_endpoint": f"{issuer}/api/accounts/deviceauth/usercode",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token", TOKEN_EXCHANGE],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": sorted(SCOPES),
                "token_endpoint_auth_methods_supported": ["none"],
                "id_token_signing_alg_values_supported": ["HS256"],
            },
        )

    # ------------------------------------------------------------------------------------ authorize
    def authorize(self, request: HttpRequest) -> Reply:
        q = request.query
        if q.get("client_id") != self.settings.client_id:
            return _page("Unknown client", "<p>The client_id is not registered.</p>", 400)
        redirect_uri = q.get("redirect_uri", "")
        if redirect_uri not in self.settings.redirect_uris:
            return _page(
                "Invalid redirect_uri", "<p>The redirect_uri is not registered for this client.</p>", 400
            )
        state = q.get("state")

        def fail(error: str, description: str) -> Reply:
            params = {"error": error, "error_description": description}
            if state is not None:
                params["state"] = state
            return Reply.redirect(_with_query(redirect_uri, params))

        if q.get("response_type") != "code":
            return fail("unsupported_response_type", "response_type must be 'code'")
        if q.get("code_challenge_method") != "S256":
            return fail("invalid_request", "code_challenge_method must be S256")
        if not _CHALLENGE.match(q.get("code_challenge", "")):
            return fail("invalid_request", "code_challenge must be a 43-character base64url SHA-256 digest")
        scopes = q.get("scope", "").split()
        if "openid" not in scopes or not set(scopes) <= SCOPES:
            return fail("invalid_scope", "unsupported scope")
        if self.settings.deny_login:
            return fail("access_denied", "missing_codex_entitlement")
        if self.settings.auto_approve:
            return self._approve(q)
        request_id = secrets.token_urlsafe(16)
        with self.state.lock:
            self._pending[request_id] = dict(q)
        account = html.escape(self.login_account.email)
        plan = html.escape(self.login_account.plan_type)
        body = (
            f"<p>The Codex emulator asks to sign in as <b>{account}</b> ({plan})."
            f"</p><p><a id='approve' href='/oauth/authorize/approve?request_id={request_id}'>Approve</a> "
            f"<a id='deny' href='/oauth/authorize/deny?request_id={request_id}'>Deny</a></p>"
        )
        return _page("Sign in with ChatGPT (emulator)", body)

    def _approve(self, q: dict[str, str]) -> Reply:
        code = self.state.new_secret_token("ac_")
        with self.state.lock:
            self.state.codes[code] = AuthCode(
                code=code,
                client_id=q["client_id"],
                redirect_uri=q["redirect_uri"],
                code_challenge=q["code_challenge"],
                account=self.login_account,
                expires_at=self.state.clock.now() + self.settings.code_ttl,
                scope=q.get("scope", ""),
            )
        params = {"code": code}
        if "state" in q:
            params["state"] = q["state"]
        return Reply.redirect(_with_query(q["redirect_uri"], params))

    def _pending_request(self, request: HttpRequest) -> dict[str, str] | None:
        with self.state.lock:
            return self._pending.pop(request.query.get("request_id", ""), None)

    def authorize_approve(self, request: HttpRequest) -> Reply:
        q = self._pending_request(request)
        if q is None:
            return _page("Unknown or used sign-in request", "<p>Start the login again.</p>", 400)
        return self._approve(q)

    def authorize_deny(self, request: HttpRequest) -> Reply:
        q = self._pending_request(request)
        if q is None:
            return _page("Unknown or used sign-in request", "<p>Start the login again.</p>", 400)
        params = {"error": "access_denied", "error_description": "The user denied the request"}
        if "state" in q:
            params["state"] = q["state"]
        return Reply.redirect(_with_query(q["redirect_uri"], params))

    # ---------------------------------------------------------------------------------------- token
    def token(self, request: HttpRequest) -> Reply:
        reply = self._token(request)
        reply.delay = max(reply.delay, self.settings.token_delay)
        return reply

    def _token(self, request: HttpRequest) -> Reply:
        if request.form is not None:
            params: dict[str, Any] = request.form
        elif isinstance(request.json, dict):
            params = request.json
        else:
            return _oauth_error(400, "invalid_request", "Send a form-encoded or JSON body.")
        grant = str(params.get("grant_type", ""))
        self.state.count_grant(grant or "<none>")
        fault = self.token_faults.take()
        if fault is not None:
            code = fault.params.get("code")
            status = int(fault.params.get("status") or (401 if code else 500))
            if code:
                return refresh_error(str(code), status)
            return Reply.json(
                status,
                {
                    "error": {
                        "message": "Internal server error (emulated)",
                        "type": "server_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
        # every code-exchange failure is 400 invalid_grant (docs/protocol.md "Code exchange")
        if grant == "authorization_code":
            if request.form is None:
                return _oauth_error(400, "invalid_request", "authorization_code grants must be form-encoded.")
            return self._code_grant(params)
        if params.get("client_id") != self.settings.client_id:
            return _oauth_error(401, "invalid_client", "Unknown client_id.")
        if grant == "refresh_token":
            return self._refresh_grant(params)
        if grant == TOKEN_EXCHANGE:
            return self._token_exchange(params)
        return _oauth_error(400, "unsupported_grant_type", f"Unsupported grant_type {grant!r}.")

    def _code_grant(self, params: dict[str, Any]) -> Reply:
        code = str(params.get("code", ""))
        now = self.state.clock.now()
        with self.state.lock:
            record = self.state.codes.get(code)
            if record is None or record.used:
                return _oauth_error(
                    400, "invalid_grant", "The authorization code is invalid or was already used."
                )
            record.used = True
        if record.expires_at <= now:
            return _oauth_error(400, "invalid_grant", "The authorization code has expired.")
        if params.get("redirect_uri") != record.redirect_uri:
            return _oauth_error(
                400, "invalid_grant", "redirect_uri does not match the authorization request."
            )
        if params.get("client_id") != record.client_id:
            return _oauth_error(400, "invalid_grant", "client_id does not match the authorization request.")
        verifier = str(params.get("code_verifier", ""))
        if not _VERIFIER.match(verifier):
            return _oauth_error(
                400, "invalid_grant", "code_verifier must be 43-128 characters of [A-Za-z0-9-._~]."
            )
        if b64url_encode(hashlib.sha256(verifier.encode()).digest()) != record.code_challenge:
            return _oauth_error(400, "invalid_grant", "code_verifier does not match the code_challenge.")
        return Reply.json(200, self.mint(record.account, scope=record.scope))

    def _refresh_grant(self, params: dict[str, Any]) -> Reply:
        token = str(params.get("refresh_token", ""))
        now = self.state.clock.now()
        with self.state.lock:
            record = self.state.refresh.get(token)
            if record is None:
                return refresh_error("token_expired")
            ttl = self.settings.refresh_token_ttl
            if record.status == "active" and ttl is not None and record.issued_at + ttl <= now:
                record.status = "expired"
            if record.status == "spent":
                if self.settings.revoke_family_on_reuse:
                    self.revoke_family(record.family)
                return refresh_error("refresh_token_reused")
            if record.status == "expired":
                return refresh_error("refresh_token_expired")
            if record.status == "revoked":
                return refresh_error("refresh_token_invalidated")
            record.status = "spent"
        return Reply.json(200, self.mint(record.account, family=record.family))

    def _token_exchange(self, params: dict[str, Any]) -> Reply:
        claims = verify_jwt(str(params.get("subject_token", "")), self.state.secret)
        if (
            claims is None
            or params.get("requested_token") != "openai-api-key"
            or params.get("subject_token_type") != "urn:ietf:params:oauth:token-type:id_token"
        ):
            return _oauth_error(
                400, "invalid_grant", "subject_token must be an id_token issued by this server."
            )
        return Reply.json(200, {"access_token": "sk-emu-" + secrets.token_urlsafe(24)})

    # --------------------------------------------------------------------------------------- revoke
    def revoke(self, request: HttpRequest) -> Reply:
        params = request.form if request.form is not None else request.json
        if not isinstance(params, dict) or not params.get("token"):
            return _oauth_error(400, "invalid_request", "token is required.")
        token = str(params["token"])
        with self.state.lock:
            refresh = self.state.refresh.get(token)
            if refresh is not None:
                self.revoke_family(refresh.family)
            else:
                claims = verify_jwt(token, self.state.secret)
                access = self.state.access.get(str((claims or {}).get("jti")))
                if access is not None:
                    access.revoked = True
        return Reply.json(200, {})

    # ---------------------------------------------------------------------------------- device code
    def device_usercode(self, request: HttpRequest) -> Reply:
        if not self.settings.device_login_enabled:
            return Reply.json(404, {"detail": "Not Found"})
        params = request.json if isinstance(request.json, dict) else {}
        if params.get("client_id") != self.settings.client_id:
            return _oauth_error(400, "invalid_client", "Unknown client_id.")
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        user_code = (
            "".join(secrets.choice(alphabet) for _ in range(4))
            + "-"
            + "".join(secrets.choice(alphabet) for _ in range(4))
        )
        device_auth_id = self.state.next_id("deviceauth_", 32)
        with self.state.lock:
            self.state.devices[user_code] = DeviceLogin(
                device_auth_id=device_auth_id,
                user_code=user_code,
                client_id=str(params["client_id"]),
                expires_at=self.state.clock.now() + self.settings.device_ttl,
            )
        return Reply.json(
            200,
            {
                "device_auth_id": device_auth_id,
                "user_code": user_code,
                "interval": self.settings.device_interval,
            },
        )

    def device_token(self, request: HttpRequest) -> Reply:
        if not self.settings.device_login_enabled:
            return Reply.json(404, {"detail": "Not Found"})
        params = request.json if isinstance(request.json, dict) else {}
        user_code = str(params.get("user_code") or params.get("usercode") or "")
        with self.state.lock:
            device = self.state.devices.get(user_code)
            if device is None or device.device_auth_id != params.get("device_auth_id") or device.consumed:
                return Reply.json(
                    400,
                    {
                        "error": {
                            "code": "invalid_device_auth",
                            "message": "Unknown or already used device code. Start the login again.",
                        }
                    },
                )
            if device.expires_at <= self.state.clock.now():
                return Reply.json(
                    400,
                    {
                        "error": {
                            "code": "device_code_expired",
                            "message": "The device code expired. Start the login again.",
                        }
                    },
                )
            if not device.approved:
                return Reply.json(
                    403,
                    {
                        "error": {
                            "code": "deviceauth_authorization_pending",
                            "message": "The user has not approved this device yet.",
                        }
                    },
                )
            device.consumed = True
        verifier = b64url_encode(secrets.token_bytes(64))
        challenge = b64url_encode(hashlib.sha256(verifier.encode()).digest())
        code = self.state.new_secret_token("ac_")
        with self.state.lock:
            self.state.codes[code] = AuthCode(
                code=code,
                client_id=device.client_id,
                redirect_uri=f"{self.issuer()}/deviceauth/callback",
                code_challenge=challenge,
                account=self.login_account,
                expires_at=self.state.clock.now() + self.settings.code_ttl,
            )
        return Reply.json(
            200, {"authorization_code": code, "code_challenge": challenge, "code_verifier": verifier}
        )

    def approve_device(self, user_code: str) -> None:
        with self.state.lock:
            device = self.state.devices.get(user_code.strip().upper())
            if device is None:
                raise KeyError(f"no device login with user code {user_code!r}")
            device.approved = True

    def device_page(self, request: HttpRequest) -> Reply:
        form = (
            "<form method='post' action='/codex/device'><label>Code <input name='user_code'></label>"
            "<button type='submit'>Approve</button></form>"
        )
        return _page("Enter the code shown in your terminal (emulator)", form)

    def device_page_submit(self, request: HttpRequest) -> Reply:
        user_code = (request.form or {}).get("user_code", "")
        try:
            self.approve_device(user_code)
        except KeyError:
            return _page("Unknown code", "<p>Check the code and try again.</p>", 400)
        return _page("Device approved", "<p>You can return to your terminal.</p>")

    def device_callback(self, request: HttpRequest) -> Reply:
        return _page("Device login", "<p>This URL is only used as the device flow's redirect_uri.</p>")
