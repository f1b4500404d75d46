"""Fixtures of the SIWC route tests: a running SiwcEmulator, its config and store, a signed-in profile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oauth_codex.auth import SiwcConfig, SiwcCredentials, SiwcStore, SiwcTokenProvider
from oauth_codex.testing import SiwcEmulator


@pytest.fixture
def emu() -> Iterator[SiwcEmulator]:
    with SiwcEmulator() as emulator:
        yield emulator


@pytest.fixture
def config(emu: SiwcEmulator) -> SiwcConfig:
    return emu.siwc_config()


@pytest.fixture
def store(config: SiwcConfig) -> SiwcStore:
    return SiwcStore(config)


@pytest.fixture
def signed_in(emu: SiwcEmulator, config: SiwcConfig) -> SiwcCredentials:
    """A profile signed in through the real browser flow (plan usage granted)."""
    return emu.login(config=config)


@pytest.fixture
def provider(emu: SiwcEmulator, config: SiwcConfig, signed_in: SiwcCredentials) -> SiwcTokenProvider:
    """A provider on the emulator's clock (so tests can move time for both)."""
    return SiwcTokenProvider(config, interactive=False, clock=emu.now)
