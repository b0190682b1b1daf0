"""Sessions and where they were started: a forum topic whose own session has closed while
another topic's runs, a start answered again after Muse was down past its end, and two
members starting the same topic at once."""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import RecordingOutbox
from tests.session_kit import SEEDS, SUMMARY, Group


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
