"""Sessions and where they were started: a forum topic whose own session has closed while
another topic's runs, a start answered again after Muse was down past its end, and two
members starting the same topic at once."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import Settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import RecordingOutbox
from tests.session_kit import SEEDS, SUMMARY, Group
from tests.session_restarts import stopped_while_seeding


@pytest.fixture
def forum(core: Core) -> Group:
    """A forum group where Muse opens a topic per session; Dee is one of its admins."""
    core.clock = FakeClock()
    outbox = RecordingOutbox(admins=("dee",))
    core.attach("demo", outbox)
    return Group(core, outbox)


async def test_in_a_topic_whose_session_closed_a_command_never_acts_on_another_topics(
    forum: Group, model: ScriptedChatModel
) -> None:
    """Ana's #1, started from "Stream", has closed; Bea's #2, started from "Art", runs.
    Dee (an admin) sends /session end in Stream: #2 must not end. She hears that #1 is
    closed already, and where #2 runs with the id to act on it; /session shortlist
    there likewise names #1, not #2's ideas."""
    model.enqueue(SEEDS)
    await forum.say("ana", "/session start names for our Friday stream 20", thread="Stream")
    model.enqueue(SUMMARY)
    await forum.say("ana", "/session end", thread="Stream")
    model.enqueue(SEEDS)
    await forum.say("bea", "/session start thumbnails 30", thread="Art")

    told = await forum.line("dee", "/session end", thread="Stream")
    running = await forum.core.memory.session(2)
    assert running is not None and running.is_open, told
    assert told.startswith("💡 Session #1 · names for our Friday stream is closed"), told
    assert "/session show 1" in told
    assert "Session #2 · thumbnails runs in https://demo.example/g1/t2/" in told, told
    assert "/session end 2" in told

    listed = await forum.line("cai", "/session shortlist", thread="Stream")
    assert listed.startswith("💡 Session #1 · names for our Friday stream is closed"), listed
    assert "/session shortlist 2" in listed, listed


async def test_a_start_answered_again_after_its_session_ran_out_is_not_started_again(
    settings: Settings,
) -> None:
    """Ana's 5-minute session opened, then Muse stopped while writing its seeds and was
    down past its end. At the next start the group sees it closed, in one line (no
    ideas to sum up), and Ana's /session start, answered again, is not a second
    session on the same topic: she hears it ran out while Muse was down."""
    clock, outbox = FakeClock(), RecordingOutbox()
    thread = await stopped_while_seeding(
        settings, clock, outbox, "/session start SLOW stream names 5"
    )

    clock.advance(minutes=25)
    before = len(outbox.posts)
    core = await Core.create(settings)
    core.clock = clock
    core.attach("demo", outbox)
    try:
        await core.start()
        group = Group(core, outbox)
        await outbox.wait_for(lambda: any("while I was down" in t for t in outbox.texts(group.key)))
        assert await core.memory.session(2) is None
        assert len(outbox.opened) == 1
        posted = [(p.key, p.text) for p in outbox.posts[before:]]
        closed = "💡 Session #1 · SLOW stream names — closed with no ideas."
        assert posted[:2] == [(thread, closed), (group.key, closed)], posted
        told = [t for k, t in posted if k == group.key and "while I was down" in t]
        assert told == [
            "(Sorry for the wait — I was restarted while answering this.)\n"
            "💡 Session #1 · SLOW stream names ran out at 18:05 UTC while I was down — "
            "send /session start SLOW stream names 5 again to run it now."
        ], posted
    finally:
        await core.close()


async def test_two_members_starting_the_same_topic_at_once_get_one_session(
    forum: Group, model: ScriptedChatModel
) -> None:
    """Ana and Ben both send /session start for the Friday stream names in the same
    second: one session in one thread (as two members' same idea is one idea), and the
    second hears where it runs — not two threads that split the group's ideas."""
    model.enqueue(SEEDS)
    ana, ben = await asyncio.gather(
        forum.line("ana", "/session start names for our Friday stream 20"),
        forum.line("ben", "/session start Names for our  Friday stream 30"),
    )
    assert len(forum.outbox.opened) == 1
    assert await forum.core.memory.session(2) is None
    assert "Session #1 · names for our Friday stream — until 18:20 UTC, in its own" in ana
    assert ben.startswith(
        "💡 Session #1 · names for our Friday stream is already running, started by Ana, "
        "until 18:20 UTC — https://demo.example/g1/t1/"
    ), ben
    assert ben.endswith(". Bring your ideas there!")
