"""Construction, configuration, lazy auth, models, lifecycle."""

from __future__ import annotations

import subprocess
import sys
import warnings

import httpx
import pytest

from oauth_codex import CodexOAuthLLM, NotAuthenticatedError, StaticTokenProvider
from oauth_codex.testing import CodexEmulator

from .helpers import CountingProvider


def test_api_mode_other_than_responses_is_rejected() -> None:
    with pytest.raises(ValueError, match="api_mode='chat'.*Responses API"):
        CodexOAuthLLM(api_mode="chat")


def test_validate_model_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="validate_model=True is unsupported in codex-backend mode"):
        CodexOAuthLLM(validate_model=True)


def test_bad_max_retries() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        CodexOAuthLLM(max_retries=-1)


@pytest.mark.parametrize(
    "url",
    [
        "https://chatgpt.com/backend-api/codex",
        "http://127.0.0.1:9/backend-api/codex",
        "http://localhost:9/x",
        "http://[::1]:9/x",
    ],
)
def test_trusted_base_urls_do_not_warn(url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CodexOAuthLLM(base_url=url)


def test_other_base_url_warns_that_the_token_follows_it() -> None:
    with pytest.warns(UserWarning, match="access token will be sent to that host"):
        CodexOAuthLLM(base_url="https://proxy.example.com/codex")


def test_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEX_OAUTH_BASE_URL", "http://127.0.0.1:1/backend-api/codex/")
    assert CodexOAuthLLM().responses_url == "http://127.0.0.1:1/backend-api/codex/responses"
    assert CodexOAuthLLM(base_url="http://127.0.0.1:2/b").responses_url == "http://127.0.0.1:2/b/responses"


def test_construction_does_no_io_and_builds_no_provider() -> None:
    llm = CodexOAuthLLM()
    assert llm._token_provider is None  # built lazily, on the first request
    assert "token" not in repr(llm).lower()


def test_no_login_and_not_interactive_says_what_to_run(emu: CodexEmulator) -> None:
    from oauth_codex import MemoryTokenStore

    llm = emu.client(token_store=MemoryTokenStore(), interactive=False)
    with pytest.raises(NotAuthenticatedError, match="oauth-codex login"):
        llm.generate(prompt="x")
    assert emu.responses_requests == []


def test_input_errors_raise_at_call_time_for_streams() -> None:
    llm = CodexOAuthLLM(token_provider=StaticTokenProvider("t"))
    with pytest.raises(ValueError, match="prompt"):
        llm.generate_stream()
    with pytest.raises(ValueError, match="prompt"):
        llm.agenerate_stream()


def test_import_is_light() -> None:
    code = (
        "import sys, oauth_codex; from oauth_codex import CodexOAuthLLM; CodexOAuthLLM();"
        "heavy = [m for m in ('keyring', 'langchain_core', 'llama_index', 'oauth_codex.testing', 'openai')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


async def test_list_models(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    models = llm.list_models()
    slugs = [m.slug for m in models]
    assert "gpt-5.3-codex" in slugs and "gpt-5.5" in slugs
    assert await llm.alist_models(refresh=True) == models
    request = emu.requests[-1]
    assert request.method == "GET" and request.path.endswith("/backend-api/codex/models")
    assert request.headers["authorization"].startswith("Bearer ")


def test_list_models_refreshes_on_401(
    emu: CodexEmulator, llm: CodexOAuthLLM, provider: CountingProvider
) -> None:
    emu.unauthorized(times=1)
    assert llm.list_models()
    assert len(provider.refreshes) == 1


def test_real_oauth_provider_refreshes_on_401(emu: CodexEmulator) -> None:
    llm = emu.client()  # MemoryTokenStore + the OAuth token provider
    assert llm.generate(prompt="a")
    emu.unauthorized(times=1)
    assert llm.generate(prompt="b")
    assert emu.grant_counts.get("refresh_token") == 1
    first, second = emu.responses_requests[-2:]
    assert first.headers["authorization"] != second.headers["authorization"]


def test_injected_http_clients_are_used_and_left_open(emu: CodexEmulator, provider: CountingProvider) -> None:
    seen: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: seen.append(str(r.url))]})
    with emu.client(token_provider=provider, http_client=http) as llm:
        llm.generate(prompt="x")
    assert seen == [f"{emu.base_url}/responses"]
    assert not http.is_closed
    http.close()


async def test_injected_async_client_and_async_context_manager(
    emu: CodexEmulator, provider: CountingProvider
) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.method)

    http = httpx.AsyncClient(event_hooks={"request": [hook]})
    async with emu.client(token_provider=provider, async_http_client=http) as llm:
        await llm.agenerate(prompt="x")
    assert seen == ["POST"]
    assert not http.is_closed
    await http.aclose()


async def test_owned_clients_are_closed(emu: CodexEmulator, provider: CountingProvider) -> None:
    llm = emu.client(token_provider=provider)
    llm.generate(prompt="x")
    await llm.agenerate(prompt="x")
    sync_client, async_client = llm._http_client, llm._async_http_client
    assert sync_client is not None and async_client is not None
    await llm.aclose()
    assert sync_client.is_closed and async_client.is_closed
    # usable again afterwards (a new client is created on demand)
    assert llm.generate(prompt="again")


def test_early_break_closes_the_stream(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    emu.set_answer(deltas=50)
    stream = llm.generate_stream(prompt="x")
    first = next(iter(stream))
    assert isinstance(first, str)
    stream.close()  # type: ignore[attr-defined]
    assert llm.generate(prompt="after")  # the connection pool is still healthy


def test_each_event_loop_gets_its_own_async_client(emu: CodexEmulator, provider: CountingProvider) -> None:
    import asyncio

    llm = emu.client(token_provider=provider)
    seen = []

    async def call(prompt: str) -> str:
        text = await llm.agenerate(prompt=prompt)
        seen.append(llm._async_http_client)
        return text

    assert asyncio.run(call("one")) == 'Emulator reply to: "one"'
    assert asyncio.run(call("two")) == 'Emulator reply to: "two"'
    assert seen[0] is not seen[1]  # pooled connections of a closed loop are never reused
    assert seen[0].is_closed  # closed on its own loop when asyncio.run() ended it: no socket left open
    assert seen[1].is_closed


async def test_the_async_client_lives_as_long_as_its_loop(emu: CodexEmulator, provider: CountingProvider) -> None:
    llm = emu.client(token_provider=provider)
    await llm.agenerate(prompt="one")
    first = llm._async_http_client
    await llm.agenerate(prompt="two")
    assert llm._async_http_client is first and first is not None and not first.is_closed
    await llm.aclose()
    assert first.is_closed and llm._async_closer is None
