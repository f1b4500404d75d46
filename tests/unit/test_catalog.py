"""The pure catalog helpers against recorded shapes (issue 14 items 1-2, 5; audit CODEX-2026-12 §7)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oauth_codex import ModelNotSupportedError
from oauth_codex._catalog import (
    BUILTIN_MODELS,
    CODEX_CLIENT_VERSION,
    builtin_catalog,
    clamp_effort,
    client_version,
    parse_catalog,
    parse_model,
    visible,
    wire_effort,
)
from oauth_codex._catalog_cache import CachedCatalog, cache_file, load_cache, save_cache
from oauth_codex._failures import classify

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "codex_catalog_and_drift_2026.json").read_text())


def test_a_real_models_json_entry_parses() -> None:
    info = parse_model(FIXTURE["models_json_entry"])
    assert info is not None
    assert info.slug == "gpt-5.2-codex" and info.display_name == "gpt-5.2-codex"
    assert info.context_window == 272_000 and info.default_reasoning_effort == "medium"
    assert info.supported_reasoning_efforts == ["low", "medium", "high", "xhigh"]
    assert info.supports_reasoning_summaries and not info.supports_verbosity
    assert info.input_modalities == ["text", "image"] and info.visibility == "list"
    assert info.priority == 0 and info.upgrade is None
    assert info.raw["apply_patch_tool_type"] == "freeform"


def test_odd_entries_never_raise() -> None:
    models = parse_catalog(
        {"models": ["plain-slug", {"id": "by-id", "upgrade": {"model": "newer"}}, {"no": "slug"}, 3, None]}
    )
    assert [m.slug for m in models] == ["plain-slug", "by-id"]
    assert models[1].upgrade == "newer"
    assert parse_catalog({"data": "nope"}) == [] and parse_catalog(None) == []
    hidden = parse_catalog([{"slug": "a", "visibility": "hide"}, {"slug": "b"}])
    assert [m.slug for m in visible(hidden)] == ["b"] and len(visible(hidden, include_hidden=True)) == 2


def test_builtin_list_is_current() -> None:
    slugs = [m.slug for m in builtin_catalog()]
    assert slugs[0] == "gpt-6-astra" and "gpt-5.5" in slugs
    assert not {"gpt-5.4", "gpt-5.3-codex", "gpt-5.2"} & set(slugs)  # retired (audit §7)
    assert len(slugs) == len(BUILTIN_MODELS)


def test_efforts() -> None:
    assert wire_effort("ultra") == "max" and wire_effort("high") == "high"
    gpt55 = next(m for m in builtin_catalog() if m.slug == "gpt-5.5")
    assert clamp_effort("max", gpt55) == "xhigh"
    assert clamp_effort("minimal", gpt55) == "none"  # a tie goes to the weaker effort
    assert clamp_effort("high", gpt55) == "high"
    assert clamp_effort("turbo", gpt55) == "turbo" and clamp_effort("max", None) == "max"


def test_client_version() -> None:
    assert client_version() == CODEX_CLIENT_VERSION
    assert client_version(env={"CODEX_OAUTH_CLIENT_VERSION": " 0.160.0 "}) == "0.160.0"
    assert client_version("0.1.0", env={"CODEX_OAUTH_CLIENT_VERSION": "0.160.0"}) == "0.1.0"


def test_recorded_drift_bodies_are_typed() -> None:
    gated = classify(400, json.dumps(FIXTURE["gated_400"]))
    assert isinstance(gated, ModelNotSupportedError) and gated.gated and gated.model == "gpt-6-astra"
    retired = classify(400, json.dumps(FIXTURE["retired_400"]))
    assert isinstance(retired, ModelNotSupportedError) and not retired.gated and retired.model == "gpt-5.4"


def test_cache_file_round_trip_and_damage(tmp_path: Path) -> None:
    path = cache_file(tmp_path, "acc/../weird id")
    assert path.parent == tmp_path / "models" and "/" not in path.name
    assert load_cache(path) is None
    catalog = CachedCatalog(100.0, 'W/"x"', "0.155.0", [FIXTURE["models_json_entry"]])
    assert save_cache(path, catalog)
    loaded = load_cache(path)
    assert loaded == catalog and loaded is not None and loaded.infos[0].slug == "gpt-5.2-codex"
    assert loaded.fresh(100.0 + 60) and not loaded.fresh(100.0 + 7200)
    path.write_text('{"v": 1, "fetched_at": "soon"}')
    assert load_cache(path) is None
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert save_cache(blocker / "models" / "x.json", catalog) is False  # a failed write is reported, not raised


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_cache_creates_private_directories(tmp_path: Path) -> None:
    """The catalog cache may be the first to create CODEX_OAUTH_HOME: 0700, not the umask's 0755 (issue 15,
    item 2: existing directories are no longer tightened afterwards)."""
    home = tmp_path / "fresh-home"
    path = cache_file(home, "acct")
    old = os.umask(0o022)
    try:
        assert save_cache(path, CachedCatalog(0.0, None, "0.1.0", []))
    finally:
        os.umask(old)
    for folder in [path.parent, *[p for p in path.parents if p.is_relative_to(home)]]:
        assert (folder.stat().st_mode & 0o777) == 0o700, folder
