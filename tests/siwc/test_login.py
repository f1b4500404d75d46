"""SIWC sign-in over loopback against the strict emulator (SIWC.md §2-§5, §9; §17.4 "Login")."""

from __future__ import annotations

import io
import stat
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from oauth_codex import CodexOAuthLLM
from oauth_codex.auth import SiwcConfig, SiwcStore, SiwcTokenProvider, siwc_login
from oauth_codex.errors import (
    AccountMismatchError,
    IdentityVerificationUnavailableError,
    LoginError,
    PlanUsageNotGrantedError,
)
from oauth_codex.testing import SiwcBrowser, SiwcEmulator


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_registration_url_carries_exactly_the_documented_parameters(emu: SiwcEmulator, config: SiwcConfig) -> None:
    browser = SiwcBrowser()
    emu.login(config=config, open_browser=browser)
    query = _query(browser.urls[0])
    assert set(query) == {
        "client_id", "agent_name_hint", "ext_agent_host_id", "response_type", "redirect_uri", "scope", "resource",
        "state", "nonce", "code_challenge", "code_challenge_method",
    }  # fmt: skip
    assert all(len(v) == 1 for v in query.values())
    assert query["client_id"] == ["dynamic_agent_client"]
    assert query["agent_name_hint"] == ["oauth-codex"]
    assert query["ext_agent_host_id"][0].startswith("urn:uuid:")
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["openid profile email offline_access resource.invoke chatgpt.tokens.use.direct"]
    assert query["resource"] == ["https://api.openai.com/v1"]
    assert query["code_challenge_method"] == ["S256"]
    redirect = urlsplit(query["redirect_uri"][0])
    assert (redirect.scheme, redirect.hostname, redirect.path) == ("http", "127.0.0.1", "/auth/callback")
    assert query["state"][0] != query["nonce"][0]


def test_reauthorization_reuses_the_issued_client_id_and_the_host_id(emu: SiwcEmulator, config: SiwcConfig) -> None:
    first = emu.login(config=config)
    browser = SiwcBrowser()
    again = emu.login(config=config, open_browser=browser)
    query = _query(browser.urls[0])
    assert query["client_id"] == [first.client_id]
    assert "agent_name_hint" not in query
    assert query["ext_agent_host_id"] == [first.ext_agent_host_id]
    assert query["id_token_hint"] == [first.id_token]
    assert query["login_hint"] == ["user@example.com"]
    assert again.client_id == first.client_id and again.subject == first.subject
    assert emu.stats["registrations"] == 1


def test_callback_listener_rejects_wrong_path_method_host_and_tampered_state(
    emu: SiwcEmulator, config: SiwcConfig
) -> None:
    answers: list[int] = []

    def hostile_then_real(url: str) -> bool:
        redirect = _query(url)["redirect_uri"][0]
        origin = redirect.removesuffix("/auth/callback")
        with httpx.Client(timeout=5) as http:
            answers.append(http.get(f"{origin}/callback?code=x&state=y").status_code)
            answers.append(http.post(f"{redirect}?code=x&state=y").status_code)
            port = urlsplit(redirect).port
            answers.append(http.get(f"{redirect}?code=x&state=y", headers={"Host": f"localhost:{port}"}).status_code)
            answers.append(http.get(f"{redirect}?code=x&state=forged").status_code)
        return SiwcBrowser()(url)

    record = emu.login(config=config, open_browser=hostile_then_real)
    assert answers[0] == 404 and answers[2] == 404 and answers[3] == 400
    assert answers[1] >= 400  # no POST handler: the stdlib answers 501
    assert record.status == "connected"  # the listener kept waiting for the real callback


def test_issued_client_id_is_persisted_before_the_code_exchange(
    emu: SiwcEmulator, config: SiwcConfig, store: SiwcStore
) -> None:
    emu.fail_token("503")
    with pytest.raises(LoginError):
        emu.login(config=config)
    saved = store.load("default")
    assert saved is not None and saved.client_id.startswith("oaiapp_")
    assert saved.access_token is None and saved.status == "registering"
    exchange = emu.requests_to("/oauth/token")[0]
    assert exchange.form is not None and exchange.form["client_id"] == saved.client_id
    browser = SiwcBrowser()
    record = emu.login(config=config, open_browser=browser)
    assert _query(browser.urls[0])["client_id"] == [saved.client_id]  # reused, never a second registration
    assert record.client_id == saved.client_id and emu.stats["registrations"] == 1


def test_invalid_grant_on_exchange_starts_one_fresh_authorization_with_the_issued_id(
    emu: SiwcEmulator, config: SiwcConfig
) -> None:
    emu.fail_token("invalid_grant")
    browser = SiwcBrowser()
    out = io.StringIO()
    record = emu.login(config=config, open_browser=browser, output=out)
    assert len(browser.urls) == 2
    assert _query(browser.urls[0])["client_id"] == ["dynamic_agent_client"]
    assert _query(browser.urls[1])["client_id"] == [record.client_id]
    assert emu.stats["registrations"] == 1
    assert "starting a fresh sign-in" in out.getvalue()


def test_identity_only_consent_is_a_distinct_state_and_no_inference_is_attempted(
    emu: SiwcEmulator, config: SiwcConfig
) -> None:
    emu.scenario = "identity_only"
    out = io.StringIO()
    record = emu.login(config=config, output=out)
    assert record.status == "connected" and not record.plan_enabled
    assert "--enable-plan" in out.getvalue() and "You're using your ChatGPT plan" not in out.getvalue()
    llm = emu.client(token_provider=SiwcTokenProvider(config, interactive=False))
    with pytest.raises(PlanUsageNotGrantedError, match="--enable-plan"):
        llm.generate(prompt="hi")
    assert emu.requests_to("/v1/responses") == []
    # re-enabling asks for consent again with the saved client id and the complete scope set
    emu.scenario = "consent_all"
    browser = SiwcBrowser()
    enabled = emu.login(config=config, open_browser=browser, enable_plan=True)
    query = _query(browser.urls[0])
    assert query["prompt"] == ["consent"] and query["client_id"] == [record.client_id]
    assert "chatgpt.tokens.use.direct" in query["scope"][0]
    assert enabled.plan_enabled


def test_deny_makes_no_token_call(emu: SiwcEmulator, config: SiwcConfig, store: SiwcStore) -> None:
    emu.scenario = "deny"
    with pytest.raises(LoginError) as info:
        emu.login(config=config)
    assert info.value.code == "access_denied"
    assert emu.requests_to("/oauth/token") == []
    assert store.load("default") is None


def test_account_switch_on_reauthorization_raises_account_mismatch_and_keeps_the_profile(
    emu: SiwcEmulator, config: SiwcConfig, store: SiwcStore
) -> None:
    before = emu.login(config=config)
    emu.scenario = "account_switch"
    with pytest.raises(AccountMismatchError):
        emu.login(config=config)
    after = store.load("default")
    assert after is not None
    assert (after.subject, after.access_token, after.refresh_token) == (
        before.subject,
        before.access_token,
        before.refresh_token,
    )


def test_a_registration_callback_without_client_id_is_incomplete(emu: SiwcEmulator, config: SiwcConfig) -> None:
    emu.scenario = "no_client_id"
    with pytest.raises(LoginError) as info:
        emu.login(config=config)
    assert info.value.code == "registration_incomplete"
    assert emu.requests_to("/oauth/token") == []


def test_a_reauthorization_callback_with_another_client_id_is_refused(emu: SiwcEmulator, config: SiwcConfig) -> None:
    emu.login(config=config)
    emu.scenario = "other_client_id"
    with pytest.raises(LoginError) as info:
        emu.login(config=config)
    assert info.value.code == "connection_changed"


def test_jwks_outage_on_sign_in_stores_no_usable_credentials(
    emu: SiwcEmulator, config: SiwcConfig, store: SiwcStore
) -> None:
    emu.fail_jwks("503")
    with pytest.raises(IdentityVerificationUnavailableError):
        emu.login(config=config)
    saved = store.load("default")
    assert saved is not None and saved.access_token is None and saved.status == "registering"
    assert emu.login(config=config).status == "connected"  # the outage is over: the same registration works


@pytest.mark.parametrize("fault", ["issuer_mismatch", "foreign_endpoint"])
def test_discovery_fails_closed(emu: SiwcEmulator, config: SiwcConfig, fault: str) -> None:
    emu.fail_discovery(fault)
    with pytest.raises(LoginError):
        emu.login(config=config)
    assert emu.requests_to("/authorize") == []


@pytest.mark.parametrize("fault", ["503", "empty", "unknown_kid", "malformed"])
def test_every_jwks_fault_is_the_retryable_identity_error(emu: SiwcEmulator, config: SiwcConfig, fault: str) -> None:
    emu.fail_jwks(fault)
    with pytest.raises(IdentityVerificationUnavailableError):
        emu.login(config=config)


def test_a_new_signing_key_is_fetched_on_an_unknown_kid(emu: SiwcEmulator, config: SiwcConfig) -> None:
    emu.login(config=config)
    emu.rotate_signing_key()
    assert emu.login(config=config).status == "connected"


@pytest.mark.parametrize("aud_string", [False, True])
def test_aud_as_array_or_string_is_accepted(emu: SiwcEmulator, config: SiwcConfig, aud_string: bool) -> None:
    emu.quirks.aud_string = aud_string
    emu.quirks.callback_iss = True
    emu.quirks.callback_client_id_on_reauth = True
    emu.login(config=config)
    assert emu.login(config=config).status == "connected"


def test_paste_mode_validates_the_pasted_url(emu: SiwcEmulator, config: SiwcConfig) -> None:
    pasted: list[str] = []

    def user(prompt: str) -> str:
        out_text = out.getvalue()
        url = next(line.strip() for line in out_text.splitlines() if "/authorize?" in line)
        if not pasted:
            pasted.append("just-a-code")
            return "just-a-code"  # a bare code is not enough on this route: asked again
        with httpx.Client(timeout=5) as http:
            location = http.get(url).headers["location"]
        pasted.append(location)
        return location

    out = io.StringIO()
    record = siwc_login(config, mode="paste", input_func=user, output=out)
    assert record.plan_enabled and len(pasted) == 2
    assert "Please paste it again" in out.getvalue()


def test_device_mode_says_there_is_no_device_flow(config: SiwcConfig) -> None:
    with pytest.raises(LoginError, match="no device-code sign-in") as info:
        siwc_login(config, mode="device", output=io.StringIO())
    assert info.value.code == "device_unsupported"


def test_first_sign_in_shows_the_plan_notice_once_and_saves_privately(
    emu: SiwcEmulator, config: SiwcConfig, store: SiwcStore
) -> None:
    first, second = io.StringIO(), io.StringIO()
    emu.login(config=config, output=first)
    emu.login(config=config, output=second)
    assert "Continue with ChatGPT" in first.getvalue()
    assert first.getvalue().count("You're using your ChatGPT plan") == 1
    assert "You're using your ChatGPT plan" not in second.getvalue()
    assert "https://chatgpt.com/settings/usage" in first.getvalue()
    mode = stat.S_IMODE(store.path("default").stat().st_mode)
    assert mode == 0o600
    saved = store.load("default")
    assert saved is not None and saved.access_token is not None
    assert saved.access_token not in repr(saved) and saved.access_token not in first.getvalue()


def test_the_codex_route_is_untouched_by_a_siwc_login(emu: SiwcEmulator, config: SiwcConfig) -> None:
    emu.login(config=config)
    assert CodexOAuthLLM(interactive=False).route == "codex"


def test_the_printed_reauthorization_url_never_carries_the_id_token(emu: SiwcEmulator, config: SiwcConfig) -> None:
    first = emu.login(config=config)
    out = io.StringIO()
    browser = SiwcBrowser()
    emu.login(config=config, open_browser=browser, output=out)
    assert "id_token_hint" in browser.urls[0]  # the browser gets it (it skips the account picker)
    assert first.id_token and first.id_token not in out.getvalue() and "id_token_hint" not in out.getvalue()
