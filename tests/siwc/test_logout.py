"""SIWC sign-out and revocation (SIWC.md §8; §17.4 "Logout")."""

from __future__ import annotations

from pathlib import Path

from oauth_codex.auth import SiwcConfig, SiwcCredentials, SiwcStore, siwc_logout
from oauth_codex.testing import SiwcEmulator


def test_an_empty_200_confirms_the_revocation(
    emu: SiwcEmulator, config: SiwcConfig, store: SiwcStore, signed_in: SiwcCredentials
) -> None:
    result = siwc_logout(config)
    assert result.revoked and "revoked" in result.message
    revoke = emu.requests_to("/oauth/revoke")
    assert len(revoke) == 1 and revoke[0].form == {
        "token": signed_in.refresh_token,
        "token_type_hint": "refresh_token",
        "client_id": signed_in.client_id,
    }
    assert emu.state.refresh[signed_in.refresh_token or ""].state == "revoked"
    saved = store.load("default")
    assert saved is not None and saved.status == "disconnected"
    assert saved.access_token is saved.refresh_token is saved.id_token is None
    assert saved.client_id == signed_in.client_id and store.host_id() == signed_in.ext_agent_host_id


def test_503_twice_is_unconfirmed_but_the_tokens_are_cleared_and_the_registration_kept(
    emu: SiwcEmulator, config: SiwcConfig, store: SiwcStore, signed_in: SiwcCredentials
) -> None:
    emu.fail_revoke("503", times=2)
    result = siwc_logout(config)
    assert not result.revoked and "ChatGPT Settings" in result.message
    assert len(emu.requests_to("/oauth/revoke")) == 2
    saved = store.load("default")
    assert saved is not None and saved.refresh_token is None and saved.client_id == signed_in.client_id
    assert store.host_id() == signed_in.ext_agent_host_id


def test_without_a_revocation_endpoint_the_sign_out_is_unconfirmed(
    emu: SiwcEmulator, config: SiwcConfig, signed_in: SiwcCredentials
) -> None:
    emu.fail_discovery("no_revocation")
    assert not siwc_logout(config).revoked
    assert emu.requests_to("/oauth/revoke") == []


def test_signing_in_after_sign_out_reuses_the_registration(
    emu: SiwcEmulator, config: SiwcConfig, signed_in: SiwcCredentials
) -> None:
    siwc_logout(config)
    again = emu.login(config=config)
    assert again.client_id == signed_in.client_id and emu.stats["registrations"] == 1


def test_tokens_go_to_the_keyring_first_and_the_file_keeps_no_secret(
    emu: SiwcEmulator, config: SiwcConfig, tmp_path: Path
) -> None:
    from keyrings.alt.file import PlaintextKeyring

    from oauth_codex.auth import SiwcTokenProvider

    keyring = PlaintextKeyring()
    keyring.file_path = str(tmp_path / "keyring.cfg")  # type: ignore[misc]
    store = SiwcStore(config, storage="keyring", keyring_backend=keyring)
    record = emu.login(config=config, store=store)
    text = store.path("default").read_text()
    assert '"secrets": "keyring"' in text
    for secret in (record.access_token, record.refresh_token, record.id_token):
        assert secret and secret not in text
    loaded = store.load("default")
    assert loaded is not None and loaded.refresh_token == record.refresh_token
    provider = SiwcTokenProvider(config, store=store, interactive=False, clock=emu.now)
    emu.advance(3595)
    assert provider.get_token().token != record.access_token  # the rotation went to the keyring too
    rotated = store.load("default")
    assert rotated is not None and rotated.refresh_token != record.refresh_token
    siwc_logout(config, store=store)
    assert keyring.get_password("oauth-codex-siwc", "default") is None  # signed out: nothing left behind


def test_auto_storage_falls_back_to_the_file_without_a_keyring(emu: SiwcEmulator, config: SiwcConfig) -> None:
    store = SiwcStore(config, storage="auto")  # the test keyring backend always fails
    record = emu.login(config=config, store=store)
    assert '"secrets": "file"' in store.path("default").read_text()
    loaded = store.load("default")
    assert loaded is not None and loaded.access_token == record.access_token
