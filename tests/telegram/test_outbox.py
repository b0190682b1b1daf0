"""The adapter as the core's outbox: posting and editing without an incoming message,
forum topics, group admins, links; and how toasts and empty replies show."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.messages import Action, Button, Incoming, Outgoing, Progress, Reply, SessionKey
from bot.recovery import InboxEntry
from tests.telegram.conftest import Harness, final, partial

GROUP = -1001234567890
ALICE = 111


def key(chat: int = GROUP, thread: int | None = None) -> SessionKey:
    return SessionKey("telegram", str(chat), str(thread) if thread else None)


def votes(n: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button(f"👍 {n}", Action("vote", 7)), Button("🔀 Riff", Action("riff", 7))),)


async def test_edit_replaces_text_and_buttons(tg: Harness) -> None:
    fake = tg.fake
    fake.group(GROUP)
    [first] = await tg.adapter.post(key(), Reply("#7 a <b>rainy</b> tram", buttons=votes(0)))
    sent = await final(fake, GROUP, "#7")
    assert await tg.adapter.edit(key(), first, Reply("#7 a rainy tram & more", buttons=votes(1)))
    assert sent.text == "#7 a rainy tram & more" and sent.buttons[0][0][0] == "👍 1"
    # The same again is "not modified" for Telegram: still a success.
    assert await tg.adapter.edit(key(), first, Reply("#7 a rainy tram & more", buttons=votes(1)))
    # HTML refused: the plain text goes instead.
    fake.parse_failures = 1
    assert await tg.adapter.edit(key(), first, Reply("#7 <plain> after all", buttons=votes(1)))
    assert sent.text == "#7 <plain> after all" and sent.parse_mode is None


async def test_edit_of_only_the_buttons_does_not_resend_the_text(tg: Harness) -> None:
    fake = tg.fake
    [first] = await tg.adapter.post(key(), Reply("#7 a rainy tram", buttons=votes(0)))
    sent = await final(fake, GROUP, "#7")
    assert await tg.adapter.edit(key(), first, Reply("", buttons=votes(2)))
    assert sent.text == "#7 a rainy tram" and sent.buttons[0][0][0] == "👍 2"
    assert sent.markup_edits == 1 and not fake.of("editMessageText")
    assert await tg.adapter.edit(key(), first, Reply("", buttons=votes(2)))  # not modified
    # The same text with new counts (how the core refreshes votes): buttons only too.
    assert await tg.adapter.edit(key(), first, Reply("#7 a rainy tram", buttons=votes(3)))
    assert sent.buttons[0][0][0] == "👍 3" and sent.markup_edits == 2
    assert not fake.of("editMessageText")


async def test_edit_of_a_message_that_is_gone(tg: Harness) -> None:
    assert not await tg.adapter.edit(key(), "999999", Reply("x"))
    assert not await tg.adapter.edit(key(), "not-a-number", Reply("x"))


async def test_open_thread_makes_a_forum_topic_when_allowed(tg: Harness) -> None:
    fake = tg.fake
    forum = fake.group(GROUP, forum=True)
    fake.make_bot_admin(GROUP, can_manage_topics=True)
    topic = await tg.adapter.open_thread(key(), "💡 Friday stream ideas " + "x" * 200)
    assert topic is not None and topic.chat_id == str(GROUP) and topic.thread_id
    assert fake.topics[(GROUP, int(topic.thread_id))].startswith("💡 Friday stream ideas")
    assert len(fake.topics[(GROUP, int(topic.thread_id))]) == 128
    await tg.adapter.post(topic, Reply("Session open: Friday stream"))
    sent = await final(fake, GROUP, "Session open")
    assert sent.thread_id == int(topic.thread_id)
    # A member's message in that topic comes back to the same session key.
    seen: list[Incoming] = []
    handle = tg.core.handle

    def spy(msg: Incoming, entry: InboxEntry | None = None) -> AsyncIterator[Outgoing]:
        seen.append(msg)
        return handle(msg, entry)

    tg.core.handle = spy  # type: ignore[method-assign]
    await fake.push_message("/help", chat=forum, thread_id=int(topic.thread_id))
    await final(fake, GROUP, "Here is what I can do")
    assert seen[0].session == topic and seen[0].reply_to_id is None


@pytest.mark.parametrize("case", ["no right", "not a forum", "not admin"])
async def test_open_thread_stays_in_place_otherwise(tg: Harness, case: str) -> None:
    fake = tg.fake
    fake.group(GROUP, forum=case != "not a forum")
    if case != "not admin":
        fake.make_bot_admin(GROUP, can_manage_topics=case != "no right")
    assert await tg.adapter.open_thread(key(), "💡 ideas") is None
    assert not fake.topics


async def test_open_thread_in_a_private_chat_asks_nothing(tg: Harness) -> None:
    calls = len(tg.fake.calls)
    assert await tg.adapter.open_thread(key(ALICE), "💡 ideas") is None
    assert len(tg.fake.calls) == calls


async def test_is_admin(tg: Harness) -> None:
    fake = tg.fake
    fake.group(GROUP)
    fake.set_member(GROUP, fake.user(222, "bob", "Bob"), "creator")
    fake.set_member(GROUP, fake.user(333, "cat", "Cat"), "administrator")
    assert await tg.adapter.is_admin(key(), "222")
    assert await tg.adapter.is_admin(key(), "333")
    assert not await tg.adapter.is_admin(key(), str(ALICE))  # a plain member
    assert not await tg.adapter.is_admin(key(-100999), "222")  # a chat Muse isn't in
    assert not await tg.adapter.is_admin(key(), "bob")
    assert await tg.adapter.is_admin(key(ALICE), str(ALICE))  # a private chat's own person
    assert not await tg.adapter.is_admin(key(ALICE), "222")


def test_links(tg: Harness) -> None:
    link = tg.adapter.link
    assert link(key(), "55") == "https://t.me/c/1234567890/55"
    assert link(key(thread=77), "55") == "https://t.me/c/1234567890/77/55"
    assert link(key(thread=77)) == "https://t.me/c/1234567890/77"
    assert link(key()) is None  # no private link to a supergroup as a whole
    assert link(key(-4567), "5") is None  # a basic group has no message links
    assert link(key(ALICE), "5") is None


async def test_post_to_a_chat_muse_was_removed_from(tg: Harness) -> None:
    tg.fake.blocked.add(-100777)
    assert await tg.adapter.post(key(-100777), Reply("summary")) == []


async def test_a_toast_is_a_pop_up_not_a_message(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tg.fake
    group = fake.group(GROUP)
    [idea] = await tg.adapter.post(key(), Reply("#7 a rainy tram", buttons=votes(0)))
    sent = await final(fake, GROUP, "#7")
    handle = tg.core.handle

    async def vote_counted(
        msg: Incoming, entry: InboxEntry | None = None
    ) -> AsyncIterator[Outgoing]:
        if msg.action is None:
            async for out in handle(msg, entry):
                yield out
            return
        assert msg.action == Action("vote", 7) and msg.message_id == idea
        yield Reply("👍 Vote counted", toast=True)

    monkeypatch.setattr(tg.core, "handle", vote_counted)
    query = await fake.press_button(sent, "👍", user=fake.user(222, "bob", "Bob"))
    answer = await fake.wait_for(lambda: fake.callback_answers.get(query))
    assert answer["text"] == "👍 Vote counted"
    await fake.push_message("/help", chat=group)  # whatever comes next…
    help_text = await final(fake, GROUP, "Here is what I can do")
    assert fake.messages(GROUP) == [sent, help_text]  # …the vote itself posted nothing


async def test_an_empty_reply_sends_nothing_and_removes_its_partial_text(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tg.fake
    tg.adapter.cfg.stream_after_s = 0
    go_on = asyncio.Event()

    async def done_elsewhere(
        msg: Incoming, entry: InboxEntry | None = None
    ) -> AsyncIterator[Outgoing]:
        if msg.text == "quiet":
            yield Reply("")
            return
        yield Progress("Opening a topic for your session")
        await go_on.wait()
        yield Reply("")  # the answer went out through the outbox

    monkeypatch.setattr(tg.core, "handle", done_elsewhere)
    await fake.push_message("quiet")
    await fake.push_message("start")
    shown = await partial(fake, ALICE)
    go_on.set()
    await fake.wait_for(lambda: shown.deleted)
    assert fake.messages(ALICE) == [] and len(fake.sent_to(ALICE)) == 1
