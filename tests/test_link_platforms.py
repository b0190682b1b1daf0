"""One creator on Telegram and Discord, end to end: the real adapters of both platforms on
one Core, against the fake Bot API and the fake Discord."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from adapters.telegram import TelegramAdapter
from bot.config import Settings, load_settings
from bot.core import Core
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_payloads import EPHEMERAL, FakeInteraction
from tests.helpers import slow_answers
from tests.telegram.conftest import fast_limiter, final
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI

ALICE_TG = 111
CODE_RE = re.compile(r"Your code: ([A-Z0-9]{6})")


@dataclass
class Both:
    tg: FakeBotAPI
    dc: FakeDiscord
    core: Core


@pytest.fixture
async def both(muse_env: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Both]:
    tg, dc = FakeBotAPI(), FakeDiscord()
    await tg.start()
    await dc.start()
    for key, value in {
        "MUSE_TELEGRAM__TOKEN": TOKEN,
        "MUSE_TELEGRAM__BASE_URL": tg.base_url,
        "MUSE_TELEGRAM__EDIT_INTERVAL_S": "0",
        "MUSE_DISCORD__TOKEN": dc.token,
        "MUSE_DISCORD__API_BASE": dc.api_base,
        "MUSE_DISCORD__GATEWAY_URL": dc.gateway_url,
    }.items():
        monkeypatch.setenv(key, value)
    settings: Settings = load_settings()
    core = await Core.create(settings)
    telegram = TelegramAdapter(core, rate_limiter=fast_limiter())
    discord = DiscordAdapter(core, edit_interval=0.05)
    await telegram.start()
    await discord.start()
    try:
        yield Both(tg, dc, core)
    finally:
        await discord.stop()
        await telegram.stop()
        await core.close()
        await dc.close()
        await tg.stop()


def done(i: FakeInteraction) -> str:
    """The answer once it's final (not the deferred state nor a streamed view)."""
    text = i.text()
    streaming = text.endswith("✍️") or "thinking" in text.lower()
    return text if text and not streaming else ""


async def slash(dc: FakeDiscord, name: str, options: dict[str, str], user: str = "alice") -> str:
    """A slash command in a DM with the bot; the final answer's text."""
    i = await dc.send_slash(name, options, user=user, dm=True)
    return await dc.wait_for(lambda: done(i))


async def telegram_code(tg: FakeBotAPI) -> str:
    before = len(tg.messages(ALICE_TG))
    await tg.push_message("/link")
    sent = await tg.wait_for(
        lambda: next((m for m in tg.messages(ALICE_TG)[before:] if CODE_RE.search(m.text)), None)
    )
    match = CODE_RE.search(sent.text)
    assert match, sent.text
    return match.group(1)


async def test_link_telegram_to_discord_then_remix_a_telegram_draft_in_a_discord_dm(
    both: Both,
) -> None:
    tg, dc = both.tg, both.dc
    await tg.push_message("/caption a rainy tram in Lisbon for instagram")
    captions = await final(tg, ALICE_TG, "3 captions for Instagram")
    draft_id = int(re.findall(r"#(\d+) \(", captions.text)[0])
    await tg.push_message("/style voice: warm, witty")
    await final(tg, ALICE_TG, "Saved.")

    # Before linking, Discord-Alice is someone else: the Telegram draft isn't hers.
    refused = await slash(dc, "remix", {"text": f"#{draft_id}", "platform": "x"})
    assert f"can't find draft #{draft_id}" in refused

    code = await telegram_code(tg)
    i = await dc.send_slash("link", {"code": code}, dm=True)
    linked = await dc.wait_for(lambda: done(i))
    assert "Linked ✓" in linked and "Discord and Telegram" in linked
    assert i.original is not None and i.original["flags"] & EPHEMERAL

    remixed = await slash(dc, "remix", {"text": f"#{draft_id}", "platform": "x"})
    assert f"Remix from #{draft_id} for X" in remixed
    captions = await slash(dc, "caption", {"description": "tram 28 at dawn"})
    assert "your voice: warm, witty" in captions  # her Telegram style follows her

    # The same code a second time (say, by someone who saw it) joins nothing.
    reused = await slash(dc, "link", {"code": code}, user="mallory")
    assert "doesn't work" in reused and "already used" in reused
    theirs = await slash(dc, "caption", {"description": "tram 28 at dawn"}, user="mallory")
    assert "captions for" in theirs and "warm, witty" not in theirs


async def test_an_expired_or_wrong_code_joins_nothing(both: Both) -> None:
    tg, dc = both.tg, both.dc
    code = await telegram_code(tg)
    memory = both.core.memory
    real = memory.clock
    memory.clock = lambda: real() + timedelta(minutes=11)
    expired = await slash(dc, "link", {"code": code})
    assert "doesn't work" in expired and "older than 10 minutes" in expired
    memory.clock = real
    wrong = await slash(dc, "link", {"code": "ZZZZZZ"})
    assert "doesn't work" in wrong
    person = await memory.find_user("telegram", str(ALICE_TG))
    assert person is not None
    assert len(await memory.identities(person)) == 1


async def test_export_after_linking_holds_both_identities_and_their_drafts(both: Both) -> None:
    tg, dc = both.tg, both.dc
    await tg.push_message("/caption sunset over the harbour")
    await final(tg, ALICE_TG, "3 captions")
    await slash(dc, "brainstorm", {"topic": "pixel-art roguelike demo", "count": "3"})
    code = await telegram_code(tg)
    assert "Linked ✓" in await slash(dc, "link", {"code": code})

    i = await dc.send_slash("export", {}, dm=True)
    await dc.wait_for(lambda: i.original and i.original.get("attachments"))
    assert i.original is not None
    (attachment,) = i.original["attachments"]
    assert attachment["filename"] == "muse-export.json"
    data = json.loads(attachment["data"])
    platforms = {(x["platform"], x["external_id"]) for x in data["identities"]}
    assert ("telegram", str(ALICE_TG)) in platforms
    assert any(p == "discord" for p, _ in platforms)
    kinds = sorted({d["kind"] for d in data["drafts"]})
    assert kinds == ["caption", "idea"]  # Telegram's captions and Discord's ideas


async def test_an_answer_being_written_while_its_account_links_is_kept(
    both: Both, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice's Discord caption is still being written in her DMs when she sends the
    Telegram code from a Discord channel: the caption comes, and is hers after linking."""
    tg, dc = both.tg, both.dc
    code = await telegram_code(tg)
    writing, release = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        writing.set()
        await release.wait()

    slow_answers(both.core.llm, monkeypatch, before=slow)
    memory = both.core.memory
    series_of = memory.active_series

    async def linking_now(person: int) -> Any:
        release.set()  # the caption goes on while /link joins the accounts
        return await series_of(person)

    caption = await dc.send_slash("caption", {"description": "a rainy tram"}, dm=True)
    await writing.wait()
    monkeypatch.setattr(memory, "active_series", linking_now)
    general = await dc.add_channel("general")
    linking = await dc.send_slash("link", {"code": code}, channel=general)
    assert "Linked ✓" in await dc.wait_for(lambda: done(linking))
    captions = await dc.wait_for(lambda: done(caption))
    assert "3 captions for" in captions and "deleted" not in captions
    person = await memory.find_user("telegram", str(ALICE_TG))
    assert person is not None
    assert len((await memory.export(person))["drafts"]) == 3


async def test_forget_on_one_app_says_it_deletes_the_linked_apps_too(both: Both) -> None:
    """Linked weeks ago, Alice sends /forget on Discord to clear Discord: the question and
    the answer spoke only of "your drafts" and "I no longer know you", and her Telegram
    drafts went too without a word. Both now name every app the deletion covers."""
    tg, dc = both.tg, both.dc
    await tg.push_message("/caption sunset over the harbour")
    await final(tg, ALICE_TG, "3 captions")
    code = await telegram_code(tg)
    assert "Linked ✓" in await slash(dc, "link", {"code": code})

    forget = await dc.send_slash("forget", {}, dm=True)
    asked = await dc.wait_for(lambda: "Sure?" in done(forget) and done(forget))
    assert "on Discord and Telegram" in asked and "/unlink" in asked
    assert forget.original is not None
    shown = dict(forget.original)
    (confirm,) = [c for row in shown["components"] for c in row["components"]]
    await dc.press_button(confirm["custom_id"], shown)
    gone = await dc.wait_for(lambda: "I deleted" in done(forget) and done(forget))
    assert "I deleted 3 drafts" in gone and "on Discord and Telegram" in gone
    assert await both.core.memory.find_user("telegram", str(ALICE_TG)) is None


async def test_a_code_in_a_discord_slash_command_in_a_channel_stays_good(both: Both) -> None:
    """/link CODE as a slash command in a channel is ephemeral (no one else sees it): sent
    back to its own account there, the code is still good for the other app."""
    tg, dc = both.tg, both.dc
    made = CODE_RE.search(await slash(dc, "link", {}))
    assert made
    general = await dc.add_channel("general")
    i = await dc.send_slash("link", {"code": made.group(1)}, channel=general)
    assert "your own code, from this same account" in await dc.wait_for(lambda: done(i))
    before = len(tg.messages(ALICE_TG))
    await tg.push_message(f"/link {made.group(1)}")
    linked = await tg.wait_for(
        lambda: next((m for m in tg.messages(ALICE_TG)[before:] if "Linked" in m.text), None)
    )
    assert "Linked ✓" in linked.text


async def test_a_button_pressed_after_unlink_says_where_its_draft_stayed(both: Both) -> None:
    """Alice linked Telegram to Discord, then unlinked Telegram. Pick ✓ under an older
    Telegram caption said "That draft is gone; send /caption again", though the draft was
    there, kept by her Discord account as /unlink had said: it now says so."""
    tg, dc = both.tg, both.dc
    await tg.push_message("/caption a rainy tram in Lisbon for instagram")
    captions = await final(tg, ALICE_TG, "3 captions for Instagram")
    draft_id = int(re.findall(r"#(\d+) \(", captions.text)[0])
    code = await telegram_code(tg)
    assert "Linked ✓" in await slash(dc, "link", {"code": code})
    await tg.push_message("/unlink")
    await final(tg, ALICE_TG, "stays with your account on Discord")

    query = await tg.press_button(captions, "Pick ✓")
    told = await final(tg, ALICE_TG, f"Draft #{draft_id} stayed with your account on Discord")
    assert "/link" in told.text and tg.callback_answers[query]["text"] == told.text
    assert f"#{draft_id}" in await slash(dc, "history", {})  # where it is: still there
    before = len(tg.messages(ALICE_TG))
    await tg.push_message(f"/remix #{draft_id} for x")  # typed: the same, not "can't find"
    await tg.wait_for(lambda: any("stayed with" in m.text for m in tg.messages(ALICE_TG)[before:]))
