"""Group brainstorm sessions on Telegram, end to end through the fake Bot API: a forum
topic of its own where Muse may make one, in place (replies to the opening) anywhere
else; ideas by /idea, by reply and by plain message in the topic; votes, riffs, the
summary by command and by timer, a restart, two groups at once, forged presses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.telegram import TelegramAdapter
from bot.config import Settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.fakes.clock import FakeClock
from tests.helpers import slow_answers
from tests.session_kit import SEEDS, SUMMARY
from tests.telegram.conftest import fast_limiter, final
from tests.telegram.fake_bot_api import FakeBotAPI, Sent

FORUM = -1001234567890  # a supergroup with topics
PLAIN = -1009876543210  # a supergroup without
ALICE, BOB, CAT, DAN = 111, 222, 333, 444


@dataclass
class Team:
    fake: FakeBotAPI
    core: Core
    adapter: TelegramAdapter
    clock: FakeClock
    model: ScriptedChatModel

    def person(self, uid: int) -> dict[str, Any]:
        name = {ALICE: "alice", BOB: "bob", CAT: "cat", DAN: "dan"}[uid]
        return self.fake.user(uid, name, name.title())

    async def say(self, uid: int, text: str, chat: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return await self.fake.push_message(text, user=self.person(uid), chat=chat, **kw)

    async def press(self, uid: int, sent: Sent, label: str = "", **kw: Any) -> dict[str, Any]:
        query = await self.fake.press_button(sent, label, user=self.person(uid), **kw)
        answer: dict[str, Any] = await self.fake.wait_for(
            lambda: self.fake.callback_answers.get(query)
        )
        return answer

    def in_topic(self, chat: int, topic: int | None) -> list[Sent]:
        return [m for m in self.fake.messages(chat) if m.thread_id == topic]

    def idea(self, chat: int, number: int) -> Sent:
        found = [m for m in self.fake.messages(chat) if m.text.startswith(f"#{number} ")]
        assert len(found) == 1, [m.text for m in self.fake.messages(chat)]
        return found[0]

    async def idea_shown(self, chat: int, number: int, text: str) -> Sent:
        return await final(self.fake, chat, f"#{number} {text}")


async def running(core: Core, fake: FakeBotAPI, clock: FakeClock) -> TelegramAdapter:
    """What `muse run telegram` does: the adapter starts, becomes the core's outbox."""
    core.clock = clock
    adapter = TelegramAdapter(core, rate_limiter=fast_limiter())
    await adapter.start()
    core.attach(adapter.name, adapter)
    await core.start()
    return adapter


@pytest.fixture
async def team(fake: FakeBotAPI, core: Core, model: ScriptedChatModel) -> AsyncIterator[Team]:
    clock = FakeClock()
    adapter = await running(core, fake, clock)
    try:
        yield Team(fake, core, adapter, clock, model)
    finally:
        await adapter.stop()


def forum_with_topics(fake: FakeBotAPI) -> dict[str, Any]:
    forum = fake.group(FORUM, forum=True, title="Stream team")
    fake.make_bot_admin(FORUM, can_manage_topics=True)  # the "Manage Topics" right
    return forum


async def start_in_forum(team: Team, text: str = "names for our Friday stream 20") -> int:
    """Alice starts a session in the forum's General topic; the new topic's id."""
    forum = team.fake.chats[FORUM]
    team.model.enqueue(SEEDS)
    await team.say(ALICE, f"/session start {text}", forum)
    await final(team.fake, FORUM, "in its own thread")
    [(_, topic)] = [k for k in team.fake.topics if k[0] == FORUM]
    await final(team.fake, FORUM, "#3 Friday Night Devlog")
    return topic


async def test_a_forum_session_opens_its_own_topic(team: Team) -> None:
    fake = team.fake
    forum = forum_with_topics(fake)
    team.model.enqueue(SEEDS)
    asking = await team.say(ALICE, "/session start names for our Friday stream 20", forum)
    where = await final(fake, FORUM, "in its own thread")
    [(_, topic)] = list(fake.topics)
    assert fake.topics[(FORUM, topic)] == "💡 names for our Friday stream"
    # In General: one answer, a reply to the command, with the way to the topic.
    assert where.thread_id is None and where.reply_to == asking["message_id"]
    await final(fake, FORUM, "#3 Friday Night Devlog")
    opening, *seeds = team.in_topic(FORUM, topic)
    assert opening.text.startswith("💡 Session #1 · names for our Friday stream\n")
    assert "Until 18:20 UTC (20 min), started by alice." in opening.text
    assert opening.buttons == [[("💡 Add idea", "m:ai:1:")]]
    assert f"https://t.me/c/1234567890/{topic}/{opening.message_id}" in where.text
    assert [s.text for s in seeds] == [
        "#1 Pixel Picnic Live — Muse",
        "#2 Cozy Code Corner — Muse",
        "#3 Friday Night Devlog — Muse",
    ]
    assert all([label for label, _ in s.buttons[0]] == ["👍 0", "🔀 Riff"] for s in seeds)
    # Nothing but the answer and the topic's messages: no progress, no placeholder.
    assert len(fake.messages(FORUM)) == 5 and not fake.of("deleteMessage")
    # 💡 Add idea says how, as a pop-up; a second start in the topic links to this one.
    how = await team.press(BOB, opening, "💡")
    assert how["text"].startswith("Send /idea <your idea>")
    await team.say(BOB, "/session start something else", forum, thread_id=topic)
    busy = await final(fake, FORUM, "A session is already running here")
    assert f"https://t.me/c/1234567890/{topic}/{opening.message_id}" in busy.text
    assert busy.thread_id == topic and len(fake.topics) == 1


async def test_three_paths_votes_riff_and_the_end_by_its_starter(team: Team) -> None:
    fake, clock = team.fake, team.clock
    forum = forum_with_topics(fake)
    topic = await start_in_forum(team)
    seed = team.idea(FORUM, 2)

    # Bob: /idea. Cat: a reply to a seed. Dan: a plain message in the topic, which
    # Telegram delivers once privacy mode is off.
    await team.say(BOB, "/idea Retro Rain Radio", forum, thread_id=topic)
    bob = await team.idea_shown(FORUM, 4, "Retro Rain Radio — bob")
    await team.say(CAT, "Cozy Code Radio", forum, thread_id=topic, reply_to=seed.message_id)
    cat = await team.idea_shown(FORUM, 5, "Cozy Code Radio — cat")
    await team.say(DAN, "lunch at 1?", forum)  # chatter in General: nothing happens
    fake.privacy = False
    await team.say(DAN, "Pixel Parade Live", forum, thread_id=topic)
    dan = await team.idea_shown(FORUM, 6, "Pixel Parade Live — dan")
    assert all(m.thread_id == topic for m in (bob, cat, dan))
    assert not any("lunch" in t for t in fake.texts(FORUM))

    # Votes: each a pop-up, no message; a second press takes it back.
    sent_before = len(fake.of("sendMessage"))
    toasts = [
        (await team.press(who, idea, "👍"))["text"]
        for who, idea in [(BOB, cat), (DAN, cat), (ALICE, cat), (CAT, bob), (CAT, bob)]
    ]
    assert toasts[2] == "👍 Voted for #5 — 3 votes now."
    assert toasts[4] == "Vote on #4 taken back — 0 votes now."
    assert len(fake.of("sendMessage")) == sent_before
    # The counts are refreshed together a moment later: one edit of #5's buttons for
    # three votes, and only the buttons.
    clock.advance(seconds=3)
    await fake.wait_for(lambda: cat.buttons[0][0][0] == "👍 3")
    assert cat.markup_edits == 1 and bob.buttons[0][0][0] == "👍 0"  # voted, taken back
    assert not [c for c in fake.of("editMessageText") if c.params["message_id"] == cat.message_id]

    # 🔀 Riff: variations, each an idea by Muse crediting the original's author.
    team.model.enqueue("1. Retro Rain FM\n2. Rainy Retro Radio Hour\n3. Retro Drizzle Radio")
    await team.press(CAT, bob, "🔀")
    riff = await team.idea_shown(FORUM, 7, "Retro Rain FM — Muse · riff on #4 by bob")
    assert riff.thread_id == topic

    # Dan may not end it early; Alice, who started it, may.
    await team.say(DAN, "/session end", forum, thread_id=topic)
    await final(fake, FORUM, "Only alice, who started session #1, or a group admin")
    team.model.enqueue(SUMMARY)
    await team.say(ALICE, "/session end", forum, thread_id=topic)
    summary = await final(fake, FORUM, "Themes: cozy evenings")
    assert summary.thread_id == topic
    assert "1. #5 Cozy Code Radio — 3 votes · cat" in summary.text
    assert "Ideas by: bob 1 · cat 1 · dan 1 · Muse 6" in summary.text
    assert "Suggested decision: go with Cozy Code Radio" in summary.text
    # The buttons say it's closed, with the final counts; a late vote changes nothing.
    await fake.wait_for(lambda: cat.buttons == [[("👍 3 · closed", "m:vt:5:")]])
    late = await team.press(BOB, cat, "👍")
    assert late["text"] == "Session #1 is closed — its votes and ideas are final."
    assert cat.buttons == [[("👍 3 · closed", "m:vt:5:")]]


async def test_in_a_plain_group_it_runs_in_place_and_the_timer_ends_it(team: Team) -> None:
    fake, clock = team.fake, team.clock
    group = fake.group(PLAIN)
    fake.privacy = False
    team.model.enqueue(SEEDS)
    await team.say(ALICE, "/session start stream names 5", group)
    await final(fake, PLAIN, "#3 Friday Night Devlog")
    opening, *seeds = fake.messages(PLAIN)
    assert not fake.topics and opening.text.startswith("💡 Session #1 · stream names")
    assert all(s.reply_to == opening.message_id for s in seeds)  # replies to the opening
    # In place, chatter is no idea; a reply to the session's opening is.
    await team.say(DAN, "lunch at 1?", group)
    await team.say(BOB, "Retro Rain Radio", group, reply_to=opening.message_id)
    bob = await team.idea_shown(PLAIN, 4, "Retro Rain Radio — bob")
    assert bob.reply_to == opening.message_id and len(fake.messages(PLAIN)) == 5
    await team.press(CAT, bob, "👍")
    team.model.enqueue(SUMMARY)
    clock.advance(minutes=5, seconds=1)  # the timer, not a command
    summary = await final(fake, PLAIN, "Themes: cozy evenings")
    assert "1. #4 Retro Rain Radio — 1 vote · bob" in summary.text
    assert "Ideas by: bob 1 · Muse 3" in summary.text


async def test_a_forum_without_the_topics_right_runs_where_it_was_started(team: Team) -> None:
    fake = team.fake
    forum = fake.group(FORUM, forum=True)
    fake.make_bot_admin(FORUM, can_manage_topics=False)
    thread = fake.topic(forum, "Stream planning")
    team.model.enqueue(SEEDS)
    await team.say(ALICE, "/session start stream names", forum, thread_id=thread)
    await final(fake, FORUM, "#3 Friday Night Devlog")
    assert list(fake.topics) == [(FORUM, thread)]  # no new topic
    opening, *seeds = fake.messages(FORUM)
    assert opening.thread_id == thread and all(s.thread_id == thread for s in seeds)
    assert all(s.reply_to == opening.message_id for s in seeds)


async def test_a_restart_keeps_the_session_and_its_timer(
    fake: FakeBotAPI, settings: Settings
) -> None:
    clock = FakeClock()
    forum = forum_with_topics(fake)
    core = await Core.create(settings)
    adapter = await running(core, fake, clock)
    team = Team(fake, core, adapter, clock, core.llm.model)  # type: ignore[arg-type]
    topic = await start_in_forum(team, "stream names 20")
    await team.say(BOB, "/idea Retro Rain Radio", forum, thread_id=topic)
    bob = await team.idea_shown(FORUM, 4, "Retro Rain Radio — bob")
    await adapter.stop()
    await core.close()

    clock.advance(minutes=10)  # Muse was down for a while
    core = await Core.create(settings)
    adapter = await running(core, fake, clock)
    team = Team(fake, core, adapter, clock, core.llm.model)  # type: ignore[arg-type]
    try:
        assert (await team.press(CAT, bob, "👍"))["text"] == "👍 Voted for #4 — 1 vote now."
        await team.say(DAN, "/idea Pixel Parade Live", forum, thread_id=topic)
        await team.idea_shown(FORUM, 5, "Pixel Parade Live — dan")
        team.model.enqueue(SUMMARY)
        clock.advance(minutes=10, seconds=1)  # the original end time, kept
        summary = await final(fake, FORUM, "Themes: cozy evenings")
        assert summary.thread_id == topic
        assert "Ideas by: bob 1 · dan 1 · Muse 3" in summary.text
    finally:
        await adapter.stop()
        await core.close()


async def test_two_groups_two_sessions_and_forged_presses(team: Team) -> None:
    fake = team.fake
    forum = forum_with_topics(fake)
    plain = fake.group(PLAIN)
    topic = await start_in_forum(team, "stream names")
    team.model.enqueue(SEEDS)
    await team.say(BOB, "/session start merch ideas", plain)
    await final(fake, PLAIN, "#6 Friday Night Devlog")
    await team.say(CAT, "/idea Stickers", forum, thread_id=topic)
    await team.idea_shown(FORUM, 7, "Stickers — cat")
    plain_idea = team.idea(PLAIN, 4)
    # A press in the plain group carrying the forum's idea #7: refused, nothing changes.
    forged = await team.press(DAN, plain_idea, data="m:vt:7:")
    assert forged["text"].startswith("That idea isn't part of a session in this chat")
    unknown = await team.press(DAN, plain_idea, data="m:vt:99999:")
    assert unknown["text"] == forged["text"]
    junk = await team.press(DAN, plain_idea, data="m:vt:²:")
    assert "no longer works" in junk["text"]
    team.clock.advance(seconds=3)
    await team.say(CAT, "/session shortlist", forum, thread_id=topic)
    shortlist = await final(fake, FORUM, "shortlist (open")
    assert "4 ideas, 0 votes)" in shortlist.text  # the forged presses changed nothing
    # Each group's /session list has only its own.
    await team.say(BOB, "/session list", plain)
    listing = await final(fake, PLAIN, "merch ideas ·")
    assert "stream names" not in listing.text


async def test_nothing_of_the_session_reaches_a_private_chat(team: Team) -> None:
    fake = team.fake
    forum = forum_with_topics(fake)
    topic = await start_in_forum(team, "stream names")
    await team.say(ALICE, "/idea Secret Sauce Stream", forum, thread_id=topic)
    await team.idea_shown(FORUM, 4, "Secret Sauce Stream — alice")
    await fake.push_message("what should I post tonight?", user=team.person(ALICE))
    await final(fake, ALICE, "Noted:")
    prompt = team.model.last_prompt()
    assert "Secret Sauce" not in prompt and "Pixel Picnic" not in prompt
    assert "stream names" not in prompt


async def test_a_vote_is_counted_at_once_while_its_voters_riff_is_written(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cat presses 🔀 Riff (slow) and then 👍 on another idea: the vote pops up "Voted"
    at once, not an empty answer and a vote that lands only after the riff."""
    fake = team.fake
    forum_with_topics(fake)
    await start_in_forum(team)
    writing, release = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        writing.set()
        await release.wait()

    slow_answers(team.core.llm, monkeypatch, before=slow)
    riffing = await fake.press_button(team.idea(FORUM, 1), "🔀", user=team.person(CAT))
    await writing.wait()
    vote = await team.press(CAT, team.idea(FORUM, 2), "👍")
    assert vote.get("text") == "👍 Voted for #2 — 1 vote now."
    release.set()
    await fake.wait_for(lambda: fake.callback_answers.get(riffing))
    await team.idea_shown(FORUM, 4, "Pixel Picnic Live")
