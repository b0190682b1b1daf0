"""A group's brainstorm over a real afternoon: members sending at the same moment, Muse
restarted while it was showing an idea."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import Settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import Action, SessionKey
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import RecordingOutbox
from tests.helpers import slow_answers
from tests.session_kit import SEEDS, SUMMARY, Group, demo_group, idea_posts, model_of
from tests.session_restarts import HeldIdeaPosts, booting, stop_while_posting


@pytest.fixture
def group(core: Core) -> Group:
    return demo_group(core)


async def open_session(group: Group, model: ScriptedChatModel) -> SessionKey:
    model.enqueue(SEEDS)
    await group.say("ana", "/session start names for our Friday stream 20")
    return group.outbox.posts[0].key


async def test_two_members_sending_the_same_idea_at_once_get_it_in_once(
    group: Group, model: ScriptedChatModel
) -> None:
    """Ben and Cai both type "Retro Rain Radio" and send it in the same second: one idea
    to vote on, and the second sender hears where it is — not two copies that split
    the group's votes."""
    thread = await open_session(group, model)
    ben, cai = await asyncio.gather(
        group.say("ben", "/idea Retro Rain Radio", thread=thread),
        group.say("cai", "/idea retro rain radio", thread=thread),
    )
    assert [p.text for p in idea_posts(group.outbox, thread)][3:] == ["#4 Retro Rain Radio — Ben"]
    assert all(r.is_empty for r in ben)
    assert [r.text for r in cai] == ["That one is already in as #4 — vote for it with 👍."]


async def test_an_idea_cut_off_by_a_restart_before_it_was_shown_is_shown_after_it(
    settings: Settings, restarts: list[Core]
) -> None:
    """Muse stops after storing Ben's idea, before its message went out. At the next
    start his /idea is answered again: the idea is shown then, with its buttons — not
    "already in as #4 — vote for it" about an idea nobody can see or vote on."""
    clock, outbox = FakeClock(), HeldIdeaPosts()

    boot = booting(settings, clock, outbox, restarts)

    group = await boot()
    thread = await open_session(group, model_of(group.core))
    await stop_while_posting(group, outbox, "/idea Retro Rain Radio", who="ben", thread=thread)
    assert len(idea_posts(outbox, thread)) == 3  # the seeds only

    clock.advance(minutes=1)
    group = await boot()
    await outbox.wait_for(lambda: len(idea_posts(outbox, thread)) == 4)
    shown = idea_posts(outbox, thread)[-1]
    assert shown.text == "#4 Retro Rain Radio — Ben" and shown.labels == ["👍 0", "🔀 Riff"]
    assert not any("already in" in t for t in outbox.texts())
    # Its buttons work: a vote is counted on it.
    vote = await group.press("cai", Action("vote", 4), thread=thread)
    assert vote.text == "👍 Voted for #4 — 1 vote now."


async def test_a_seed_cut_off_by_a_restart_before_it_was_shown_is_shown_at_start(
    settings: Settings, restarts: list[Core]
) -> None:
    """Muse stops while posting its second seed idea (stored, its message not out yet).
    At the next start that seed is shown, with its buttons: an idea nobody could see,
    counted in the shortlist and the summary, would leave the group looking for #2."""
    clock, outbox = FakeClock(), HeldIdeaPosts(holding="#2 ")

    boot = booting(settings, clock, outbox, restarts)

    group = await boot()
    model_of(group.core).enqueue(SEEDS)
    await stop_while_posting(
        group, outbox, "/session start names for our Friday stream 20", who="ana"
    )
    thread = outbox.posts[0].key
    assert [p.text for p in idea_posts(outbox, thread)] == ["#1 Pixel Picnic Live — Muse"]

    clock.advance(minutes=1)
    group = await boot()
    await outbox.wait_for(lambda: len(idea_posts(outbox, thread)) == 2)
    shown = idea_posts(outbox, thread)[-1]
    assert shown.text == "#2 Cozy Code Corner — Muse" and shown.labels == ["👍 0", "🔀 Riff"]
    vote = await group.press("cai", Action("vote", 2), thread=thread)
    assert vote.text == "👍 Voted for #2 — 1 vote now."
    await outbox.wait_for(lambda: any("in its own thread" in t for t in outbox.texts()))
    assert [p.text for p in idea_posts(outbox, thread)] == [
        "#1 Pixel Picnic Live — Muse",
        "#2 Cozy Code Corner — Muse",
    ]


async def test_a_riff_cut_off_by_a_restart_before_it_was_shown_is_shown_once_at_start(
    settings: Settings, restarts: list[Core]
) -> None:
    """Muse stops while posting the first riff on Ben's #4 (stored, not shown). At the
    next start it is shown, credited to Ben, with its buttons; Cai's /riff answered again
    adds the riff that never got stored, never the shown one twice."""
    clock, outbox = FakeClock(), HeldIdeaPosts(holding="#5 ")

    riffs = "1. Retro Rain FM\n2. Rainy Retro Radio"

    boot = booting(settings, clock, outbox, restarts)

    group = await boot()
    thread = await open_session(group, model_of(group.core))
    await group.say("ben", "/idea Retro Rain Radio", thread=thread)
    model_of(group.core).enqueue(riffs)
    await stop_while_posting(group, outbox, "/riff #4", thread=thread)
    assert len(idea_posts(outbox, thread)) == 4

    clock.advance(minutes=1)
    group = await boot(riffs)  # for the /riff answered again
    await outbox.wait_for(lambda: any("#6 " in p.text for p in idea_posts(outbox, thread)))
    shown = [(p.text, p.labels) for p in idea_posts(outbox, thread)][4:]
    assert shown == [
        ("#5 Retro Rain FM — Muse · riff on #4 by Ben", ["👍 0", "🔀 Riff"]),
        ("#6 Rainy Retro Radio — Muse · riff on #4 by Ben", ["👍 0", "🔀 Riff"]),
    ]
    vote = await group.press("dee", Action("vote", 5), thread=thread)
    assert vote.text == "👍 Voted for #5 — 1 vote now."


async def test_a_session_started_before_muse_finished_starting_shows_each_seed_once(
    settings: Settings, restarts: list[Core]
) -> None:
    """Telegram is up and Ana starts a session while Discord still connects (the
    adapters receive before Muse's start has run). Its start re-arms running sessions
    and shows Muse's ideas a stop cut off: seed #2, still being posted, is not one."""
    outbox = HeldIdeaPosts(holding="#2 ")
    core = await Core.create(settings)
    core.clock = FakeClock()
    core.attach("demo", outbox)
    restarts.append(core)
    group = Group(core, outbox)
    model_of(core).enqueue(SEEDS)
    starting = asyncio.create_task(
        group.say("ana", "/session start names for our Friday stream 20")
    )
    await asyncio.wait_for(outbox.posting.wait(), 10)
    outbox.hold = False
    await core.start()  # the last adapter is up
    await asyncio.gather(*core.sessions.timers._work)
    outbox.go.set()
    await starting
    thread = outbox.posts[0].key
    assert [p.text for p in idea_posts(outbox, thread)] == [
        "#1 Pixel Picnic Live — Muse",
        "#2 Cozy Code Corner — Muse",
        "#3 Friday Night Devlog — Muse",
    ]


async def test_two_members_pressing_riff_on_one_idea_at_once_get_each_riff_once(
    group: Group, model: ScriptedChatModel
) -> None:
    """Cai and Dee press 🔀 Riff on Ben's #4 in the same second, and the model (same
    prompt) writes the same variations twice: each riff is in once, not two copies
    that split the group's votes, and both presses are told it's done."""
    thread = await open_session(group, model)
    await group.say("ben", "/idea Retro Rain Radio", thread=thread)
    riffs = "1. Retro Rain FM\n2. Rainy Retro Radio"
    model.enqueue(riffs, riffs)
    cai, dee = await asyncio.gather(
        group.press("cai", Action("riff", 4), thread=thread),
        group.press("dee", Action("riff", 4), thread=thread),
    )
    assert [p.text for p in idea_posts(group.outbox, thread)][4:] == [
        "#5 Retro Rain FM — Muse · riff on #4 by Ben",
        "#6 Rainy Retro Radio — Muse · riff on #4 by Ben",
    ]
    for told in (cai, dee):
        assert told.text.startswith("🔀 ") and not told.is_error, told.text


async def test_an_idea_still_being_posted_when_the_session_closes_shows_it_closed(
    core: Core, model: ScriptedChatModel
) -> None:
    """Ben's idea is stored, its message slow to go out, when Ana ends the session: it
    is in the summary, and its message, out after that, must not offer 👍 and 🔀 as if
    the session still ran (a press would only hear "closed")."""
    core.clock = FakeClock()
    outbox = HeldIdeaPosts()
    core.attach("demo", outbox)
    group = Group(core, outbox)
    thread = await open_session(group, model)
    idea = asyncio.create_task(group.say("ben", "/idea Retro Rain Radio", thread=thread))
    await asyncio.wait_for(outbox.posting.wait(), 10)
    model.enqueue(SUMMARY)
    await group.say("ana", "/session end", thread=thread)
    assert "— closed · 4 ideas" in outbox.texts(thread)[-1]
    outbox.go.set()
    await idea
    await core.sessions.edits.flush()
    assert outbox.idea_message(4).labels == ["👍 0 · closed"]


async def test_a_session_ended_before_muse_finished_starting_gets_one_summary(
    core: Core, model: ScriptedChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Muse comes back up and Telegram hands over the /session end sent while it was
    down, before Discord is connected and Muse's start has run. That start finishes
    the closings a stop cut off: this one, under way, is not one, and the group gets
    one summary, not two."""
    core.clock = FakeClock()
    outbox = RecordingOutbox()
    core.attach("demo", outbox)
    group = Group(core, outbox)
    thread = await open_session(group, model)
    writing, go_on = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        writing.set()
        await go_on.wait()

    slow_answers(core.llm, monkeypatch, before=slow)
    model.enqueue(SUMMARY, SUMMARY)
    ending = asyncio.create_task(group.say("ana", "/session end", thread=thread))
    await asyncio.wait_for(writing.wait(), 10)
    await core.start()  # the last adapter is up
    go_on.set()
    await ending
    await asyncio.gather(*core.sessions.timers._work)
    summaries = [t for t in outbox.texts(thread) if "— closed · 3 ideas" in t]
    assert len(summaries) == 1, summaries


async def test_an_idea_whose_posting_was_stopped_is_shown_when_sent_again(
    core: Core, model: ScriptedChatModel
) -> None:
    """Ben's /idea is stored and its post under way when its answer is stopped (Ctrl-C
    in the console), Muse running on. Sent again, it is shown then — not taken as
    already being posted, with nothing ever shown."""
    core.clock = FakeClock()
    outbox = HeldIdeaPosts()
    core.attach("demo", outbox)
    group = Group(core, outbox)
    thread = await open_session(group, model)
    incoming = group.incoming("ben", "/idea Retro Rain Radio", thread=thread)

    async def console() -> None:
        async for _ in core.handle(incoming, stop_with_reader=True):
            pass

    first = asyncio.create_task(console())
    await asyncio.wait_for(outbox.posting.wait(), 10)
    first.cancel()  # Ctrl-C
    await asyncio.gather(first, *core._work, return_exceptions=True)
    outbox.hold = False
    await group.say("ben", "/idea Retro Rain Radio", thread=thread)
    assert idea_posts(outbox, thread)[-1].text == "#4 Retro Rain Radio — Ben"
