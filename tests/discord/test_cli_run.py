"""`muse run discord` as a real process, configured only through the public env names
(MUSE_DISCORD__TOKEN, MUSE_DISCORD__API_BASE, MUSE_DISCORD__GATEWAY_URL)."""

from __future__ import annotations

import asyncio

import pytest

from tests.discord.fake_discord import FakeDiscord
from tests.fakes.openai_server import closed_port
from tests.helpers import muse_cli, muse_run


async def test_muse_run_discord_process(fake: FakeDiscord) -> None:
    # The env (token, fake URLs, data dir, fake model) is set by the fixtures.
    async with muse_run("discord") as proc:
        await fake.wait_for(lambda: fake.identified, limit_s=60)
        assert fake.identified[0]["token"] == fake.token
        i = await fake.send_slash("caption", {"description": "a neon diner at night"})
        await fake.wait_for(lambda: "captions for" in i.text() and "✍️" not in i.text())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert fake.token not in proc.stderr
    # Muse has no voice: discord.py's warnings about its voice libraries would read as a fault.
    assert "voice will NOT be supported" not in proc.stderr


def test_sync_prints_the_commands_or_one_error_line_on_stderr(
    fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    dry = muse_cli("discord", "sync", "--dry-run")
    assert dry.returncode == 0 and '"name": "caption"' in dry.stdout
    assert dry.stderr == ""  # no warnings about voice or intents Muse doesn't use
    monkeypatch.delenv("MUSE_DISCORD__TOKEN")
    missing = muse_cli("discord", "sync")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip() == (
        "muse: MUSE_DISCORD__TOKEN is not set (Developer Portal → Bot → Token)"
    )


def test_sync_with_discord_unreachable_is_one_line(
    fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`muse discord sync` offline (or behind a firewall) printed a 60-line aiohttp
    traceback; `muse run discord` says the same in one line."""
    api = f"http://127.0.0.1:{closed_port()}/api/v10"
    monkeypatch.setenv("MUSE_DISCORD__API_BASE", api)
    result = muse_cli("discord", "sync")
    assert result.returncode == 1 and result.stdout == ""
    line = result.stderr.strip()
    assert "Traceback" not in line and len(line.splitlines()) == 1, line
    assert line.startswith(f"muse: can't reach Discord at {api}: Cannot connect to host"), line


async def test_muse_run_discord_exits_when_discord_ends_the_connection_for_good(
    fake: FakeDiscord,
) -> None:
    """The token is reset in the Developer Portal while Muse runs: discord.py can't
    reconnect. A process left running would answer nobody, and a supervisor would
    never restart it with the new token: it exits 1, saying why."""
    async with muse_run("discord") as proc:
        await fake.wait_for(lambda: fake.identified, limit_s=60)
        await fake.revoke_session(4004)
        assert proc.proc is not None
        await asyncio.wait_for(proc.proc.wait(), 60)
    assert proc.returncode == 1
    assert "muse: discord stopped for good" in proc.stderr
    assert fake.token not in proc.stderr
