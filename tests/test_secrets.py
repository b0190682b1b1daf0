"""API keys and tokens never show: not in the log (even at DEBUG, even in tracebacks), not
in an error reply, not in `muse config`, and never read from a config file."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from muse.logs import Redact, secrets_of
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.helpers import muse_cli

KEY = "sk-proj-Muse0123456789secretKEYvalue"


@pytest.fixture
def echoing_server(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """A model server that refuses the key and, like some proxies, quotes it back."""
    monkeypatch.setenv("MUSE_LLM__API_KEY", KEY)
    monkeypatch.setenv("MUSE_LOG_LEVEL", "DEBUG")
    return server


async def test_a_key_the_server_quotes_back_stays_out_of_the_log_and_the_reply(
    echoing_server: FakeOpenAI, settings: Settings
) -> None:
    echoing_server.enqueue(Step("error", f"Incorrect API key provided: {KEY}", 401))
    # In a thread: the fake server runs on this test's event loop.
    result = await asyncio.to_thread(muse_cli, "chat", stdin="hello\n")
    assert result.returncode == 0, result.stderr
    assert "refused the request" in result.stdout  # one clear line for the person
    assert echoing_server.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    log = await asyncio.to_thread((settings.data_dir / "muse.log").read_text)
    # Logged by status, not by the server's words (which may quote the key, or the text).
    assert "DEBUG" in log and "Error 401" in log and "Incorrect API key" not in log
    for text in (result.stdout, result.stderr, log):
        assert KEY not in text and KEY[8:] not in text


def test_muse_config_masks_secrets_wherever_they_were_pasted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = "123456:AAH-the-real-bot-token-xyz"
    monkeypatch.setenv("MUSE_TELEGRAM__TOKEN", token)
    monkeypatch.setenv("MUSE_DISCORD__TOKEN", "MTIzNDU2.discord-token-value")
    monkeypatch.setenv("MUSE_LLM__API_KEY", KEY)
    # The whole Bot API URL pasted where only its base belongs: token included.
    monkeypatch.setenv("MUSE_TELEGRAM__BASE_URL", f"https://api.telegram.org/bot{token}/")
    result = muse_cli("config")
    assert result.returncode == 0, result.stderr
    for secret in (token, "discord-token-value", KEY, "the-real-bot-token"):
        assert secret not in result.stdout
    data = json.loads(result.stdout)
    assert data["telegram"]["base_url"] == "https://api.telegram.org/bot****/"
    assert data["discord"]["token"].startswith("****")


def test_a_secret_in_a_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "my.toml"
    config.write_text('[telegram]\ntoken = "123456:AAH-the-real-bot-token-xyz"\n')
    result = muse_cli("--config", str(config), "config")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"muse: {config}: telegram.token is a secret and is read only from the environment "
        "— remove it from the file and set MUSE_TELEGRAM__TOKEN instead"
    )
    assert "the-real-bot-token" not in result.stdout + result.stderr


def test_muse_config_masks_credentials_pasted_into_urls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "MUSE_LLM__BASE_URL", "http://user:hunter2pass@host/v1?api_key=abc123secret&v=2"
    )
    monkeypatch.setenv(
        "MUSE_TELEGRAM__WEBHOOK_URL", "https://muse.example.org/hook?token=tok3n-value&author=ben"
    )
    monkeypatch.setenv("MUSE_DISCORD__GATEWAY_URL", "wss://gw-secret-token@gateway.example/?v=10")
    result = muse_cli("config")
    assert result.returncode == 0, result.stderr
    for secret in ("hunter2pass", "abc123secret", "tok3n-value", "gw-secret-token"):
        assert secret not in result.stdout
    data = json.loads(result.stdout)
    assert data["llm"]["base_url"] == "http://user:****@host/v1?api_key=****&v=2"
    assert data["telegram"]["webhook_url"] == "https://muse.example.org/hook?token=****&author=ben"
    assert data["discord"]["gateway_url"] == "wss://****@gateway.example/?v=10"


def test_the_log_masks_credentials_pasted_into_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://user:hunter2pass@host/v1"
    monkeypatch.setenv("MUSE_LLM__BASE_URL", url)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(Redact(secrets_of(load_settings())))
    logger = logging.getLogger("tests.secrets.urls")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("POST %s/chat/completions: 401", url)
        logger.warning("the server said: wrong password hunter2pass")
        logger.warning("GET https://cdn.example/x.png?X-Amz-Signature=abc123&size=2 failed")
    finally:
        logger.removeHandler(handler)
    assert out.getvalue().splitlines() == [
        "POST http://user:[secret]@host/v1/chat/completions: 401",
        "the server said: wrong password [secret]",
        "GET https://cdn.example/x.png?X-Amz-Signature=[secret]&size=2 failed",
    ]


def test_a_short_user_name_in_a_url_is_masked_only_there(monkeypatch: pytest.MonkeyPatch) -> None:
    """http://admin@host: "admin" is hidden in the URL, not blanked all over the log."""
    monkeypatch.setenv("MUSE_LLM__BASE_URL", "http://admin@host/v1")
    redact = Redact(secrets_of(load_settings()))
    assert redact.clean("admin asked via http://admin@host/v1") == (
        "admin asked via http://[secret]@host/v1"
    )
