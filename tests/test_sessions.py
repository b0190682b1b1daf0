"""Group brainstorm sessions end to end through the core, on a pretend platform (ids,
edits, threads when allowed, a set of admins) and a hand-driven clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import PrivateAttr

from bot.config import Settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import Action, Incoming, SessionKey
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import RecordingOutbox
from tests.session_kit import SEEDS, SUMMARY, Group, idea_posts


@pytest.fixture
def clock(core: Core) -> FakeClock:
    core.clock = clock = FakeClock()
    return clock


@pytest.fixture
def outbox(core: Core) -> RecordingOutbox:
    box = RecordingOutbox(admins=("eve",))
    core.attach("demo", box)
    return box


@pytest.fixture
def group(core: Core, outbox: RecordingOutbox, clock: FakeClock) -> Group:
    return Group(core, outbox)


async def open_session(
    group: Group,
    model: ScriptedChatModel,
    text: str = "names for our Friday stream 20",
    who: str = "ana",
) -> SessionKey:
    """Ana (or `who`) starts a session; the key of the conversation it runs in."""
    before = len(group.outbox.posts)
    model.enqueue(SEEDS)
    await group.say(who, f"/session start {text}")
    return group.outbox.posts[before].key


async def test_start_opens_a_thread_with_topic_end_time_and_three_seed_ideas(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    await group.say("ana", "/style voice: cozy, nerdy")  # the group's style
    model.enqueue(SEEDS)
    replies = await group.say("ana", "/session start names for our Friday stream 20")

    assert outbox.opened == [(group.key, "💡 names for our Friday stream")]
    thread = SessionKey("demo", "g1", "t1")
    opening, *seeds = outbox.in_place(thread)
    assert opening.text.startswith("💡 Session #1 · names for our Friday stream\n")
    assert "Until 18:20 UTC (20 min), started by Ana." in opening.text
    assert opening.actions == [Action("idea", 1)]
    assert [s.text for s in seeds] == [
        "#1 Pixel Picnic Live — Muse",
        "#2 Cozy Code Corner — Muse",
        "#3 Friday Night Devlog — Muse",
    ]
    assert all(s.labels == ["👍 0", "🔀 Riff"] for s in seeds)
    assert all(s.reply_to is None for s in seeds)  # its own thread: no need to reply
    # The one answer in the channel where it was started: where to go.
    assert [r.text for r in replies if not r.is_empty] == [
        "💡 Session #1 · names for our Friday stream — until 18:20 UTC, in its own thread: "
        "https://demo.example/g1/t1/1000. Bring your ideas there!"
    ]
    seed_prompt = model.last_prompt()
    assert "names for our Friday stream" in seed_prompt and "cozy, nerdy" in seed_prompt


async def test_the_groups_running_series_steers_the_seed_ideas(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    await group.say("ana", "/series new Friday Streams | our weekly co-op game stream")
    await group.say("ben", "/posted Stream 1: we built a castle")
    model.enqueue(SEEDS)
    await group.say("ana", "/session start names for our Friday stream 20")

    seed_prompt = model.last_prompt()
    assert "Ongoing series “Friday Streams”: our weekly co-op game stream." in seed_prompt
    assert "- Stream 1: we built a castle" in seed_prompt
    # The series is the group's data: it reaches the model only between the data tags.
    system = str(model.calls[-1][0].content)
    before = system[: system.index("Ongoing series")]
    assert before.rfind("<creator_input>") > before.rfind("</creator_input>")


async def test_a_later_session_never_seeds_what_the_groups_sessions_already_had(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    first = await open_session(group, model)
    await group.say("ben", "/idea Retro Rain Radio", thread=first)
    model.enqueue(SUMMARY)
    await group.say("ana", "/session end", thread=first)
    # Next week, same topic: the model offers last week's seeds and Ben's idea again.
    model.enqueue(SEEDS + "\n4. Hook: Retro Rain Radio | Angle: retro | Format: live")
    model.enqueue(
        "1. Hook: Cozy Code Corner | Angle: warm | Format: live\n"
        "2. Hook: Late Night Pixel Club | Angle: calm | Format: live\n"
        "3. Hook: Friday Build Along | Angle: honest | Format: video"
    )
    second = await open_session(group, model)
    assert [p.text for p in idea_posts(outbox, second)] == [
        "#5 Late Night Pixel Club — Muse",
        "#6 Friday Build Along — Muse",
    ]


async def test_without_threads_it_runs_in_place_as_replies_to_its_opening(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    outbox.threads = False
    model.enqueue(SEEDS)
    replies = await group.say("ana", "/session start names for our Friday stream")
    assert all(r.is_empty for r in replies)  # everything went out as the session's messages
    opening, *seeds = outbox.in_place(group.key)
    assert "Until 18:30 UTC (30 min)" in opening.text  # 30 minutes by default
    assert len(seeds) == 3 and all(s.reply_to == opening.id for s in seeds)
    # Chatter in the chat is not an idea; a reply to the opening is, and is shown as a reply.
    assert await group.say("ben", "lunch anyone?", addressed=False) == []
    await group.say("ben", "Retro Rain Radio", reply_to=opening.id)
    shown = outbox.in_place(group.key)[-1]
    assert shown.text == "#4 Retro Rain Radio — Ben" and shown.reply_to == opening.id


async def test_three_members_three_paths_votes_shortlist_and_end_by_the_starter(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel, core: Core, clock: FakeClock
) -> None:
    thread = await open_session(group, model)
    seeds = idea_posts(outbox, thread)
    # Ben: the command. Cai: a reply to a seed. Dee: a plain message in the thread.
    assert await group.say("ben", "/idea Retro Rain Radio", thread=thread)
    await group.say("cai", "Cozy Code Radio", thread=thread, reply_to=seeds[1].id)
    await group.say("dee", "Pixel Parade Live", thread=thread, addressed=False)
    ben, cai, dee = idea_posts(outbox, thread)[3:]
    assert (ben.text, cai.text, dee.text) == (
        "#4 Retro Rain Radio — Ben",
        "#5 Cozy Code Radio — Cai",
        "#6 Pixel Parade Live — Dee",
    )

    # Votes: one per person per idea, several ideas each, a second press takes it back.
    toasts = [
        await group.press(who, Action("vote", idea), thread=thread)
        for who, idea in [
            ("ben", 5),
            ("cai", 5),
            ("dee", 5),
            ("dee", 4),
            ("ana", 4),
            ("ana", 4),
            ("cai", 1),
        ]
    ]
    assert all(t.toast for t in toasts)
    assert toasts[2].text == "👍 Voted for #5 — 3 votes now."
    assert toasts[5].text == "Vote on #4 taken back — 1 vote now."
    assert outbox.edits == []  # counts are refreshed together, a moment later
    clock.advance(seconds=3)
    await outbox.wait_for(lambda: len(outbox.edits) == 3)
    assert outbox.idea_message(5).labels == ["👍 3", "🔀 Riff"]
    assert outbox.idea_message(4).labels == ["👍 1", "🔀 Riff"]
    assert outbox.idea_message(1).labels == ["👍 1", "🔀 Riff"]
    assert sorted(e.id for e in outbox.edits) == sorted([cai.id, ben.id, seeds[0].id])

    # Anyone may see the shortlist: by votes, ties earlier first.
    shortlist = await group.line("dee", "/session shortlist", thread=thread)
    assert shortlist.splitlines() == [
        "💡 Session #1 · names for our Friday stream — shortlist "
        "(open until 18:20 UTC, 6 ideas, 5 votes)",
        "1. #5 Cozy Code Radio — 3 votes · Cai",
        "2. #1 Pixel Picnic Live — 1 vote · Muse",
        "3. #4 Retro Rain Radio — 1 vote · Ben",
        "4. #2 Cozy Code Corner — 0 votes · Muse",
        "5. #3 Friday Night Devlog — 0 votes · Muse",
    ]

    # Dee may not end it early; Ana, who started it, may.
    refused = await group.line("dee", "/session end", thread=thread)
    assert refused == (
        "Only Ana, who started session #1, or a group admin can end it early — "
        "it ends on its own at 18:20 UTC."
    )
    assert (await core.memory.session(1)).is_open  # type: ignore[union-attr]
    model.enqueue(SUMMARY)
    assert all(r.is_empty for r in await group.say("ana", "/session end", thread=thread))

    summary = outbox.in_place(thread)[-1].text
    assert summary.splitlines() == [
        "💡 Session #1 · names for our Friday stream — closed · 6 ideas, 5 votes",
        "Top ideas:",
        "1. #5 Cozy Code Radio — 3 votes · Cai",
        "2. #1 Pixel Picnic Live — 1 vote · Muse",
        "3. #4 Retro Rain Radio — 1 vote · Ben",
        "4. #2 Cozy Code Corner — 0 votes · Muse",
        "5. #3 Friday Night Devlog — 0 votes · Muse",
        "Ideas by: Ben 1 · Cai 1 · Dee 1 · Muse 3",
        "Themes: cozy evenings and retro radio",
        "Suggested decision: go with Cozy Code Radio, with a jingle",
        "Open questions: does it work for the video titles too?",
    ]
    # The model wrote its part from the ideas alone: no member's name reached it.
    summary_prompt = model.last_prompt()
    assert "Cozy Code Radio (3)" in summary_prompt
    assert not {"Ana", "Ben", "Cai", "Dee"} & set(summary_prompt.split())
    # The channel it came from hears that it closed, with the way to the summary.
    assert outbox.in_place(group.key)[-1].text == (
        "💡 Session #1 · names for our Friday stream — closed. Top idea: Cozy Code Radio "
        "(3 👍). Summary: https://demo.example/g1/t1/" + outbox.posts[-2].id
    )
    # Buttons say it is closed, with the final counts.
    assert outbox.idea_message(5).labels == ["👍 3 · closed"]
    assert outbox.idea_message(6).labels == ["👍 0 · closed"]
    assert outbox.in_place(thread)[0].actions == []  # the opening's Add idea is gone

    # Closed: no more votes, riffs or ideas, each said in one line; nothing changes.
    late = await group.press("ben", Action("vote", 6), thread=thread)
    assert late.toast and late.text == "Session #1 is closed — its votes and ideas are final."
    riff = await group.press("ben", Action("riff", 6), thread=thread)
    assert riff.text == late.text
    assert "is closed" in await group.line("ben", "/idea One more thing", thread=thread)
    assert "is closed" in await group.line("ben", "Another", thread=thread, reply_to=cai.id)
    assert await group.say("ben", "Chatter", thread=thread, addressed=False) == []
    shown = await group.line("ben", "/session show 1", thread=thread)
    assert shown == summary
    assert outbox.idea_message(6).labels == ["👍 0 · closed"]


async def test_a_group_admin_may_end_someone_elses_session(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    thread = await open_session(group, model)
    replies = await group.say("eve", "/session end", thread=thread)
    assert all(r.is_empty for r in replies)
    assert "— closed · 3 ideas, 0 votes" in outbox.in_place(thread)[-1].text
    # From the channel, by id: already closed, said so.
    assert await group.line("eve", "/session end 1") == (
        "Session #1 is already closed — /session show 1."
    )


async def test_ending_it_twice_at_once_or_after_its_timer_says_it_is_closed(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel, clock: FakeClock
) -> None:
    # Its starter and an admin send /session end at the same moment: Eve's comes second.
    thread = await open_session(group, model)
    model.enqueue(SUMMARY)
    assert all(r.is_empty for r in await group.say("ana", "/session end", thread=thread))
    assert await group.line("eve", "/session end", thread=thread) == (
        "Session #1 is already closed — /session show 1."
    )
    assert len([t for t in outbox.texts() if "— closed ·" in t]) == 1  # one summary
    # After the timer closed it, its thread still means it.
    thread = await open_session(group, model, "thumbnails 5")
    model.enqueue(SUMMARY)
    clock.advance(minutes=5)
    await outbox.wait_for(lambda: "— closed ·" in outbox.texts(thread)[-1])
    assert await group.line("ben", "/session end", thread=thread) == (
        "Session #2 is already closed — /session show 2."
    )
    shortlist = await group.line("ben", "/session shortlist", thread=thread)
    assert shortlist.startswith("💡 Session #2 · thumbnails — shortlist (closed, 3 ideas")
    # In place, the last session that ran here.
    outbox.threads = False
    await open_session(group, model, "intros")
    model.enqueue(SUMMARY)
    await group.say("ana", "/session end")
    assert await group.line("eve", "/session end") == (
        "Session #3 is already closed — /session show 3."
    )


async def test_ended_from_the_channel_it_was_started_in_the_channel_hears_it_once(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    await open_session(group, model)
    replies = await group.say("ana", "/session end 1")  # in the channel, not its thread
    assert all(r.is_empty for r in replies)
    (note,) = [p.text for p in outbox.in_place(group.key) if "closed" in p.text]
    assert note.startswith("💡 Session #1 · names for our Friday stream — closed. Summary: ")
    assert "Top idea" not in note  # nobody voted: no idea is "top" with 0 👍
    # From anywhere else, the way to its summary.
    await open_session(group, model, "thumbnails")
    elsewhere = SessionKey("demo", "g1", "t9")
    assert await group.line("ana", "/session end 2", thread=elsewhere) == (
        "💡 Session #2 · thumbnails is closed — /session show 2 shows its summary."
    )


async def test_the_timer_closes_the_session_and_posts_the_summary(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel, core: Core, clock: FakeClock
) -> None:
    thread = await open_session(group, model, "stream names 5")
    await group.say("ben", "/idea Retro Rain Radio", thread=thread)
    await group.press("cai", Action("vote", 4), thread=thread)
    clock.advance(minutes=4, seconds=59)
    assert await group.line("cai", "/session shortlist", thread=thread)  # still open
    assert (await core.memory.session(1)).is_open  # type: ignore[union-attr]
    model.enqueue(SUMMARY)
    clock.advance(seconds=1)
    await outbox.wait_for(lambda: "Themes: cozy evenings" in outbox.in_place(thread)[-1].text)
    summary = outbox.in_place(thread)[-1].text
    assert "1. #4 Retro Rain Radio — 1 vote · Ben" in summary
    assert "Ideas by: Ben 1 · Muse 3" in summary
    session = await core.memory.session(1)
    assert session is not None and not session.is_open and session.summary is not None
    assert (await group.press("ben", Action("vote", 4), thread=thread)).is_error


async def test_start_where_a_session_runs_says_so_and_links_to_it(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    outbox.threads = False
    await open_session(group, model)
    opening = outbox.posts[0]
    busy = await group.line("ben", "/session start something else")
    assert busy == (
        "A session is already running here: 💡 Session #1 · names for our Friday stream, "
        f"until 18:20 UTC — https://demo.example/g1/-/{opening.id}. Add ideas to it, or end "
        "it first with /session end."
    )
    # Where threads exist, a channel may run several, each in its own thread.
    outbox.threads = True
    other = Group(group.core, outbox, "g2")
    # Its starter sending the same start again: told so, still the one session.
    assert (await group.line("ana", "/session start names for our Friday stream 20")) == busy
    assert await open_session(other, model, "stream names") == SessionKey("demo", "g2", "t1")
    again = await other.line("ana", "/session start stream names")
    assert again.startswith("💡 Session #2 · stream names — until 18:30 UTC, in its own thread")
    assert len(outbox.opened) == 1
    assert await open_session(other, model, "thumbnails") == SessionKey("demo", "g2", "t2")
    listing = await other.line("ben", "/session list")
    assert listing.splitlines() == [
        "Sessions in this group (newest first):",
        "#3 thumbnails · open until 18:30 UTC · 3 ideas",
        "#2 stream names · open until 18:30 UTC · 3 ideas",
        "/session show <id> brings one back.",
    ]
    # Two run from this channel: a command outside both asks which.
    assert await other.line("ana", "/session end") == (
        "Several sessions are running in this group (#2, #3) — say which: /session end 3"
    )


async def test_two_sessions_in_two_chats_stay_apart(
    core: Core, outbox: RecordingOutbox, model: ScriptedChatModel, clock: FakeClock
) -> None:
    one, two = Group(core, outbox, "g1"), Group(core, outbox, "g2")
    t1 = await open_session(one, model, "stream names")
    t2 = await open_session(two, model, "merch ideas")
    await one.say("ben", "/idea Retro Rain Radio", thread=t1)
    await two.say("ben", "/idea Glow-in-the-dark mugs", thread=t2)
    # A vote from the other chat (a forged or misrouted press) is refused and counts nothing.
    refused = await two.press("ben", Action("vote", 7), thread=t2)
    assert refused.is_error and refused.text == "That idea isn't part of a session in this chat."
    refused = await two.press("ben", Action("riff", 7), thread=t2)
    assert refused.text == "That idea isn't part of a session in this chat."
    assert "/riff" not in await two.line("ben", "/riff #7", thread=t2)
    ones = await one.line("dee", "/session shortlist", thread=t1)
    twos = await two.line("dee", "/session shortlist", thread=t2)
    assert "Retro Rain Radio — 0 votes" in ones and "mugs" not in ones
    assert "Glow-in-the-dark mugs" in twos and "Retro" not in twos
    assert "#1 stream names" in await one.line("ana", "/session list")
    assert "stream names" not in await two.line("ana", "/session list")
    assert "can't find session #1" in await two.line("ana", "/session show 1")


async def test_forged_unknown_and_private_presses_are_refused_and_change_nothing(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel, core: Core
) -> None:
    thread = await open_session(group, model)
    for action in (Action("vote", 999), Action("riff", 999), Action("idea", 999)):
        reply = await group.press("ben", action, thread=thread)
        assert reply.toast and reply.is_error
    dm = await core.respond(Incoming(SessionKey("demo", "ben-dm"), "ben", action=Action("vote", 1)))
    assert dm[-1].is_error and dm[-1].toast
    assert [i.votes for i in await core.memory.ideas(1)] == [0, 0, 0]


async def test_riffs_by_command_and_button_credit_the_author(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    thread = await open_session(group, model)
    await group.say("ben", "/idea Cozy Code Corner Live", thread=thread)
    model.enqueue("1. Cozy Code Radio\n2. Late-Night Code Corner\n3. Cozy Code Corner Live")
    replies = await group.say("cai", "/riff #4 like a radio show", thread=thread)
    assert all(r.is_empty for r in replies)
    riffs = [p.text for p in idea_posts(outbox, thread)[4:]]
    # The copy of the idea itself is dropped; each riff credits Ben's idea.
    assert riffs == [
        "#5 Cozy Code Radio — Muse · riff on #4 by Ben",
        "#6 Late-Night Code Corner — Muse · riff on #4 by Ben",
    ]
    prompt = model.last_prompt()
    assert "Cozy Code Corner Live" in prompt and "like a radio show" in prompt
    toast = await group.press("dee", Action("riff", 5), thread=thread)
    assert toast.toast and toast.text == "🔀 3 riffs on #5 are in."
    assert idea_posts(outbox, thread)[-1].text.endswith("— Muse · riff on #5 by Muse")
    # A reply to an idea: "/riff" without an id riffs that idea.
    model.enqueue("1. Retro Code Radio\n2. Code Corner FM")
    ben = outbox.idea_message(4)
    await group.say("dee", "/riff more retro", thread=thread, reply_to=ben.id)
    assert idea_posts(outbox, thread)[-1].text == "#11 Code Corner FM — Muse · riff on #4 by Ben"
    # Asked in the channel, outside the session's thread: the channel hears where they went.
    model.enqueue("1. Cozy Code Hour\n2. Code Corner Nights")
    assert await group.line("dee", "/riff #4 longer") == (
        "🔀 2 riffs on #4 are in the session's thread: https://demo.example/g1/t1/"
        + outbox.in_place(thread)[0].id
    )
    assert (
        idea_posts(outbox, thread)[-1].text == "#13 Code Corner Nights — Muse · riff on #4 by Ben"
    )


async def test_bad_input_gets_one_clear_line(group: Group, model: ScriptedChatModel) -> None:
    cases = {
        "/session start": "What should we brainstorm? e.g. /session start names for our "
        "Friday stream 20",
        "/session start names for season 2": "A session runs 5 to 1440 minutes (24 h). If "
        "it's part of the topic, end with the minutes: /session start names for season 2 30",
        "/session start stream names 25h": "A session runs 5 to 1440 minutes",
        "/session end": "No session is running here — start one",
        "/session shortlist": "No session is running here",
        "/session show": "Which session? e.g. /session show 3",
        "/session show 42": "I can't find session #42 in this group",
        "/session dance": "I don't know /session dance. Try:\n/session start <topic>",
        "/idea": "What's your idea? e.g. /idea Retro Rain Radio",
        "/idea Retro Rain Radio": "No session is running here",
        "/riff": "Which idea? e.g. /riff #7",
        "/riff #3": "That idea isn't part of a session in this chat.",
    }
    for text, expected in cases.items():
        assert (await group.line("ben", text)).startswith(expected), text
    usage = await group.line("ben", "/session")
    assert usage.splitlines()[0].startswith("/session start <topic> [minutes, 5-1440] — ")
    assert not model.calls


async def test_a_year_or_version_stays_in_the_topic_and_hours_count(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    await open_session(group, model, "best of 2024")
    assert outbox.opened[-1][1] == "💡 best of 2024"
    assert "(30 min)" in outbox.posts[-4].text
    await open_session(group, model, "launch plan 2h")
    assert outbox.opened[-1][1] == "💡 launch plan"
    assert "Until 20:00 UTC (2 h)" in outbox.posts[-4].text
    await open_session(group, model, "stream intros 1.5h")
    assert outbox.opened[-1][1] == "💡 stream intros"
    assert "(1 h 30 min)" in outbox.posts[-4].text
    await open_session(group, model, "launch plan 2.0")  # a version, not 2 minutes
    assert outbox.opened[-1][1] == "💡 launch plan 2.0"
    assert "(30 min)" in outbox.posts[-4].text


async def test_duplicate_and_too_short_ideas(group: Group, model: ScriptedChatModel) -> None:
    thread = await open_session(group, model)
    assert await group.line("ben", "/idea cozy code corner", thread=thread) == (
        "That one is already in as #2 — vote for it with 👍."
    )
    assert "short" in await group.line("ben", "/idea ok", thread=thread)
    # A very long idea goes in shortened, and its author is told.
    told = await group.line("ben", "/idea " + "a rainy radio show " * 40, thread=thread)
    assert told == "#4 was long, so it's in as its first 500 characters."
    shown = idea_posts(group.outbox, thread)[-1].text
    assert shown.startswith("#4 a rainy radio show") and "…" in shown
    # Chatter that isn't an idea is let be, silently.
    assert await group.say("ben", "ok", thread=thread, addressed=False) == []
    assert await group.say("ben", "Cozy Code Corner", thread=thread, addressed=False) == []


async def test_sessions_are_for_groups(core: Core) -> None:
    from tests.helpers import ask

    for text in ("/session start names", "/idea Retro", "/riff #1", "/session list"):
        reply = await ask(core, text, platform="demo")
        assert reply.text == (
            "Brainstorm sessions happen in groups — add me to one and send "
            "/session start <topic> there."
        )
    console = await ask(core, "/session start names")
    assert console.text.endswith("(In the terminal: muse chat --group.)")


async def test_help_lists_the_session_commands(core: Core) -> None:
    from tests.helpers import ask

    text = (await ask(core, "/help")).text
    for usage in (
        "/session start <topic> [minutes, 5-1440]",
        "/session shortlist [id]",
        "/session end [id]",
        "/session list",
        "/session show <id>",
        "/idea <your idea>",
        "/riff #id [direction]",
    ):
        assert usage in text


async def test_chatter_outside_a_session_costs_nothing_and_ideas_and_votes_are_free() -> None:
    from bot.config import load_settings

    core = await Core.create(load_settings(telegram={"daily_quota": 2}))
    try:
        core.clock = FakeClock()
        outbox = RecordingOutbox("telegram")
        core.attach("telegram", outbox)
        group = Group(core, outbox)
        for _ in range(5):
            assert await group.say("ben", "lol, same", addressed=False) == []
        assert await core.memory.find_user("telegram", "ben") is None  # nothing stored
        assert isinstance(core.llm.model, ScriptedChatModel)
        thread = await open_session(group, core.llm.model)
        await group.say("ben", "/idea Retro Rain Radio", thread=thread)
        await group.say("ben", "Neon Night Shift", thread=thread, addressed=False)
        await group.say("ben", "Cozy Code Radio", thread=thread, reply_to=outbox.posts[1].id)
        for idea in (1, 2, 3, 4):
            assert not (await group.press("ben", Action("vote", idea), thread=thread)).is_error
        assert "shortlist" in await group.line("ben", "/session shortlist", thread=thread)
        assert "Sessions in this group" in await group.line("ben", "/session list")
        refused = await group.line("ben", "/session list")
        assert refused.startswith("You've used today's 2 requests")
    finally:
        await core.close()


async def test_the_add_idea_button_says_how_where_no_form_opens(
    group: Group, model: ScriptedChatModel
) -> None:
    thread = await open_session(group, model)
    reply = await group.press("ben", Action("idea", 1), thread=thread)
    assert reply.toast and not reply.is_error
    assert reply.text == (
        "Send /idea <your idea>, or reply to any of my messages in this session with it."
    )
    elsewhere = await Group(group.core, group.outbox, "g2").press("ben", Action("idea", 1))
    assert elsewhere.is_error and elsewhere.text == "That session isn't running in this chat."


async def test_a_platform_that_cannot_post_first_says_so(core: Core) -> None:
    group = Group(core, RecordingOutbox("elsewhere"))  # never attached
    assert await group.line("ana", "/session start names") == (
        "Sessions can't run here: I can't post in this chat on my own."
    )


async def test_the_summary_drops_what_the_model_copied_or_made_up(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    thread = await open_session(group, model)
    await group.say("ben", "/idea Retro Rain Radio", thread=thread)
    await group.press("cai", Action("vote", 4), thread=thread)
    # Off-topic themes, a decision for an idea nobody voted for, a question copied from
    # the prompt's own examples (what a small base model does).
    model.enqueue(
        "Themes: knitting circles and tea\n"
        "Decision: go with Pixel Picnic Live, the most voted\n"
        "Open questions: who leads the group runs?"
    )
    await group.say("ana", "/session end", thread=thread)
    summary = outbox.texts(thread)[-1]
    assert summary.endswith("Suggested decision: go with “Retro Rain Radio”, the most voted")
    assert "knitting" not in summary and "group runs" not in summary


async def test_riffs_that_drift_from_the_idea_get_a_second_try(
    group: Group, outbox: RecordingOutbox, model: ScriptedChatModel
) -> None:
    thread = await open_session(group, model)
    await group.say("ben", "/idea Summit selfie countdown", thread=thread)
    calls = len(model.calls)
    model.enqueue(
        "1. Hiking at night with friends\n2. Peak 158",
        "1. Summit selfie sunrise countdown\n2. Hiking at night with friends",
    )
    await group.say("cai", "/riff #4 more dramatic", thread=thread)
    assert len(model.calls) == calls + 2
    assert [p.text for p in idea_posts(outbox, thread)[4:]] == [
        "#5 Summit selfie sunrise countdown — Muse · riff on #4 by Ben",
        "#6 Hiking at night with friends — Muse · riff on #4 by Ben",
    ]


async def test_a_vote_is_answered_while_a_riff_is_still_being_written(
    settings: Settings,
) -> None:
    """Votes skip the conversation's queue: a slow model answer in the same thread
    never holds a 👍 back."""

    class SlowRiffs(ScriptedChatModel):
        _entered: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)
        _release: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)

        async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            if kwargs.get("skill") == "riff":
                self._entered.set()
                await self._release.wait()
            async for chunk in super()._astream(*args, **kwargs):
                yield chunk

    model = SlowRiffs()
    core = await Core.create(settings, model=model)
    try:
        core.clock = FakeClock()
        outbox = RecordingOutbox()
        core.attach("demo", outbox)
        group = Group(core, outbox)
        thread = await open_session(group, model)
        riffing = asyncio.create_task(group.say("cai", "/riff #1", thread=thread))
        await model._entered.wait()
        async with asyncio.timeout(10):  # not after the riff: it waits for us
            vote = await group.press("ben", Action("vote", 1), thread=thread)
        assert vote.text == "👍 Voted for #1 — 1 vote now."
        assert not riffing.done()
        model._release.set()
        await riffing
        assert len(idea_posts(outbox, thread)) > 3
        # A riff the session closed under: said so, none added.
        model._entered.clear()
        model._release.clear()
        model.enqueue("1. Pixel Picnic Radio\n2. Pixel Picnic Nights")
        riffing = asyncio.create_task(group.say("cai", "/riff #2", thread=thread))
        await model._entered.wait()
        model.enqueue(SUMMARY)
        await group.say("ana", "/session end", thread=thread)
        model._release.set()
        (late,) = [r.text for r in await riffing if not r.is_empty]
        assert late == "Session #1 just closed — its ideas are final."
    finally:
        model._release.set()
        await core.close()
