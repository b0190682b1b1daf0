"""Sessions when someone tries a second time: the same start with another length, two
accounts of one person joined after both voted, a reply to last session's summary."""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import Action, Incoming, SessionKey
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import RecordingOutbox
from tests.session_kit import SEEDS, SUMMARY, Group, demo_group
from tests.test_sessions import open_session


@pytest.fixture
def group(core: Core) -> Group:
    return demo_group(core)


@pytest.fixture
def plain(core: Core) -> Group:
    """A group without threads: sessions run in the chat itself."""
    core.clock = FakeClock()
    outbox = RecordingOutbox(threads=False)
    core.attach("demo", outbox)
    return Group(core, outbox)


@pytest.mark.parametrize("threads", [True, False])
async def test_starting_the_same_session_again_with_another_length_says_its_end(
    core: Core, model: ScriptedChatModel, threads: bool
) -> None:
    """Ana started a 20-minute session, then sends the same start with 45 minutes: she
    must hear that it runs on until 18:20, not get the old end back without a word."""
    core.clock = FakeClock()
    outbox = RecordingOutbox(threads=threads)
    core.attach("demo", outbox)
    group = Group(core, outbox)
    await open_session(group, model)  # until 18:20
    before = len(outbox.posts)
    again = await group.line("ana", "/session start names for our Friday stream 45")
    assert "already running" in again and "until 18:20 UTC" in again, again
    assert "/session end" in again
    assert len(outbox.posts) == before  # nothing posted again in the session
    session = await core.memory.session(1)
    assert session is not None and session.is_open
    assert await core.memory.session(2) is None


async def test_two_accounts_joined_after_both_voted_show_the_count_that_counts(
    core: Core, group: Group, model: ScriptedChatModel
) -> None:
    """Ben voted for #2 from both of his accounts, then linked them: the vote counts
    once, and the button must say so, not 👍 2 until someone else votes."""
    thread = await open_session(group, model)
    await group.press("ben", Action("vote", 2), thread=thread)
    await group.press("ben2", Action("vote", 2), thread=thread)
    await core.sessions.edits.flush()
    assert group.outbox.idea_message(2).labels[0] == "👍 2"

    dm2 = Incoming(SessionKey("demo", "dm-ben2"), "ben2", text="/link", user_name="Ben")
    code = (await core.respond(dm2))[-1].text.split("Your code: ")[1][:6]
    dm = Incoming(SessionKey("demo", "dm-ben"), "ben", text=f"/link {code}", user_name="Ben")
    assert "Linked ✓" in (await core.respond(dm))[-1].text
    assert "(open until 18:20 UTC, 3 ideas, 1 vote)" in await group.line(
        "cai", "/session shortlist", thread=thread
    )
    await core.sessions.edits.flush()
    assert group.outbox.idea_message(2).labels[0] == "👍 1"


async def test_a_reply_to_last_sessions_summary_is_conversation_not_a_refused_idea(
    core: Core, plain: Group, model: ScriptedChatModel
) -> None:
    """No threads: session #1 closed with its summary in the chat, #2 runs there now.
    Cai answers the old summary with "nice one": that is talk, answered as talk — not
    "Session #1 is closed, so that isn't added as an idea", and not an idea for #2."""
    await open_session(plain, model)
    model.enqueue(SUMMARY)
    await plain.say("ana", "/session end")
    summary = plain.outbox.posts[-1]
    assert "— closed · 3 ideas" in summary.text
    await open_session(plain, model, "thumbnails for the Friday stream 30")

    ideas = await core.memory.ideas(2)
    model.enqueue("Thanks, Cai! Glad the radio idea landed.")
    answer = await plain.line("cai", "nice one", reply_to=summary.id)
    assert answer == "Thanks, Cai! Glad the radio idea landed."
    assert await core.memory.ideas(2) == ideas


async def test_in_a_forum_the_topic_a_session_was_started_in_means_that_session(
    group: Group, model: ScriptedChatModel
) -> None:
    """A forum group: Ana starts #1 from the "Stream" topic, Bea #2 from "Art"; each
    runs in a topic of its own. In "Stream", an /idea is pointed to #1 (not to Bea's
    thumbnails), and Ana's /session end there ends #1, without "say which"."""
    model.enqueue(SEEDS)
    await group.say("ana", "/session start names for our Friday stream 20", thread="Stream")
    model.enqueue(SEEDS)
    await group.say("bea", "/session start thumbnails 30", thread="Art")

    pointed = await group.line("cai", "/idea Retro Rain Radio", thread="Stream")
    assert "Session #1 · names for our Friday stream runs in" in pointed, pointed
    assert "Session #1 · names" in await group.line("cai", "/session shortlist", thread="Stream")
    model.enqueue(SUMMARY)
    await group.say("ana", "/session end", thread="Stream")
    ended = await group.core.memory.session(1)
    assert ended is not None and not ended.is_open
    still = await group.core.memory.session(2)
    assert still is not None and still.is_open


async def test_when_the_starter_was_forgotten_only_an_admin_may_end_it_and_that_is_said(
    core: Core, group: Group, model: ScriptedChatModel
) -> None:
    """Ana started the session, then asked Muse to forget her. Who may end it early is
    said plainly — not "Only a former member, who started session #1, or a group
    admin can end it early", which reads as if any former member could."""
    thread = await open_session(group, model)
    dm = Incoming(SessionKey("demo", "dm-ana"), "ana", text="/forget confirm", user_name="Ana")
    assert "I no longer know you" in (await core.respond(dm))[-1].text
    refused = await group.line("cai", "/session end", thread=thread)
    assert refused == (
        "Session #1's starter asked me to forget them, so only a group admin can end it "
        "early — it ends on its own at 18:20 UTC."
    )
