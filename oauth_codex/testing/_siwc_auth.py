"""The SIWC auth server of the emulator (SIWC.md §17.2): discovery, JWKS, authorize, token, revoke, userinfo.

Strict by default: ``authorize`` validates in the documented order and answers 400 without a redirect;
the token endpoint takes form bodies only, never a client secret, requires ``resource`` and refuses
``dynamic_agent_client``; refresh tokens rotate, and a reused one answers 401 ``refresh_token_reused``
(and, with ``reuse_revokes_family`` on by default, revokes its live successor too).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from ._server import HttpRequest, Reply
from ._siwc_state import (
    ALL_SCOPES,
    IDENTITY_SCOPES,
    RESOURCE,
    AccessGrant,
    Code,
    RefreshGrant,
    Registration,
    SiwcAccount,
    SiwcState,
)

__all__ = ["SiwcAuthServer"]

BOOTSTRAP_CLIENT_ID = "dynamic_agent_client"
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_REDIRECT = re.compile(r"http://127\.0\.0\.1:([1-9][0-9]{0,4})/auth/callback")
_LEGACY_REDIRECT = re.compile(r"http://localhost:([1-9][0-9]{0,4})/auth/callback")
_HOST_ID = re.compile(
    r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    r"|urn:ietf:params:oauth:jwk-thumbprint:[A-Za-z0-9:_-]+:[A-Za-z0-9_-]+"
    r"|did:key:z[1-9A-HJ-NP-Za-km-z]+"
)
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ACCESS_TTL = 3600
REFRESH_TTL = 30 * 86400
CODE_TTL = 60.0
_NO_STORE = [("Cache-Control", "no-store")]


def _b64url_sha256(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


class SiwcAuthServer:
    """Route handlers for ``{auth}``; ``auth_url`` is the issuer (``http://127.0.0.1:<port>/auth``)."""

    def __init__(self, state: SiwcState, auth_url: str) -> None:
        self.state = state
        self.auth_url = auth_url
        self.accounts: dict[str, SiwcAccount] = {}

    # ------------------------------------------------------------------------------ helpers
    def _headers(self) -> list[tuple[str, str]]:
        return [("x-request-id", self.state.next_id("req_", 16)), *_NO_STORE]

    def _json(self, status: int, payload: Any) -> Reply:
        return Reply.json(status, payload, self._headers())

    def _oauth_error(self, status: int, code: str, description: str, *, nested: bool = False) -> Reply:
        if nested and not self.state.quirks.oauth_string_errors:
            body: dict[str, Any] = {
                "error": {"message": description, "type": "invalid_request_error", "param": None, "code": code}
            }
        else:
            body = {"error": code, "error_description": description}
        return self._json(status, body)

    @staticmethod
    def _invalid(param: str) -> Reply:
        return Reply.json(400, {"error": "invalid_request", "error_description": param}, _NO_STORE)

    def endpoint(self, name: str) -> str:
        paths = {
            "authorization_endpoint": "/api/accounts/authorize",
            "token_endpoint": "/api/accounts/oauth/token",
            "revocation_endpoint": "/api/accounts/oauth/revoke",
            "jwks_uri": "/.well-known/jwks.json",
            "userinfo_endpoint": "/api/accounts/oauth/userinfo",
        }
        return self.auth_url + paths[name]

    # ------------------------------------------------------------------------------ discovery, JWKS
    def discovery(self, request: HttpRequest) -> Reply:
        fault = self.state.take_fault("discovery")
        doc: dict[str, Any] = {
            "issuer": self.auth_url,
            **{
                k: self.endpoint(k)
                for k in ("authorization_endpoint", "token_endpoint", "revocation_endpoint", "jwks_uri")
            },
            "userinfo_endpoint": self.endpoint("userinfo_endpoint"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
        }
        kind = fault["kind"] if fault else None
        if kind == "issuer_mismatch":
            doc["issuer"] = "https://auth.example.invalid"
        elif kind == "foreign_endpoint":
            doc["token_endpoint"] = "https://evil.example.invalid/oauth/token"
        elif kind == "no_revocation":
            doc.pop("revocation_endpoint")
        elif kind == "503":
            return self._json(503, {"detail": "Service Unavailable"})
        elif kind == "malformed":
            return Reply(200, b"{not json", "application/json")
        return self._json(200, doc)

    def jwks(self, request: HttpRequest) -> Reply:
        self.state.count("jwks_fetches")
        fault = self.state.take_fault("jwks")
        kind = fault["kind"] if fault else None
        if kind == "503":
            return self._json(503, {"detail": "Service Unavailable"})
        if kind == "empty":
            return self._json(200, {"keys": []})
        if kind == "malformed":
            return Reply(200, b"[[[", "application/json")
        doc = self.state.jwks()
        if kind == "unknown_kid":
            doc = {"keys": [{**k, "kid": "not-" + k["kid"]} for k in doc["keys"]]}
        return self._json(200, doc)

    # ------------------------------------------------------------------------------ authorize
    def account_for_login(self) -> SiwcAccount:
        return self.state.account

    def authorize(self, request: HttpRequest) -> Reply:  # noqa: C901 - the §17.2 checklist, in order
        q = request.query
        state = self.state
        quirks = state.quirks
        if q.get("response_type") != "code":
            return self._invalid("response_type")
        if q.get("code_challenge_method") != "S256":
            return self._invalid("code_challenge_method")
        if not _CHALLENGE.fullmatch(q.get("code_challenge", "")):
            return self._invalid("code_challenge")
        if not q.get("state"):
            return self._invalid("state")
        if not q.get("nonce"):
            return self._invalid("nonce")
        redirect_uri = q.get("redirect_uri", "")
        client_id = q.get("client_id", "")
        registration = state.registrations.get(client_id)
        legacy = registration is not None and registration.redirect_base[1] == "localhost"
        pattern = _LEGACY_REDIRECT if legacy and quirks.legacy_localhost_registration else _REDIRECT
        if not pattern.fullmatch(redirect_uri):
            return self._invalid("redirect_uri")
        if q.get("resource") != RESOURCE:
            return self._invalid("resource")
        scopes = set((q.get("scope") or "").split())
        if "openid" not in scopes:
            return self._invalid("scope")
        if "chatgpt.tokens.use.direct" in scopes and not {"offline_access", "resource.invoke"} <= scopes:
            return self._invalid("scope")
        host_id = q.get("ext_agent_host_id")
        if not (host_id and _HOST_ID.fullmatch(host_id)) and not (quirks.host_id_optional and not host_id):
            return self._invalid("ext_agent_host_id")
        registering = client_id == BOOTSTRAP_CLIENT_ID
        if registering:
            name = q.get("agent_name_hint", "")
            if not name or len(name) > 120:
                return self._invalid("agent_name_hint")
            if "id_token_hint" in q:
                return self._invalid("id_token_hint")
        else:
            if registration is None:
                return Reply.json(400, {"error": "invalid_client"}, _NO_STORE)
            if "agent_name_hint" in q:
                return self._invalid("agent_name_hint")
            parts = urlsplit(redirect_uri)
            if (parts.scheme, parts.hostname or "", parts.path) != registration.redirect_base:
                return self._invalid("redirect_uri")
            hint = q.get("id_token_hint")
            if hint is not None and not self._own_id_token(hint, client_id):
                return self._invalid("id_token_hint")
        if q.get("prompt") not in (None, "consent"):
            return self._invalid("prompt")
        if "force_reconsent" in q and not quirks.force_reconsent_deployed:
            return self._invalid("force_reconsent")
        state.count("authorize")
        return self._act(q, registering, registration, scopes, redirect_uri, host_id or "")

    def _own_id_token(self, token: str, client_id: str) -> bool:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            key = self.state.keys[header.get("kid", "")]
            claims = jwt.decode(
                token, key.public_key(), algorithms=["RS256"], options={"verify_exp": False, "verify_aud": False}
            )
        except (jwt.PyJWTError, KeyError):
            return False
        aud = claims.get("aud")
        return client_id in (aud if isinstance(aud, list) else [aud])

    def _act(
        self,
        q: dict[str, str],
        registering: bool,
        registration: Registration | None,
        requested: set[str],
        redirect_uri: str,
        host_id: str,
    ) -> Reply:
        state = self.state
        scenario = state.scenario
        back: dict[str, str] = {}
        if scenario == "deny":
            return Reply.redirect(f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': q['state']})}")
        account = self.account_for_login()
        if scenario == "account_switch":
            account = SiwcAccount.derive("someone.else@example.com")
        granted = [s for s in ALL_SCOPES if s in requested]
        if scenario == "identity_only":
            keep = (
                {*IDENTITY_SCOPES, "offline_access"}
                if state.quirks.identity_only_keeps_offline_access
                else set(IDENTITY_SCOPES)
            )
            granted = [s for s in granted if s in keep]
        with state.lock:
            if registering:
                client_id = "oaiapp_" + "".join(secrets.choice(_BASE62) for _ in range(22))
                parts = urlsplit(redirect_uri)
                registration = Registration(
                    client_id=client_id,
                    sub=account.sub,
                    redirect_base=(parts.scheme, parts.hostname or "", parts.path),
                    agent_name=q["agent_name_hint"],
                )
                state.registrations[client_id] = registration
                state.count("registrations")
            assert registration is not None
            registration.host_ids.add(host_id)
            registration.plan_granted = "chatgpt.tokens.use.direct" in granted
            registration.disconnected = False
            code = "ac_" + secrets.token_urlsafe(24)
            state.codes[code] = Code(
                client_id=registration.client_id,
                redirect_uri=redirect_uri,
                challenge=q["code_challenge"],
                nonce=q["nonce"],
                scopes=tuple(granted),
                sub=account.sub,
                expires_at=state.clock.now() + CODE_TTL,
            )
            self.accounts[account.sub] = account
        back["code"] = code
        back["scope"] = " ".join(sorted(granted))
        back["state"] = q["state"] if scenario != "tamper_state" else q["state"][::-1] + "x"
        if scenario == "no_client_id":
            pass
        elif scenario == "other_client_id" and not registering:
            back["client_id"] = "oaiapp_" + "Z" * 22
        elif registering or state.quirks.callback_client_id_on_reauth:
            back["client_id"] = registration.client_id
        if state.quirks.callback_iss:
            back["iss"] = self.auth_url
        return Reply.redirect(f"{redirect_uri}?{urlencode(back)}")

    # ------------------------------------------------------------------------------ tokens
    def _mint(
        self, client_id: str, sub: str, scopes: tuple[str, ...], family: str, *, nonce: str | None
    ) -> dict[str, Any]:
        state = self.state
        now = int(state.clock.now())
        access_claims = {
            "sub": sub,
            "aud": RESOURCE,
            "client_id": client_id,
            "scope": " ".join(sorted(scopes)),
            "https://api.openai.com/auth": {
                "per_user_salt": secrets.token_hex(8),
                "encrypted_auth_metadata": secrets.token_urlsafe(16),
            },
            "iss": self.auth_url,
            "iat": now,
            "exp": now + ACCESS_TTL,
            "jti": state.next_id("jti_"),
            "nbf": now,
        }
        access_token = state.sign(access_claims)
        earliest = now + int(state.quirks.earliest_refresh_offset)
        body: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer", "expires_in": ACCESS_TTL}
        with state.lock:
            state.access[access_token] = AccessGrant(client_id, sub, scopes, now + ACCESS_TTL, family)
        if "offline_access" in scopes:
            refresh_token = "rt_" + secrets.token_urlsafe(32)
            body["refresh_token"] = refresh_token
            with state.lock:
                state.refresh[refresh_token] = RefreshGrant(
                    client_id, sub, scopes, family, now + REFRESH_TTL, earliest_refresh_at=earliest,
                    access_token=access_token,
                )  # fmt: skip
        mode = state.quirks.earliest_refresh_at
        if mode == "int":
            body["earliest_refresh_at"] = earliest
        elif mode == "null":
            body["earliest_refresh_at"] = None
        elif mode == "iso":
            body["earliest_refresh_at"] = datetime.fromtimestamp(earliest, UTC).isoformat().replace("+00:00", "Z")
        elif mode == "ms":
            body["earliest_refresh_at"] = earliest * 1000
        if nonce is not None:
            body["id_token"] = self.id_token(client_id, sub, nonce=nonce)
        return body

    def id_token(self, client_id: str, sub: str, *, nonce: str | None) -> str:
        state = self.state
        account = self.accounts.get(sub) or SiwcAccount(sub=sub, email="unknown@example.com", name="Unknown")
        now = int(state.clock.now())
        claims: dict[str, Any] = {
            "iss": self.auth_url,
            "aud": client_id if state.quirks.aud_string else [client_id],
            "sub": sub,
            "email": account.email,
            "name": account.name,
            "iat": now,
            "exp": now + 3600,
            "auth_time": now,
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return state.sign(claims)

    def token(self, request: HttpRequest) -> Reply:
        state = self.state
        state.count("token_posts")
        fault = state.take_fault("token")
        kind = fault["kind"] if fault else None
        if kind == "503":
            return self._json(503, {"error": "temporarily_unavailable"})
        if kind == "invalid_grant":
            return self._oauth_error(400, "invalid_grant", "The authorization code is invalid or expired.")
        if kind == "html_502":
            return Reply.html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        if "application/x-www-form-urlencoded" not in request.content_type or request.form is None:
            return self._oauth_error(400, "invalid_request", "The token endpoint takes a form-encoded body.")
        form = request.form
        auth = request.headers.get("authorization", "")
        if "client_secret" in form or auth.lower().startswith("basic "):
            return self._oauth_error(401, "invalid_client", "Public clients must not authenticate.")
        if form.get("resource") != RESOURCE:
            return self._oauth_error(400, "invalid_target", "resource must be https://api.openai.com/v1")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            reply = self._code_grant(form)
        elif grant == "refresh_token":
            reply = self._refresh_grant(form)
        else:
            reply = self._oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r} is not supported")
        if kind == "commit_then_reset":
            return Reply(0, hang_up=True)
        if kind == "latency":
            reply.delay = float(fault.get("seconds", 0.5)) if fault else 0.0
        return reply

    def _code_grant(self, form: dict[str, str]) -> Reply:
        state = self.state
        client_id = form.get("client_id", "")
        if client_id == BOOTSTRAP_CLIENT_ID or client_id not in state.registrations:
            return self._oauth_error(401, "invalid_client", "Unknown client; exchange with the issued client id.")
        state.count("code_exchanges")
        with state.lock:
            code = state.codes.get(form.get("code", ""))
            if code is None or code.used:
                return self._oauth_error(400, "invalid_grant", "The authorization code is invalid or was used.")
            code.used = True
        verifier = form.get("code_verifier", "")
        if code.expires_at < state.clock.now():
            return self._oauth_error(400, "invalid_grant", "The authorization code has expired.")
        if code.client_id != client_id:
            return self._oauth_error(400, "invalid_grant", "The code was issued to another client.")
        if not 43 <= len(verifier) <= 128 or not hmac.compare_digest(_b64url_sha256(verifier), code.challenge):
            return self._oauth_error(400, "invalid_grant", "PKCE verification failed.")
        if form.get("redirect_uri") != code.redirect_uri:
            return self._oauth_error(400, "invalid_grant", "redirect_uri does not match the authorization request.")
        body = self._mint(client_id, code.sub, code.scopes, state.next_id("fam_"), nonce=code.nonce)
        body["scope"] = " ".join(sorted(code.scopes))
        return self._json(200, body)

    def _refresh_grant(self, form: dict[str, str]) -> Reply:
        state = self.state
        quirks = state.quirks
        state.count("refresh_posts")
        client_id = form.get("client_id", "")
        if client_id == BOOTSTRAP_CLIENT_ID or client_id not in state.registrations:
            return self._oauth_error(401, "invalid_client", "Unknown client; refresh with the issued client id.")
        if "scope" in form:
            return self._oauth_error(400, "invalid_scope", "Omit scope on refresh to retain the grant.")
        token = form.get("refresh_token", "")
        now = state.clock.now()
        with state.lock:
            record = state.refresh.get(token)
            registration = state.registrations[client_id]
            if record is None or record.client_id != client_id:
                return self._oauth_error(400, quirks.dead_refresh_code, "The refresh token is not valid.")
            if record.state == "rotated":
                state.count("refresh_reuse")
                if quirks.reuse_revokes_family:
                    self._revoke_family(record.family)
                return self._oauth_error(
                    401,
                    "refresh_token_reused",
                    "Your refresh token has already been used to generate a new access token. "
                    "Please try signing in again.",
                    nested=True,
                )
            if record.state == "revoked" or registration.disconnected or record.expires_at < now:
                return self._oauth_error(400, quirks.dead_refresh_code, "The refresh token is no longer valid.")
            if record.earliest_refresh_at is not None and now < record.earliest_refresh_at:
                state.count("early_refreshes")
                if quirks.early_refresh == "reject":
                    return self._oauth_error(400, "invalid_grant", "refresh not yet allowed")
                if quirks.early_refresh == "same_tokens":
                    return self._json(
                        200,
                        {"access_token": record.access_token, "refresh_token": token, "token_type": "Bearer",
                         "expires_in": ACCESS_TTL},
                    )  # fmt: skip
            scopes = record.scopes
            if quirks.refresh_drops_plan_scope:
                scopes = tuple(s for s in scopes if s != "chatgpt.tokens.use.direct")
            body = self._mint(client_id, record.sub, scopes, record.family, nonce=None)
            record.state = "rotated"
            record.successor = body.get("refresh_token")
            state.count("refreshes")
        if quirks.refresh_returns_scope or quirks.refresh_drops_plan_scope:
            body["scope"] = " ".join(sorted(scopes))
        if quirks.refresh_returns_id_token or quirks.refresh_returns_id_token_other_sub:
            sub = "user-other" if quirks.refresh_returns_id_token_other_sub else record.sub
            body["id_token"] = self.id_token(client_id, sub, nonce=None)
        return self._json(200, body)

    def _revoke_family(self, family: str) -> None:
        for record in self.state.refresh.values():
            if record.family == family and record.state == "live":
                record.state = "revoked"
        for grant in self.state.access.values():
            if grant.family == family:
                grant.revoked = True

    # ------------------------------------------------------------------------------ revoke, userinfo
    def revoke(self, request: HttpRequest) -> Reply:
        state = self.state
        state.count("revoke_posts")
        fault = state.take_fault("revoke")
        kind = fault["kind"] if fault else None
        if kind == "503":
            return self._json(503, {"error": "temporarily_unavailable"})
        if kind == "reset":
            return Reply(0, hang_up=True)
        form = request.form
        if (
            form is None
            or not form.get("token")
            or form.get("token_type_hint") not in (None, "refresh_token", "access_token")
            or not form.get("client_id")
        ):
            return self._oauth_error(400, "invalid_request", "token, token_type_hint and client_id are required.")
        with state.lock:
            record = state.refresh.get(form["token"])
            if record is not None and record.client_id == form["client_id"]:
                self._revoke_family(record.family)
                state.count("revocations")
        return Reply(200, b"", "text/plain", self._headers())

    def userinfo(self, request: HttpRequest) -> Reply:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        grant = self.state.access.get(token)
        if grant is None or grant.revoked or grant.expires_at < self.state.clock.now():
            return self._json(401, {"detail": "Unauthorized"})
        account = self.accounts.get(grant.sub)
        return self._json(200, {"sub": grant.sub, "email": account.email if account else None,
                                "name": account.name if account else None})  # fmt: skip
