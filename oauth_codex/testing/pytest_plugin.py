"""pytest plugin (auto-registered through ``pytest11``): the ``codex_emulator`` and ``siwc_emulator`` fixtures.

Kept import-light: the emulator loads only when a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from . import CodexEmulator, SiwcEmulator


@pytest.fixture
def codex_emulator() -> Iterator[CodexEmulator]:
    """A running :class:`~oauth_codex.testing.CodexEmulator` on 127.0.0.1, stopped after the test."""
    from . import CodexEmulator

    with CodexEmulator() as emulator:
        yield emulator


@pytest.fixture
def siwc_emulator() -> Iterator[SiwcEmulator]:
    """A running :class:`~oauth_codex.testing.SiwcEmulator` ("Sign in with ChatGPT" route), stopped after the test."""
    from . import SiwcEmulator

    with SiwcEmulator() as emulator:
        yield emulator
