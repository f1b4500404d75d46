"""pytest plugin (auto-registered through the ``pytest11`` entry point): the ``codex_emulator`` fixture.

Kept import-light: the emulator loads only when a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from . import CodexEmulator


@pytest.fixture
def codex_emulator() -> Iterator[CodexEmulator]:
    """A running :class:`~oauth_codex.testing.CodexEmulator` on 127.0.0.1, stopped after the test."""
    from . import CodexEmulator

    with CodexEmulator() as emulator:
        yield emulator
