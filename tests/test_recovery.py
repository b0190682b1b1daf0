"""Nothing asked is lost when Muse stops mid-answer: the next start answers it, or says it
was interrupted — exactly once. (The real SIGKILL of `muse run telegram` is in
tests/telegram/test_kill.py; here a run is cut off the way a shutdown cuts it off.)"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

import bot.recovery
from bot.config import Settings
from bot.core import Core
from bot.errors import LLMUnavailable
from bot.messages import Attachment, Incoming, Progress, Reply, SessionKey
from bot.recovery import RESUMED
from tests.crash import crash_for
from tests.helpers import message
from tests.test_core_robustness import GatedModel


@dataclass
class Posted:
    key: SessionKey
    reply: Reply
    reply_to: str | None


@dataclass
class RecordingOutbox:
    """A platform as the core's outbox sees it; `no_replies` acts like Discord, where a
    slash command's id is no message one can reply to."""

    no_replies: bool = False
    posts: list[Posted] = field(default_factory=list)

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        if reply_to and self.no_replies:
            raise RuntimeError("400 Bad Request: Unknown message")
        self.posts.append(Posted(key, reply, reply_to))
        return [str(len(self.posts))]

    async def edit(self, key: SessionKey, message_id: str, reply: Reply) -> bool:
        return False

    async def open_thread(self, key: SessionKey, title: str, *, anchor: str | None = None) -> Any:
        return None

    async def is_admin(self, key: SessionKey, user_id: str) -> bool:
        return False

    def link(self, key: SessionKey, message_id: str | None = None) -> str | None:
        return None


def telegram(text: str = "", *, mid: str = "501", **kw: Any) -> Incoming:
    return message(text, platform="telegram", chat="111", user="111", message_id=mid, **kw)


async def cut_off(settings: Settings, *msgs: Incoming, after_first_reply: bool = False) -> None:
    """A run that stops while answering: during the (slow) model call for the first of
    `msgs` — the others waiting in line behind it — or while the adapter is delivering
    the first part of its answer."""
    model = GatedModel()
    core = await Core.create(settings, model=model)
    reading = asyncio.Event()

    async def adapter(msg: Incoming) -> None:
        async for out in core.handle(msg):
            if isinstance(out, Reply):
                reading.set()
                await asyncio.Event().wait()  # delivering, when the process goes

    consumers = [asyncio.create_task(adapter(msg)) for msg in msgs]
    try:
        if after_first_reply:
            model.__dict__["release"].set()
            await asyncio.wait_for(reading.wait(), 10)
        else:
            await asyncio.wait_for(model.__dict__["started"].wait(), 10)
        await core.shutting_down()
        for consumer in consumers:
            consumer.cancel()
        await asyncio.gather(*consumers, return_exceptions=True)
    finally:
        model.__dict__["release"].set()
        await core.close()


async def restarting(
    settings: Settings, *platforms: str, **outbox: Any
) -> tuple[Core, RecordingOutbox]:
    """The next run, its platforms attached (receiving), its core not started yet."""
    core = await Core.create(settings)
    box = RecordingOutbox(**outbox)
    for platform in platforms or ("telegram",):
        core.attach(platform, box)
    return core, box


async def next_start(settings: Settings, *platforms: str, **outbox: Any) -> RecordingOutbox:
    """Start again with these platforms running; what the core posted by itself."""
    core, box = await restarting(settings, *platforms, **outbox)
    await core.start()
    await core.close()  # waits for the recovery to finish
    return box


def inbox_rows(settings: Settings) -> list[tuple[Any, ...]]:
    with sqlite3.connect(settings.db_path) as db:
        return db.execute("select text, state from inbox").fetchall()


async def test_a_message_cut_off_mid_answer_is_answered_at_the_next_start(
    settings: Settings,
) -> None:
    await cut_off(settings, telegram("SLOW tell me about tram photos"))
    box = await next_start(settings)
    assert len(box.posts) == 1
    answer = box.posts[0]
    assert answer.reply.text.startswith(RESUMED)
    assert "Noted: SLOW tell me about tram photos" in answer.reply.text  # the real answer
    assert answer.reply_to == "501" and answer.key == SessionKey("telegram", "111")
    assert inbox_rows(settings) == []  # answered: nothing of the message is kept
    assert (await next_start(settings)).posts == []  # and never answered twice


async def test_an_answer_cut_off_while_being_delivered_is_not_repeated(
    settings: Settings,
) -> None:
    await cut_off(settings, telegram("SLOW hello"), after_first_reply=True)
    box = await next_start(settings)
    assert [p.reply.text for p in box.posts] == [
        "Sorry — I was restarted while answering your message and lost my place. "
        "Please send it again."
    ]
    assert box.posts[0].reply_to == "501"
    assert inbox_rows(settings) == []


class HalfWritten(GatedModel):
    """Writes its first words at once, then holds the rest until released."""

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        yield ChatGenerationChunk(message=AIMessageChunk(content="First words of it, "))
        self.__dict__["started"].set()
        await self.__dict__["release"].wait()
        yield ChatGenerationChunk(message=AIMessageChunk(content="and the rest."))


async def test_an_answer_cut_off_while_its_first_words_show_is_not_repeated(
    settings: Settings,
) -> None:
    """Its streamed words may be on screen: answering again would show them twice."""
    model = HalfWritten()
    core = await Core.create(settings, model=model)
    shown = asyncio.Event()

    async def adapter(msg: Incoming) -> None:
        async for out in core.handle(msg):
            if isinstance(out, Progress) and "First words" in out.text:
                shown.set()

    consumer = asyncio.create_task(adapter(telegram("tell me about tram photos")))
    try:
        await asyncio.wait_for(shown.wait(), 10)
        await core.shutting_down()
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
    finally:
        model.__dict__["release"].set()
        await core.close()
    box = await next_start(settings)
    assert [p.reply.text for p in box.posts] == [
        "Sorry — I was restarted while answering your message and lost my place. "
        "Please send it again."
    ]


async def test_old_messages_photos_and_personal_answers_in_groups_get_the_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cut_off(settings, telegram("SLOW a photo", attachments=(Attachment("image", b"x"),)))
    box = await next_start(settings)
    assert "while answering your photo" in box.posts[0].reply.text

    def group(text: str, mid: str) -> Incoming:
        return message(text, platform="telegram", chat="-100", user="7", group=True, message_id=mid)

    # /history waited in line behind a slow answer when the run stopped: both are kept.
    await cut_off(settings, group("SLOW ideas for the group", "9"), group("/history", "10"))
    box = await next_start(settings)
    assert [p.reply_to for p in box.posts] == ["9", "10"]
    assert "Noted: SLOW ideas for the group" in box.posts[0].reply.text
    line = box.posts[1].reply.text
    assert line.startswith("Sorry, name-7 — I was restarted while answering your /history")
    assert "privately" in line and "#" not in line  # none of the person's drafts in the group

    await cut_off(settings, telegram("SLOW an old question"))
    monkeypatch.setattr(bot.recovery, "REPLAY_WITHIN_S", 0)
    box = await next_start(settings)
    assert "lost my place" in box.posts[0].reply.text


async def test_a_message_delivered_again_after_the_restart_is_answered_once(
    settings: Settings,
) -> None:
    # The platform hands the same message over again (not confirmed before the kill),
    # before the recovery gets to it...
    await cut_off(settings, telegram("SLOW first"))
    core, box = await restarting(settings)
    # (handed over while `muse run` starts: it waits for the recovery to look first)
    answering = asyncio.create_task(core.respond(telegram("SLOW first")))
    await core.start()
    live = await answering
    await core.close()
    assert [r.text for r in live] == ["Noted: SLOW first. What should we make of it next?"]
    assert box.posts == []

    # ...or after the recovery has started answering it.
    await cut_off(settings, telegram("SLOW second", mid="502"))
    core, box = await restarting(settings)
    await core.start()
    live = await core.respond(telegram("SLOW second", mid="502"))
    await core.close()
    assert live == []
    assert [p.reply.text.splitlines()[-1] for p in box.posts] == [
        "Noted: SLOW second. What should we make of it next?"
    ]


async def test_a_message_half_answered_and_delivered_again_gets_one_line(
    settings: Settings,
) -> None:
    """Part of its answer was out when Muse stopped, and Telegram handed the message over
    again: Alice got "Please send it again" and then the whole answer as well."""
    await cut_off(settings, telegram("SLOW first"), after_first_reply=True)
    core, box = await restarting(settings)
    answering = asyncio.create_task(core.respond(telegram("SLOW first")))
    await core.start()
    live = await answering
    await core.close()
    assert live == []  # the recovery's line is its one answer
    assert [p.reply.text.endswith("Please send it again.") for p in box.posts] == [True]


async def test_each_platform_recovers_its_own_and_replies_fall_back_to_posts(
    settings: Settings,
) -> None:
    await cut_off(settings, telegram("SLOW for telegram"))
    slash = message(
        "/brainstorm SLOW tram", platform="discord", chat="42", user="7", message_id="8001"
    )
    await cut_off(settings, slash)
    # `muse run discord` answers Discord's only; Telegram's waits for a Telegram start.
    box = await next_start(settings, "discord", no_replies=True)
    assert len(box.posts) == 1 and box.posts[0].key.platform == "discord"
    assert box.posts[0].reply_to is None  # the slash command's id is no message
    assert "5 ideas for “SLOW tram”" in box.posts[0].reply.text
    box = await next_start(settings, "telegram")
    assert len(box.posts) == 1 and "Noted: SLOW for telegram" in box.posts[0].reply.text


async def test_a_pending_message_is_exported_and_forgotten_with_its_person(
    settings: Settings,
) -> None:
    await cut_off(settings, telegram("SLOW my secret plan"))
    core = await Core.create(settings)
    try:
        person = await core.memory.find_user("telegram", "111")
        assert person is not None
        exported = await core.memory.export(person)
        assert [r["text"] for r in exported["inbox"]] == ["SLOW my secret plan"]
        await core.memory.forget(person)
    finally:
        await core.close()
    assert inbox_rows(settings) == []


async def test_a_reply_to_a_draft_cut_off_is_still_about_that_draft_after_the_restart(
    settings: Settings,
) -> None:
    """'/remix … for linkedin' as a reply to Muse's draft #4, cut off by a restart: the
    next start remixes draft #4 — not Muse's whole message (its id line, length and
    footer) as if it were the person's own post."""
    core = await Core.create(settings)
    try:
        await core.respond(telegram("/caption a tram at dawn", mid="400"))
        shown = (await core.respond(telegram("/remix #1 for x", mid="401")))[-1]
    finally:
        await core.close()
    assert [d.id for d in shown.drafts] == [4]
    asked = telegram(
        "/remix SLOW make it punchier for linkedin",
        reply_to_text=shown.text,
        reply_to_id="402",
        reply_to_muse=True,
    )
    await cut_off(settings, asked)
    box = await next_start(settings)
    answer = box.posts[0].reply
    assert answer.text.startswith(RESUMED)
    core = await Core.create(settings)
    try:
        person = await core.memory.find_user("telegram", "111")
        assert person is not None
        newest = (await core.memory.drafts(person, limit=1))[0]
    finally:
        await core.close()
    assert newest.parent_id == 4, answer.text
    assert "You're the author" not in newest.text and "(97/280)" not in newest.text


async def test_a_message_answered_after_a_restart_costs_one_request(settings: Settings) -> None:
    """Counted against the daily quota when it arrived, then cut off by a crash, Alice's
    message was counted again when Telegram handed it over once more after the restart:
    one answer cost her two of today's requests."""
    settings.telegram.daily_quota = 2
    await cut_off(settings, telegram("SLOW first"))  # counted: 1 of 2
    core = await Core.create(settings)
    core.attach("telegram", RecordingOutbox())
    answering = asyncio.create_task(core.respond(telegram("SLOW first")))  # handed again
    await core.start()
    try:
        assert not (await answering)[-1].is_error
        second = await core.respond(telegram("and a second question", mid="502"))
        assert not second[-1].is_error, second[-1].text  # 2 of 2
        third = await core.respond(telegram("and a third", mid="503"))
        assert "today's 2 requests" in third[-1].text
    finally:
        await core.close()


async def test_a_message_that_gets_the_line_after_a_restart_costs_no_request(
    settings: Settings,
) -> None:
    """Part of its answer was out when Muse stopped, so the next start told Alice to send
    it again; her resend was counted too: one answer cost two of today's requests."""
    settings.telegram.daily_quota = 2
    await cut_off(settings, telegram("SLOW first"), after_first_reply=True)  # 1 of 2
    box = await next_start(settings)
    assert [p.reply.text.endswith("Please send it again.") for p in box.posts] == [True]
    core = await Core.create(settings)
    try:
        again = await core.respond(telegram("SLOW first", mid="502"))
        assert not again[-1].is_error  # 1 of 2: the line gave the first count back
        second = await core.respond(telegram("and a second question", mid="503"))
        assert not second[-1].is_error, second[-1].text  # 2 of 2
        third = await core.respond(telegram("and a third", mid="504"))
        assert "today's 2 requests" in third[-1].text
    finally:
        await core.close()


async def test_a_free_command_that_gets_the_line_gives_back_nothing(settings: Settings) -> None:
    """Only what was counted goes back: /history is free, so its line gives nothing."""
    settings.telegram.daily_quota = 3

    def group(text: str, mid: str) -> Incoming:
        return message(text, platform="telegram", chat="-100", user="7", group=True, message_id=mid)

    await cut_off(settings, group("SLOW ideas", "9"), group("/history", "10"))  # 1 of 3
    box = await next_start(settings)
    assert "your /history" in box.posts[1].reply.text
    core = await Core.create(settings)
    try:
        for mid in ("11", "12"):  # 2 and 3 of 3
            assert not (await core.respond(group("@muse more", mid)))[-1].is_error
        assert "today's 3 requests" in (await core.respond(group("@muse more", "13")))[-1].text
    finally:
        await core.close()


async def test_a_message_the_model_fails_on_after_a_restart_costs_no_request(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut off by a restart, Alice's /caption was answered again at the next start, where
    the model server was down: "try again in a minute" — yet, unlike the same failure
    before the restart, it kept its count, and the retry cost a second request."""
    settings.telegram.daily_quota = 1
    await cut_off(settings, telegram("/caption SLOW a tram at dawn"))  # 1 of 1
    core = await Core.create(settings)
    crash_for(core, monkeypatch, "caption", "111", LLMUnavailable()).set()
    box = RecordingOutbox()
    core.attach("telegram", box)
    await core.start()
    await core.close()
    assert "try again in a minute" in box.posts[0].reply.text
    core = await Core.create(settings)
    try:
        again = await core.respond(telegram("/caption a tram at dawn", mid="502"))
        assert "3 captions" in again[-1].text, again[-1].text  # still 1 of 1
    finally:
        await core.close()
