"""Buttons keep working after a restart: a new Core and client on the same data dir."""

from __future__ import annotations

import discord
import pytest
from pydantic import SecretStr

from adapters.discord import DiscordAdapter
from bot.config import Settings
from bot.core import Core
from tests.discord.fake_discord import FakeDiscord


async def test_button_after_restart(settings: Settings, fake: FakeDiscord) -> None:
    core = await Core.create(settings)
    first = DiscordAdapter(core, edit_interval=0.05)
    await first.start()
    i = await fake.send_slash("caption", {"description": "a foggy harbour at dawn"})
    await fake.wait_for(lambda: "captions for" in i.text() and "✍️" not in i.text())
    await first.stop()
    await core.close()
    message = i.original
    assert message is not None
    remix = message["components"][0]["components"][0]
    assert remix["label"].startswith("Remix #")

    core = await Core.create(settings)  # same data dir: the drafts are still there
    second = DiscordAdapter(core, edit_interval=0.05)
    await second.start()
    try:
        assert len(fake.identified) == 2
        press = await fake.press_button(remix["custom_id"], message)
        await fake.wait_for(lambda: "#4" in press.text() and "✍️" not in press.text())
        assert "from #1" in press.text() or "#1" in press.text()
        assert not press.followups or not press.followups[-1]["flags"] & 64
    finally:
        await second.stop()
        await core.close()
    assert not fake.unhandled


async def test_style_form_opened_before_a_restart_still_saves(
    settings: Settings, fake: FakeDiscord
) -> None:
    core = await Core.create(settings)
    first = DiscordAdapter(core)
    await first.start()
    opened = await fake.send_slash("style")
    await fake.wait_for(lambda: opened.modal)
    await first.stop()
    await core.close()

    core = await Core.create(settings)
    second = DiscordAdapter(core)
    await second.start()
    try:
        submit = await fake.submit_modal(opened, {"avoid": "wanderlust"})
        await fake.wait_for(lambda: "Saved" in submit.text())
        assert "wanderlust" in submit.text()
    finally:
        await second.stop()
        await core.close()


async def test_bad_token_fails_start_cleanly(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = discord.http.Route.BASE
    monkeypatch.setattr(core.settings.discord, "token", SecretStr("not-the-token"))
    bot = DiscordAdapter(core)
    with pytest.raises(discord.LoginFailure):
        await bot.start()
    assert discord.http.Route.BASE == base  # nothing leaks into the next client
    assert bot.client is not None and bot.client.is_closed()
    assert not fake.identified
