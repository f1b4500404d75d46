"""Every CODEX_OAUTH_* value is validated once, in one sentence naming the variable; https off loopback."""

from __future__ import annotations

import warnings

import pytest

from oauth_codex import CodexOAuthLLM
from oauth_codex.auth import OAuthConfig
from oauth_codex.auth._discovery import endpoints_from_discovery
from oauth_codex.cli import main
from oauth_codex.errors import ConfigError


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("CODEX_OAUTH_STORAGE", "bogus", "'auto', 'keyring' or 'file'"),
        ("CODEX_OAUTH_BASE_URL", "chatgpt.com/backend-api/codex", "absolute http(s) URL"),
        ("CODEX_OAUTH_BASE_URL", "ftp://chatgpt.com/backend-api/codex", "absolute http(s) URL"),
        ("CODEX_OAUTH_BASE_URL", "http://127.0.0.1:99999/codex", "invalid port"),
        ("CODEX_OAUTH_TOKEN_ENDPOINT", "auth.openai.com/oauth/token", "absolute http(s) URL"),
        ("CODEX_OAUTH_AUTHORIZATION_ENDPOINT", "https://", "absolute http(s) URL"),
        ("CODEX_OAUTH_DISCOVERY_URL", "file:///etc/passwd", "absolute http(s) URL"),
    ],
)
def test_an_invalid_variable_is_one_sentence_naming_it(variable: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        OAuthConfig.from_env({variable: value})
    message = str(info.value)
    assert message.startswith(f"{variable}=") and says in message and message.endswith("unset the variable.")
    assert "validation error" not in message.lower() and "\n" not in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "variable",
    [
        "CODEX_OAUTH_BASE_URL",
        "CODEX_OAUTH_TOKEN_ENDPOINT",
        "CODEX_OAUTH_AUTHORIZATION_ENDPOINT",
        "CODEX_OAUTH_DISCOVERY_URL",
    ],
)
def test_plain_http_is_refused_off_loopback(variable: str) -> None:
    """The bearer token, refresh token and codes never travel over plain http to a remote host (item 6)."""
    with pytest.raises(ConfigError, match="must use https") as info:
        OAuthConfig.from_env({variable: "http://auth.example.com/path"})
    assert variable in str(info.value)
    for loopback in ("http://127.0.0.1:8080/path", "http://localhost:8080/path", "http://[::1]:8080/path"):
        OAuthConfig.from_env({variable: loopback})
    OAuthConfig.from_env({variable: "https://auth.example.com/path"})


def test_an_explicit_argument_is_named_as_such() -> None:
    with pytest.raises(ConfigError, match=r"^base_url='http://evil.example/codex' must use https.*fix the argument"):
        OAuthConfig.from_env(base_url="http://evil.example/codex")
    # the client checks the base_url argument even next to a ready config
    with pytest.raises(ConfigError, match="must use https"):
        CodexOAuthLLM(base_url="http://evil.example/codex", oauth_config=OAuthConfig())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CodexOAuthLLM(base_url="http://127.0.0.1:9/codex", oauth_config=OAuthConfig()).close()


def test_a_discovery_document_naming_plain_http_endpoints_is_refused() -> None:
    config = OAuthConfig(discovery_url="https://auth.example.com/.well-known/openid-configuration")
    doc = {
        "issuer": "https://auth.example.com",
        "authorization_endpoint": "https://auth.example.com/authorize",
        "token_endpoint": "http://auth.example.com/token",
    }
    with pytest.raises(ConfigError, match="token_endpoint 'http://auth.example.com/token', which must use https"):
        endpoints_from_discovery(config, doc)
    doc["token_endpoint"] = "https://auth.example.com/token"
    assert endpoints_from_discovery(config, doc).token_endpoint == "https://auth.example.com/token"


@pytest.mark.parametrize("command", [["status"], ["chat", "hi"], ["models"], ["logout"], ["login", "--paste"]])
def test_cli_commands_report_a_bad_variable_in_one_line(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODEX_OAUTH_STORAGE", "bogus")
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CODEX_OAUTH_STORAGE='bogus'" in err and "Traceback" not in err
