"""Sessions across restarts: a running session keeps its end time, one that ended while
Muse was down is closed and summarized at start, an interrupted closing is finished."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.config import Settings
from bot.core import Core
from bot.messages import Action, Reply, SessionKey
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import RecordingOutbox
from tests.session_kit import SEEDS, Group, idea_posts, model_of
from tests.session_restarts import stopped_while_seeding
from tests.test_sessions import SUMMARY, open_session

Boot = Callable[[], Awaitable[Core]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outbox() -> RecordingOutbox:
    """The platform: it outlives Muse's restarts, and so do its messages."""
    return RecordingOutbox()


@pytest.fixture
async def boot(
    settings: Settings, clock: FakeClock, outbox: RecordingOutbox
) -> AsyncIterator[Boot]:
    """Start Muse the way `muse run` does (adapters attached, then start()), on one data dir."""
    running: list[Core] = []

    async def start() -> Core:
        core = await Core.create(settings)
        core.clock = clock
        core.attach("demo", outbox)
        await core.start()
        running.append(core)
        return core

    yield start
    for core in running:
        if core.memory._db is not None:
            await core.close()


async def test_a_restart_keeps_the_session_its_votes_and_its_timer(
    boot: Boot, clock: FakeClock, outbox: RecordingOutbox
) -> None:
    core = await boot()
    group = Group(core, outbox)
    thread = await open_session(group, model_of(core))  # 20 minutes: until 18:20
    await group.say("ben", "/idea Retro Rain Radio", thread=thread)
    await group.press("cai", Action("vote", 4), thread=thread)
    clock.advance(minutes=10)
    await core.close()
    assert clock.sleepers == 0  # its timers stopped with it

    core = await boot()
    group = Group(core, outbox)
    assert "(open until 18:20 UTC, 4 ideas, 1 vote)" in await group.line(
        "dee", "/session shortlist", thread=thread
    )
    await group.press("dee", Action("vote", 4), thread=thread)
    await group.say("dee", "Pixel Parade Live", thread=thread, addressed=False)
    assert idea_posts(outbox, thread)[-1].text == "#5 Pixel Parade Live — Dee"
    clock.advance(minutes=9, seconds=59)
    assert "open until 18:20 UTC" in await group.line("dee", "/session shortlist", thread=thread)
    model_of(core).enqueue(SUMMARY)
    clock.advance(seconds=1)
    await outbox.wait_for(lambda: "closed · 5 ideas, 2 votes" in outbox.texts(thread)[-1])
    summary = outbox.texts(thread)[-1]
    assert "1. #4 Retro Rain Radio — 2 votes · Ben" in summary
    assert "Ideas by: Ben 1 · Dee 1 · Muse 3" in summary
    assert "Themes: cozy evenings and retro radio" in summary
    session = await core.memory.session(1)
    assert session is not None and session.closed_at == clock.now()


async def test_a_session_that_ended_while_muse_was_down_is_summarized_at_start(
    boot: Boot, clock: FakeClock, outbox: RecordingOutbox, settings: Settings
) -> None:
    core = await boot()
    group = Group(core, outbox)
    thread = await open_session(group, model_of(core), "stream names 5")
    await group.say("ben", "/idea Retro Rain Radio", thread=thread)
    await core.close()
    clock.advance(hours=2)

    # A restart without that platform leaves it be (its messages can't be reached).
    elsewhere = await Core.create(settings)
    elsewhere.clock = clock
    await elsewhere.start()
    session = await elsewhere.memory.session(1)
    assert session is not None and session.is_open
    await elsewhere.close()

    before = len(outbox.posts)
    core = await boot()
    await outbox.wait_for(lambda: len(outbox.posts) > before + 1)
    summary, channel_note = outbox.posts[before:]
    assert summary.key == thread and "— closed · 4 ideas, 0 votes" in summary.text
    assert "Ideas by: Ben 1 · Muse 3" in summary.text
    assert channel_note.key == group.key and "— closed." in channel_note.text
    await outbox.wait_for(lambda: outbox.idea_message(4).labels == ["👍 0 · closed"])
    refused = await Group(core, outbox).press("ben", Action("vote", 4), thread=thread)
    assert refused.is_error


async def test_a_closing_cut_short_by_a_stop_is_finished_at_start(
    boot: Boot, clock: FakeClock, outbox: RecordingOutbox
) -> None:
    core = await boot()
    thread = await open_session(Group(core, outbox), model_of(core))
    # Muse stopped right after the session was marked closed, before the summary.
    await core.memory.close_session(1, clock.now())
    await core.close()
    await boot()
    await outbox.wait_for(lambda: "— closed · 3 ideas" in outbox.texts(thread)[-1])


async def test_when_the_model_fails_the_summary_keeps_its_data_part(
    boot: Boot, outbox: RecordingOutbox
) -> None:
    core = await boot()
    group = Group(core, outbox)
    thread = await open_session(group, model_of(core))
    await group.say("ben", "/idea Retro Rain Radio", thread=thread)
    model_of(core).enqueue(ValueError("the model broke"))
    await group.say("ana", "/session end", thread=thread)
    summary = outbox.texts(thread)[-1]
    assert "Ideas by: Ben 1 · Muse 3" in summary
    assert summary.endswith(
        "(I couldn't write the themes this time — the numbers above are complete.)"
    )
    assert "Themes" not in summary


async def test_a_start_cut_off_while_seeding_goes_on_after_the_restart_never_twice(
    settings: Settings, clock: FakeClock, outbox: RecordingOutbox
) -> None:
    """Muse stops while the model writes the seeds: the session is open, its opening
    out. The next start answers the /session start again: the same session, now with
    its seeds — not a second session in a second thread."""
    thread = await stopped_while_seeding(
        settings, clock, outbox, "/session start SLOW stream names 20"
    )
    assert idea_posts(outbox, thread) == []  # no seeds yet

    clock.advance(minutes=1)
    before = len(outbox.posts)
    core = await Core.create(settings)
    core.clock = clock
    core.attach("demo", outbox)
    model_of(core).enqueue(SEEDS)
    await core.start()
    group = Group(core, outbox)
    await outbox.wait_for(lambda: any("in its own thread" in t for t in outbox.texts(group.key)))
    assert len(outbox.opened) == 1  # one thread, one session
    assert [p.key for p in outbox.posts[before:]] == [thread, thread, thread, group.key]
    assert [p.text for p in idea_posts(outbox, thread)] == [
        "#1 Pixel Picnic Live — Muse",
        "#2 Cozy Code Corner — Muse",
        "#3 Friday Night Devlog — Muse",
    ]
    told = outbox.texts(group.key)[-1]
    assert "Session #1 · SLOW stream names — until 18:20 UTC, in its own thread" in told
    assert await core.memory.session(2) is None


class HeldEdits(RecordingOutbox):
    """A platform whose edits wait while `go` is clear (a group at its edit limit)."""

    def __init__(self) -> None:
        super().__init__()
        self.editing, self.go = asyncio.Event(), asyncio.Event()
        self.go.set()

    async def edit(self, key: SessionKey, message_id: str, reply: Reply) -> bool:
        self.editing.set()
        await self.go.wait()
        return await super().edit(key, message_id, reply)


async def test_a_stop_while_vote_counts_are_being_edited_still_sends_them_all(
    settings: Settings, clock: FakeClock
) -> None:
    """Muse was stopped while it was editing the last votes' counts onto their buttons:
    the stop let that refresh be cut off halfway, and the ideas it had not reached kept
    their old count for good (nothing refreshes them after a restart)."""
    outbox = HeldEdits()
    core = await Core.create(settings)
    core.clock = clock
    core.attach("demo", outbox)
    await core.start()
    group = Group(core, outbox)
    thread = await open_session(group, model_of(core))
    await group.press("ben", Action("vote", 1), thread=thread)
    await group.press("cai", Action("vote", 2), thread=thread)
    outbox.go.clear()
    clock.advance(seconds=3)  # the counts are refreshed...
    await outbox.editing.wait()  # ...and the platform holds the first edit
    stopping = asyncio.create_task(core.shutting_down())
    outbox.go.set()
    await stopping
    core.detach("demo")  # the adapters stop
    await core.close()
    assert outbox.idea_message(1).labels == ["👍 1", "🔀 Riff"]
    assert outbox.idea_message(2).labels == ["👍 1", "🔀 Riff"]
