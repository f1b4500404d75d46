"""The typed model catalog and the defaults it drives (issue 14 items 1-2; audit CODEX-2026-12 §7)."""

from __future__ import annotations

import dataclasses
import time
import warnings
from pathlib import Path

import pytest

from oauth_codex import CodexOAuthLLM, ModelInfo
from oauth_codex._catalog_cache import cache_file, load_cache, save_cache
from oauth_codex.client import DEFAULT_MODEL
from oauth_codex.testing import CodexEmulator

from .helpers import MODES, run


def _models_gets(emu: CodexEmulator) -> list[object]:
    return [r for r in emu.requests if r.method == "GET" and r.path.endswith("/models")]


def _age_cache(emu: CodexEmulator, llm: CodexOAuthLLM, seconds: float) -> Path:
    """Make this account's cache file look ``seconds`` older (and forget the client's in-memory copy)."""
    path = cache_file(llm._config.home_dir, emu.login_tokens().account_id)
    cached = load_cache(path)
    assert cached is not None
    save_cache(path, dataclasses.replace(cached, fetched_at=cached.fetched_at - seconds))
    llm._catalogs.clear()
    return path


async def test_list_models_is_typed_ordered_and_filtered(llm: CodexOAuthLLM) -> None:
    models = llm.list_models()
    assert all(isinstance(m, ModelInfo) for m in models)
    slugs = [m.slug for m in models]
    assert slugs[:4] == ["gpt-6-astra", "gpt-6-sol", "gpt-6-luna", "gpt-5.6-sol"]  # the server's order
    assert "gpt-5.4-mini" not in slugs  # visibility "hide"
    hidden = [m.slug for m in llm.list_models(include_hidden=True)]
    assert "gpt-5.4-mini" in hidden and "gpt-5.3-codex-spark" in hidden
    astra = models[0]
    assert astra.context_window == 272_000 and astra.default_reasoning_effort == "medium"
    assert astra.supported_reasoning_efforts == ["low", "medium", "high", "xhigh", "max"]
    assert astra.supports_reasoning_summaries and astra.supports_verbosity and astra.visibility == "list"
    assert astra.input_modalities == ["text", "image"] and astra.priority == 0
    assert astra.raw["minimal_client_version"] == "0.153.0"
    retired = next(m for m in models if m.slug == "gpt-5.4")
    assert retired.upgrade == "gpt-5.5"
    assert await llm.alist_models() == models


def test_the_list_is_gated_by_the_advertised_version(emu: CodexEmulator) -> None:
    old = emu.client(client_version="0.150.0")
    slugs = [m.slug for m in old.list_models()]
    assert "gpt-6-astra" not in slugs and "gpt-5.6-sol" in slugs
    assert _models_gets(emu)[-1].query["client_version"] == "0.150.0"  # type: ignore[attr-defined]


async def test_cache_spares_the_round_trip_then_revalidates_with_the_etag(
    emu: CodexEmulator, llm: CodexOAuthLLM
) -> None:
    first = llm.list_models()
    again = emu.client().list_models()  # a new process on the same home: no request
    assert again == first and len(_models_gets(emu)) == 1
    late = emu.client()
    path = _age_cache(emu, late, 7200)
    etag = load_cache(path).etag  # type: ignore[union-attr]
    assert etag
    assert await late.alist_models() == first
    gets = _models_gets(emu)
    assert len(gets) == 2 and gets[-1].status == 304  # type: ignore[attr-defined]
    assert gets[-1].header("if-none-match") == etag  # type: ignore[attr-defined]
    assert load_cache(path).fresh(time.time())  # type: ignore[union-attr]  # the 304 renewed the cache
    emu.update_model("gpt-6-astra", visibility="hide")  # the catalog changes: a new etag, a 200
    assert "gpt-6-astra" not in [m.slug for m in late.list_models(refresh=True)]
    assert _models_gets(emu)[-1].status == 200  # type: ignore[attr-defined]


def test_failed_fetch_falls_back_to_cache_then_builtin_with_a_warning(
    emu: CodexEmulator, llm: CodexOAuthLLM
) -> None:
    emu.server_error(status=500, times=1)
    with pytest.warns(UserWarning, match="built-in model list"):
        builtin = llm.list_models()
    assert builtin[0].slug == "gpt-6-astra" and "gpt-5.4" not in [m.slug for m in builtin]
    fetched = llm.list_models(refresh=True)
    emu.html_challenge(times=1)
    with pytest.warns(UserWarning, match="cached catalog"):
        assert llm.list_models(refresh=True) == fetched


@pytest.mark.parametrize("mode", MODES)
async def test_a_broken_cache_never_breaks_generate(emu: CodexEmulator, mode: str) -> None:
    llm = emu.client()
    path = cache_file(llm._config.home_dir, emu.login_tokens().account_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    result = await run(llm, mode, prompt="x")
    assert result.text and result.model == DEFAULT_MODEL
    assert _models_gets(emu) == []  # generate never asks /models on its own


@pytest.mark.parametrize("mode", MODES)
async def test_default_model_comes_from_the_cached_catalog(emu: CodexEmulator, mode: str) -> None:
    emu.client().list_models()
    fresh = emu.client()  # another instance: reads the cache file, no round trip
    result = await run(fresh, mode, prompt="x")
    assert result.model == "gpt-6-astra" == emu.responses_requests[-1].json["model"]
    assert await run(fresh, mode, prompt="x", model="gpt-5.5") and emu.responses_requests[-1].json["model"] == (
        "gpt-5.5"
    )


def test_model_env_var_beats_the_catalog(emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    emu.client().list_models()
    monkeypatch.setenv("CODEX_OAUTH_MODEL", "gpt-5.6-luna")
    emu.client().generate(prompt="x")
    assert emu.responses_requests[-1].json["model"] == "gpt-5.6-luna"


@pytest.mark.parametrize("mode", MODES)
async def test_a_retired_default_falls_back_to_the_catalog(emu: CodexEmulator, mode: str) -> None:
    emu.retire_model(DEFAULT_MODEL)
    llm = emu.client()
    result = await run(llm, mode, prompt="x")
    assert result.model == "gpt-6-astra"
    sent = [r.json["model"] for r in emu.responses_requests]
    assert sent == [DEFAULT_MODEL, "gpt-6-astra"] and len(_models_gets(emu)) == 1


async def test_an_explicit_unknown_model_is_not_swapped(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    from oauth_codex import ModelNotSupportedError

    with pytest.raises(ModelNotSupportedError):
        await llm.agenerate(prompt="x", model="gpt-5.4-nano")
    assert len(emu.responses_requests) == 1 and _models_gets(emu) == []


@pytest.mark.parametrize("mode", MODES)
async def test_efforts_are_mapped_and_clamped(emu: CodexEmulator, mode: str) -> None:
    llm = emu.client()
    llm.list_models()
    await run(llm, mode, prompt="x", model="gpt-6-astra", reasoning={"effort": "ultra"})
    assert emu.responses_requests[-1].json["reasoning"] == {"effort": "max"}
    with pytest.warns(UserWarning, match="'max' is not supported by 'gpt-5.5'.*sending 'xhigh'"):
        await run(llm, mode, prompt="x", model="gpt-5.5", reasoning={"effort": "ultra", "summary": "auto"})
    assert emu.responses_requests[-1].json["reasoning"] == {"effort": "xhigh", "summary": "auto"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await run(llm, mode, prompt="x", model="gpt-5", reasoning={"effort": "minimal"})  # not in the catalog
    assert emu.responses_requests[-1].json["reasoning"] == {"effort": "minimal"}

