"""Buttons keep working after a restart: a new Core and client on the same data dir."""

from __future__ import annotations

import asyncio
import sqlite3

import discord
import pytest
from pydantic import SecretStr

from adapters.base import Adapter
from adapters.discord import DiscordAdapter
from bot.config import Settings
from bot.core import Core
from tests.discord.fake_discord import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI, hang
from tests.helpers import muse_run, slow_answers


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


async def test_a_forget_press_in_a_channel_cut_off_by_a_kill_is_not_done_by_the_restart(
    fake: FakeDiscord, server: FakeOpenAI, settings: Settings
) -> None:
    """/forget's button in #general, pressed while another of alice's answers is being
    written (the delete waits for it), then `kill -9`. The restart can't answer her
    privately any more, so it tells the channel to ask again: then it must not have
    deleted everything already."""
    async with muse_run("discord") as first:
        await fake.wait_for(lambda: fake.identified, limit_s=60)
        made = await fake.send_slash("caption", {"description": "a neon diner at night"})
        await fake.wait_for(lambda: "caption" in made.text() and "✍️" not in made.text(), 60)
        drafts = _drafts(settings)
        asked = await fake.send_slash("forget")
        await fake.wait_for(lambda: asked.original and asked.original["components"], 60)
        server.enqueue(hang(600))
        await fake.send_message("a slow question", dm=True)
        await server.wait_for_requests(2, within=60)  # her DM answer is being written
        assert asked.original is not None
        yes = asked.original["components"][0]["components"][0]["custom_id"]
        await fake.press_button(yes, asked.original)
        await fake.wait_for(lambda: _inbox(settings, "m:fg:%"), limit_s=60)
        await first.kill()

    async with muse_run("discord"):
        await fake.wait_for(lambda: fake.identified and len(fake.identified) == 2, limit_s=60)
        line = await fake.wait_for(lambda: _said(fake, "It's personal"), limit_s=60)
        await fake.wait_for(lambda: _said(fake, "Sorry for the wait"), limit_s=60)  # the DM
    assert line == [
        "Sorry, alice — I was restarted while answering your button press. It's personal, "
        "so please ask again and I'll answer you privately."
    ]
    assert _drafts(settings) == drafts > 0  # nothing was deleted behind her back


def _drafts(settings: Settings) -> int:
    with sqlite3.connect(settings.db_path) as db:
        count = int(db.execute("select count(*) from drafts").fetchone()[0])
    db.close()
    return count


def _inbox(settings: Settings, action: str) -> list[object]:
    with sqlite3.connect(settings.db_path) as db:
        found = db.execute("select id from inbox where action like ?", [action]).fetchall()
    db.close()
    return found


def _said(fake: FakeDiscord, needle: str) -> list[str]:
    """What Muse posted by itself (no interaction to answer) in any channel or DM."""
    return [
        m["content"]
        for m in fake.messages.values()
        if m.get("via") == "channel" and needle in m["content"] and not m.get("deleted")
    ]


async def test_answers_cut_off_by_a_shutdown_leave_no_half_answer_behind(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model is still writing when the shutdown's grace runs out: the half answer
    shown so far ("Golden hour on ✍️") must not stay as if Muse were still writing — the
    next start answers the message or says it was interrupted (as on Telegram)."""
    stuck, release = asyncio.Event(), asyncio.Event()

    async def hang() -> None:
        stuck.set()
        await release.wait()

    slow_answers(core.llm, monkeypatch, after_first=hang)
    monkeypatch.setattr(Adapter.drain, "__defaults__", (0.5,))  # the grace, shortened
    bot = DiscordAdapter(core, edit_interval=0.05)
    await bot.start()
    slash = await fake.send_slash("caption", {"description": "a neon diner at night"})
    dm = await fake.send_message("tips for night tram photos?", dm=True)
    await fake.wait_for(lambda: "✍️" in slash.text())
    await fake.wait_for(lambda: _said(fake, "✍️"))
    await core.shutting_down()
    await bot.stop()
    release.set()  # (the model's work itself ends with the core)
    assert stuck.is_set()
    assert "✍️" not in slash.text()
    assert _said(fake, "✍️") == []
    assert [m["content"] for m in fake.channel_messages(dm["channel_id"])] == [dm["content"]]
