"""The Discord bot token never reaches the log, stderr or a message, even at DEBUG and on
the failure paths (a channel that refuses Muse, rate limits)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.discord.fake_discord import FakeDiscord
from tests.helpers import muse_run


async def test_the_token_never_shows_in_logs_or_messages(
    fake: FakeDiscord, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSE_LOG_LEVEL", "DEBUG")
    fake.token = "MTA5ODc2NTQzMjEw.GhXyZ9.discord-bot-token-secret-part"
    monkeypatch.setenv("MUSE_DISCORD__TOKEN", fake.token)
    async with muse_run("discord") as run:
        await fake.wait_for(lambda: fake.identified, limit_s=60)
        assert fake.identified[0]["token"] == fake.token
        fake.rate_limits = 2
        i = await fake.send_slash("caption", {"description": "a neon diner at night"})
        await fake.wait_for(lambda: "captions for" in i.text() and "✍️" not in i.text())
        fake.forbidden_channels.add(fake.channel_id)
        await fake.send_message("hello from a channel Muse can't post in")
        await fake.wait_for(
            lambda: any("permission" in m["content"] for m in fake.messages.values())
        )
    assert run.returncode == 0, run.stderr[-2000:]
    log = (settings.data_dir / "muse.log").read_text()
    assert "DEBUG" in log and "missing permission" in log
    shown = [m.get("content") or "" for m in fake.messages.values()]
    for text in (log, run.stderr, i.text(), *shown):
        assert "discord-bot-token-secret-part" not in text
