"""SIWC refresh rules over loopback (SIWC.md §7; §17.4 "Refresh")."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from oauth_codex.auth import SiwcConfig, SiwcCredentials, SiwcStore, SiwcTokenProvider
from oauth_codex.errors import (
    IdentityVerificationUnavailableError,
    PlanUsageNotGrantedError,
    RefreshNotReadyError,
    RefreshOutcomeUnknownError,
    RefreshTokenError,
    ServerError,
)
from oauth_codex.testing import SiwcEmulator


def test_proactive_refresh_within_60s_of_expiry_and_never_before_earliest_refresh_at(
    emu: SiwcEmulator, config: SiwcConfig
) -> None:
    emu.quirks.earliest_refresh_offset = 3590  # later than "expiry - 60 s"
    first = emu.login(config=config)
    provider = SiwcTokenProvider(config, interactive=False, clock=emu.now)
    assert provider.get_token().token == first.access_token
    emu.advance(3550)  # 50 s left: due, but the server allows no refresh yet and the token still works
    assert provider.get_token().token == first.access_token
    assert emu.stats.get("refresh_posts", 0) == 0
    emu.advance(45)  # 5 s left, after earliest_refresh_at
    assert provider.get_token().token != first.access_token
    assert emu.stats["refreshes"] == 1 and emu.stats.get("early_refreshes", 0) == 0


def test_an_expired_token_before_earliest_refresh_at_is_refresh_not_ready(
    emu: SiwcEmulator, config: SiwcConfig
) -> None:
    emu.quirks.earliest_refresh_offset = 4000
    emu.login(config=config)
    provider = SiwcTokenProvider(config, interactive=False, clock=emu.now)
    emu.advance(3700)
    with pytest.raises(RefreshNotReadyError) as info:
        provider.get_token()
    assert info.value.retry_at is not None and info.value.retry_at.timestamp() == pytest.approx(emu.now() + 300, abs=2)
    assert emu.stats.get("refresh_posts", 0) == 0


@pytest.mark.parametrize("shape", ["int", "null", "absent", "iso", "ms"])
def test_earliest_refresh_at_in_every_shape(emu: SiwcEmulator, config: SiwcConfig, shape: str) -> None:
    emu.quirks.earliest_refresh_at = shape  # type: ignore[assignment]
    record = emu.login(config=config)
    if shape in ("null", "absent"):
        assert record.earliest_refresh_at is None
    else:
        assert record.earliest_refresh_at == pytest.approx(emu.now() + 3000, abs=2)


def test_the_refresh_form_is_correct_and_has_no_scope(
    emu: SiwcEmulator, signed_in: SiwcCredentials, provider: SiwcTokenProvider
) -> None:
    emu.advance(3595)
    provider.get_token()
    refresh = [r for r in emu.requests_to("/oauth/token") if r.form and r.form.get("grant_type") == "refresh_token"]
    assert len(refresh) == 1
    assert refresh[0].header("content-type") == "application/x-www-form-urlencoded"
    assert refresh[0].form == {
        "grant_type": "refresh_token",
        "client_id": signed_in.client_id,
        "refresh_token": signed_in.refresh_token,
        "resource": "https://api.openai.com/v1",
    }


def test_the_rotation_is_saved_before_it_is_used(
    emu: SiwcEmulator, config: SiwcConfig, store: SiwcStore, signed_in: SiwcCredentials
) -> None:
    provider = SiwcTokenProvider(config, interactive=False, clock=emu.now)
    llm = emu.client(token_provider=provider, model="gpt-6.1-sol")
    emu.advance(3595)
    llm.generate(prompt="hi")
    saved = store.load("default")
    assert saved is not None and saved.refresh_token != signed_in.refresh_token
    assert saved.refresh_state == "ok" and stat.S_IMODE(store.path("default").stat().st_mode) == 0o600
    used = emu.requests_to("/v1/responses")[-1].header("authorization")
    assert used == f"Bearer {saved.access_token}"
    assert emu.state.refresh[saved.refresh_token or ""].state == "live"


_CHILD = textwrap.dedent(
    """
    import sys, time
    from oauth_codex.auth import SiwcConfig, SiwcTokenProvider
    start = float(sys.argv[1])
    time.sleep(max(0.0, start - time.time()))
    token = SiwcTokenProvider(SiwcConfig.from_env(), interactive=False).get_token()
    print(token.token[-12:])
    """
)


def test_two_processes_refresh_concurrently_with_exactly_one_post(
    emu: SiwcEmulator, config: SiwcConfig, store: SiwcStore, signed_in: SiwcCredentials, tmp_path: Path
) -> None:
    emu.quirks.earliest_refresh_offset = 0
    store.save("default", signed_in.model_copy(update={"expires_at": time.time() + 30, "earliest_refresh_at": None}))
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = {**os.environ, **emu.env(), "CODEX_OAUTH_HOME": str(config.home)}
    start = str(time.time() + 1.5)
    children = [
        subprocess.Popen(
            [sys.executable, str(script), start], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=60) for child in children]
    assert all(child.returncode == 0 for child in children), outputs
    assert emu.stats["refresh_posts"] == 1
    assert outputs[0][0] == outputs[1][0]  # both use the one rotation


def test_commit_then_reset_is_an_unknown_outcome_and_the_token_is_never_re_spent(
    emu: SiwcEmulator, store: SiwcStore, provider: SiwcTokenProvider
) -> None:
    emu.fail_token("commit_then_reset")
    emu.advance(3595)
    with pytest.raises(RefreshOutcomeUnknownError, match="login --route siwc"):
        provider.get_token()
    with pytest.raises(RefreshOutcomeUnknownError):
        SiwcTokenProvider(provider.config, interactive=False, clock=emu.now).get_token()  # a new process alike
    assert emu.stats["refresh_posts"] == 1
    saved = store.load("default")
    assert saved is not None and saved.refresh_state == "uncertain" and saved.refresh_token is not None


def test_refresh_token_reuse_requires_a_new_sign_in_and_keeps_the_registration(
    emu: SiwcEmulator, store: SiwcStore, signed_in: SiwcCredentials, provider: SiwcTokenProvider
) -> None:
    # someone else spends the refresh token first (e.g. a copied credentials file)
    with httpx.Client() as http:
        reply = http.post(
            emu.issuer + "/api/accounts/oauth/token",
            data={"grant_type": "refresh_token", "client_id": signed_in.client_id,
                  "refresh_token": signed_in.refresh_token, "resource": "https://api.openai.com/v1"},
        )  # fmt: skip
    assert reply.status_code == 200
    emu.advance(3595)
    with pytest.raises(RefreshTokenError) as info:
        provider.get_token()
    assert info.value.code == "refresh_token_reused"
    saved = store.load("default")
    assert saved is not None and saved.status == "reauth_required"
    assert saved.access_token is None and saved.refresh_token is None
    assert (saved.client_id, saved.subject, saved.ext_agent_host_id) == (
        signed_in.client_id,
        signed_in.subject,
        signed_in.ext_agent_host_id,
    )
    assert emu.stats["refresh_reuse"] == 1


@pytest.mark.parametrize("code", ["invalid_grant", "refresh_token_expired", "refresh_token_invalidated"])
def test_terminal_refresh_codes_clear_the_tokens(
    emu: SiwcEmulator, store: SiwcStore, provider: SiwcTokenProvider, code: str
) -> None:
    emu.quirks.dead_refresh_code = code
    emu.disconnect_in_settings()
    emu.advance(3595)
    with pytest.raises(RefreshTokenError) as info:
        provider.get_token()
    assert info.value.code == code
    saved = store.load("default")
    assert saved is not None and saved.refresh_token is None and saved.client_id.startswith("oaiapp_")


@pytest.mark.parametrize("fault", ["503", "html_502"])
def test_a_server_failure_keeps_the_tokens(
    emu: SiwcEmulator, store: SiwcStore, signed_in: SiwcCredentials, provider: SiwcTokenProvider, fault: str
) -> None:
    emu.fail_token(fault)
    emu.advance(3700)  # expired: the failure is raised, not hidden
    with pytest.raises(ServerError):
        provider.get_token()
    saved = store.load("default")
    assert saved is not None and saved.refresh_token == signed_in.refresh_token and saved.refresh_state == "ok"
    assert provider.get_token().token != signed_in.access_token  # next time it works


def test_a_jwks_outage_on_refresh_keeps_the_pending_rotation(
    emu: SiwcEmulator, store: SiwcStore, signed_in: SiwcCredentials, config: SiwcConfig
) -> None:
    emu.quirks.refresh_returns_id_token = True
    provider = SiwcTokenProvider(config, interactive=False, clock=emu.now)  # its JWKS cache is empty
    emu.fail_jwks("503")
    emu.advance(3595)
    with pytest.raises(IdentityVerificationUnavailableError):
        provider.get_token()
    pending = store.load("default")
    assert pending is not None and pending.refresh_state == "pending_verification"
    assert pending.refresh_token != signed_in.refresh_token  # the only valid refresh token is kept
    token = provider.get_token()  # JWKS is back: verified, then used; no second refresh
    assert token.token == pending.access_token and emu.stats["refresh_posts"] == 1


def test_a_refreshed_id_token_for_another_account_is_refused(
    emu: SiwcEmulator, store: SiwcStore, provider: SiwcTokenProvider
) -> None:
    from oauth_codex.errors import AccountMismatchError

    emu.quirks.refresh_returns_id_token_other_sub = True
    emu.advance(3595)
    with pytest.raises(AccountMismatchError):
        provider.get_token()
    saved = store.load("default")
    assert saved is not None and saved.access_token is None


def test_a_refresh_that_drops_plan_usage_stops_inference(emu: SiwcEmulator, provider: SiwcTokenProvider) -> None:
    emu.quirks.refresh_drops_plan_scope = True
    emu.advance(3595)
    with pytest.raises(PlanUsageNotGrantedError):
        provider.get_token()


def test_concurrent_threads_share_one_refresh(emu: SiwcEmulator, provider: SiwcTokenProvider) -> None:
    from concurrent.futures import ThreadPoolExecutor

    emu.advance(3595)
    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(lambda _: provider.get_token().token, range(8)))
    assert len(tokens) == 1 and emu.stats["refresh_posts"] == 1


async def test_concurrent_tasks_share_one_refresh(emu: SiwcEmulator, provider: SiwcTokenProvider) -> None:
    import asyncio

    emu.advance(3595)
    tokens = {t.token for t in await asyncio.gather(*(provider.aget_token() for _ in range(6)))}
    assert len(tokens) == 1 and emu.stats["refresh_posts"] == 1


def test_secrets_never_appear_in_the_saved_record_repr(store: SiwcStore, signed_in: SiwcCredentials) -> None:
    text = repr(store.load("default"))
    for secret in (signed_in.access_token, signed_in.refresh_token, signed_in.id_token):
        assert secret and secret not in text
    assert json.loads(store.path("default").read_text())["client_id"] == signed_in.client_id
