"""The notebooks clean up after themselves and use today's APIs (issue 15, items 8 and 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_that_starts_an_emulator_stops_it(path: Path) -> None:
    cells = code_cells(path)
    if not any("Emulator(" in cell for cell in cells):  # CodexEmulator, SiwcEmulator
        pytest.skip("no emulator")
    assert "emu.stop()" in cells[-1], f"{path.name}: the last code cell must stop the emulator"


def test_the_langchain_notebook_uses_create_agent() -> None:
    source = "\n".join(code_cells(ROOT / "notebooks" / "03_langchain.ipynb"))
    assert "from langchain.agents import create_agent" in source
    assert "langgraph.prebuilt" not in source and "create_react_agent" not in source
