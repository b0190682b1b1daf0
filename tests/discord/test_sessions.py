"""Issue #8 on Discord, end to end through the fake: /session start opens a public thread
"💡 <topic>" and runs there; ideas by /idea, a reply, the "Add idea" form and (with the
Message Content intent) plain messages; 👍 votes with take-back, counts edited on the
buttons in one coalesced edit; 🔀 riffs; the summary by /session end and by the timer;
a restart in the middle; two sessions at once; nothing in a member's DMs; forgeries
refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from bot.config import Settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_payloads import EPHEMERAL, FakeInteraction
from tests.fakes.clock import FakeClock
from tests.session_kit import IDEA_RE, SEEDS, SUMMARY


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def run_muse(core: Core, clock: FakeClock) -> DiscordAdapter:
    """As `muse run discord` does: the adapter started and attached, then core.start()."""
    core.clock = clock
    bot = DiscordAdapter(core, edit_interval=0.05)
    await bot.start()
    core.attach("discord", bot)
    await core.start()
    return bot


@pytest.fixture
async def muse(core: Core, fake: FakeDiscord, clock: FakeClock) -> AsyncIterator[DiscordAdapter]:
    bot = await run_muse(core, clock)
    yield bot
    await bot.stop()
    core.detach("discord")
    assert not fake.unhandled, fake.unhandled


def ideas(fake: FakeDiscord, thread: str) -> dict[int, dict[str, Any]]:
    """The session's idea messages in the thread, by idea id."""
    found = {}
    for message in fake.bot_messages(thread):
        match = IDEA_RE.match(message["content"])
        if match:
            found[int(match.group(1))] = message
    return found


def labels(message: dict[str, Any]) -> list[str]:
    return [c["label"] for row in message["components"] for c in row["components"]]


def button(message: dict[str, Any], prefix: str) -> str:
    return next(
        c["custom_id"]
        for row in message["components"]
        for c in row["components"]
        if c["custom_id"].startswith(prefix)
    )


def done(i: FakeInteraction) -> bool:
    """Answered: a visible text without the streaming mark, or closed (nothing to show)."""
    text = i.text()
    deleted = bool(i.original and i.original.get("deleted"))
    return bool(text and "✍️" not in text) or (deleted and bool(i.callbacks))


async def start_session(
    fake: FakeDiscord,
    model: ScriptedChatModel,
    topic: str = "names for our Friday stream",
    minutes: str | None = "20",
    *,
    channel: str | None = None,
    user: str = "alice",
) -> tuple[FakeInteraction, str]:
    """Someone runs /session start in a channel; (their interaction, the new thread)."""
    before = {t["id"] for t in fake.threads}
    model.enqueue(SEEDS)
    options = {"topic": topic} if minutes is None else {"topic": topic, "minutes": minutes}
    i = await fake.send_slash("session", options, sub="start", channel=channel, user=user)
    await fake.wait_for(lambda: "Bring your ideas there" in i.text())
    (thread,) = [t["id"] for t in fake.threads if t["id"] not in before]
    await fake.wait_for(lambda: len(ideas(fake, thread)) == 3)
    return i, thread


async def vote(fake: FakeDiscord, thread: str, idea: int, user: str) -> str:
    """`user` presses 👍 under idea `idea`; the toast they (alone) see."""
    message = ideas(fake, thread)[idea]
    press = await fake.press_button(button(message, "m:vt:"), message, user=user)
    await fake.wait_for(lambda: press.followups)
    assert press.callback_types == [6]  # acknowledged without a new message
    (toast,) = press.followups
    assert toast["flags"] & EPHEMERAL
    return str(toast["content"])


async def test_start_opens_a_public_thread_with_opening_and_seeds(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    i, thread = await start_session(fake, model)
    (made,) = fake.threads
    assert made["name"] == "💡 names for our Friday stream"
    assert made["type"] == 11 and made["parent_id"] == fake.channel_id  # public, from #general
    opening, *seeds = fake.bot_messages(thread)
    assert opening["content"].startswith("💡 Session #1 · names for our Friday stream\n")
    assert "Until 18:20 UTC (20 min), started by alice." in opening["content"]
    assert labels(opening) == ["💡 Add idea"]
    assert [s["content"] for s in seeds] == [
        "#1 Pixel Picnic Live — Muse",
        "#2 Cozy Code Corner — Muse",
        "#3 Friday Night Devlog — Muse",
    ]
    assert all(labels(s) == ["👍 0", "🔀 Riff"] for s in seeds)
    # In the channel: where to go, as a link into the thread.
    assert f"https://discord.com/channels/{fake.guild_id}/{thread}/{opening['id']}" in i.text()
    again, _ = await start_session(fake, model, "thumbnails")  # a channel may run several
    assert len(fake.threads) == 2 and "Session #2" in again.text()


async def test_ideas_three_ways_votes_shortlist_end_and_closed_buttons(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel, clock: FakeClock
) -> None:
    _, thread = await start_session(fake, model)
    seeds = ideas(fake, thread)
    # bob: the slash command in the thread.
    by_command = await fake.send_slash(
        "idea", {"text": "Retro Rain Radio"}, channel=thread, user="bob"
    )
    await fake.wait_for(lambda: 4 in ideas(fake, thread))
    await fake.wait_for(lambda: done(by_command))
    # carol: a reply to a seed (a reply pings Muse by default, so Discord sends its text).
    await fake.send_message(
        "Cozy Code Radio", mention=False, channel=thread, reference=seeds[2], user="carol"
    )
    await fake.wait_for(lambda: 5 in ideas(fake, thread))
    # dave: the "💡 Add idea" button and its form.
    opening = fake.bot_messages(thread)[0]
    press = await fake.press_button(button(opening, "m:ai:"), opening, user="dave")
    await fake.wait_for(lambda: press.modal)
    await fake.submit_modal(press, {"idea": "Pixel Parade Live"}, user="dave")
    await fake.wait_for(lambda: 6 in ideas(fake, thread))
    shown = ideas(fake, thread)
    assert [shown[n]["content"] for n in (4, 5, 6)] == [
        "#4 Retro Rain Radio — bob",
        "#5 Cozy Code Radio — carol",
        "#6 Pixel Parade Live — dave",
    ]

    # Votes: one per person and idea, a second press takes it back, each a private toast.
    toasts = [
        await vote(fake, thread, idea, who)
        for who, idea in [
            ("bob", 5),
            ("carol", 5),
            ("dave", 5),
            ("dave", 4),
            ("alice", 4),
            ("alice", 4),
            ("carol", 1),
        ]
    ]
    assert toasts[2] == "👍 Voted for #5 — 3 votes now."
    assert toasts[5] == "Vote on #4 taken back — 1 vote now."
    assert labels(ideas(fake, thread)[5]) == ["👍 0", "🔀 Riff"]  # not yet: coalesced
    clock.advance(seconds=3)
    await fake.wait_for(lambda: labels(ideas(fake, thread)[5]) == ["👍 3", "🔀 Riff"])
    await fake.wait_for(lambda: labels(ideas(fake, thread)[1]) == ["👍 1", "🔀 Riff"])
    assert labels(ideas(fake, thread)[4]) == ["👍 1", "🔀 Riff"]
    assert ideas(fake, thread)[5]["edits"] == 1  # three votes, one edit

    shortlist = await fake.send_slash("session", {}, sub="shortlist", channel=thread, user="dave")
    await fake.wait_for(lambda: done(shortlist))
    assert shortlist.text().splitlines()[1:4] == [
        "1. #5 Cozy Code Radio — 3 votes · carol",
        "2. #1 Pixel Picnic Live — 1 vote · Muse",
        "3. #4 Retro Rain Radio — 1 vote · bob",
    ]

    # dave may not end it early (an ephemeral line); alice, who started it, may.
    refused = await fake.send_slash("session", {}, sub="end", channel=thread, user="dave")
    await fake.wait_for(lambda: refused.followups)
    assert "Only alice, who started session #1" in refused.text()
    assert refused.followups[-1]["flags"] & EPHEMERAL
    model.enqueue(SUMMARY)
    ended = await fake.send_slash("session", {}, sub="end", channel=thread, user="alice")
    await fake.wait_for(lambda: "Open questions" in fake.bot_messages(thread)[-1]["content"])
    summary = fake.bot_messages(thread)[-1]["content"]
    assert "1. #5 Cozy Code Radio — 3 votes · carol" in summary
    assert "Ideas by: bob 1 · carol 1 · dave 1 · Muse 3" in summary
    assert "Suggested decision: go with Cozy Code Radio, with a jingle" in summary
    await fake.wait_for(lambda: done(ended))
    # The channel hears it closed; the buttons say so; the opening's Add idea is gone.
    closed_note = fake.bot_messages()[-1]["content"]
    assert "closed" in closed_note and thread in closed_note
    await fake.wait_for(lambda: labels(ideas(fake, thread)[5]) == ["👍 3 · closed"])
    assert fake.bot_messages(thread)[0]["components"] == []
    late = await vote(fake, thread, 6, "bob")
    assert late == "Session #1 is closed — its votes and ideas are final."
    assert labels(ideas(fake, thread)[6]) == ["👍 0 · closed"]


async def test_riff_button_adds_credited_variations(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    _, thread = await start_session(fake, model)
    idea = await fake.send_slash(
        "idea", {"text": "Cozy Code Corner Live"}, channel=thread, user="bob"
    )
    await fake.wait_for(lambda: 4 in ideas(fake, thread) and done(idea))
    model.enqueue("1. Cozy Code Radio\n2. Late-Night Code Corner")
    message = ideas(fake, thread)[4]
    press = await fake.press_button(button(message, "m:rf:"), message, user="carol")
    await fake.wait_for(lambda: 6 in ideas(fake, thread))
    assert ideas(fake, thread)[5]["content"] == "#5 Cozy Code Radio — Muse · riff on #4 by bob"
    await fake.wait_for(lambda: press.followups)
    assert press.followups[-1]["flags"] & EPHEMERAL  # "riffs are in": for the presser only


async def test_the_timer_closes_it_and_a_moderator_may_end_anothers(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel, clock: FakeClock
) -> None:
    _, short = await start_session(fake, model, "stream names", "5")
    vote_toast = await vote(fake, short, 2, "bob")
    assert vote_toast.startswith("👍 Voted for #2")
    model.enqueue(SUMMARY)
    clock.advance(minutes=5)
    await fake.wait_for(lambda: "Open questions" in fake.bot_messages(short)[-1]["content"])
    assert "1. #2 Cozy Code Corner — 1 vote · Muse" in fake.bot_messages(short)[-1]["content"]
    # erin moderates the server (Manage Threads): she may end alice's session early.
    erin = fake.user(name="erin")
    fake.moderators.add(erin["id"])
    _, other = await start_session(fake, model, "merch ideas", "60")
    model.enqueue(SUMMARY)
    ended = await fake.send_slash("session", {}, sub="end", channel=other, user="erin")
    await fake.wait_for(lambda: "Open questions" in fake.bot_messages(other)[-1]["content"])
    await fake.wait_for(lambda: done(ended))


async def test_a_restart_keeps_the_session_its_buttons_and_its_timer(
    settings: Settings, fake: FakeDiscord, clock: FakeClock
) -> None:
    core = await Core.create(settings)
    bot = await run_muse(core, clock)
    model = core.llm.model
    assert isinstance(model, ScriptedChatModel)
    _, thread = await start_session(fake, model)
    idea = await fake.send_slash("idea", {"text": "Retro Rain Radio"}, channel=thread, user="bob")
    await fake.wait_for(lambda: 4 in ideas(fake, thread) and done(idea))
    assert (await vote(fake, thread, 4, "carol")).startswith("👍 Voted for #4")
    clock.advance(minutes=10)
    await bot.stop()
    await core.close()

    core = await Core.create(settings)  # same data dir, same Discord
    bot = await run_muse(core, clock)
    model = core.llm.model
    assert isinstance(model, ScriptedChatModel)
    try:
        assert await vote(fake, thread, 4, "dave") == "👍 Voted for #4 — 2 votes now."
        model.enqueue(SUMMARY)
        clock.advance(minutes=10)  # 18:20: the end time from before the restart
        await fake.wait_for(lambda: "Open questions" in fake.bot_messages(thread)[-1]["content"])
        assert "1. #4 Retro Rain Radio — 2 votes · bob" in fake.bot_messages(thread)[-1]["content"]
    finally:
        await bot.stop()
        await core.close()


async def test_two_channels_at_once_forged_votes_and_nothing_in_dms(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel, core: Core
) -> None:
    team = await fake.add_channel("team")
    _, one = await start_session(fake, model, "stream names")
    _, two = await start_session(fake, model, "merch ideas", channel=team)
    assert fake.channel_payload(two)["parent_id"] == team
    a = await fake.send_slash("idea", {"text": "Retro Rain Radio"}, channel=one, user="bob")
    b = await fake.send_slash("idea", {"text": "Glow-in-the-dark mugs"}, channel=two, user="bob")
    # Two sessions run at once: either idea may be #7, the other #8.
    await fake.wait_for(lambda: len(ideas(fake, one)) == 4 and len(ideas(fake, two)) == 4)
    await fake.wait_for(lambda: done(a) and done(b))
    (mugs,) = [n for n, m in ideas(fake, two).items() if "Glow-in-the-dark mugs" in m["content"]]
    retro = 15 - mugs  # the other of #7 and #8
    assert set(ideas(fake, one)) == {1, 2, 3, retro} and set(ideas(fake, two)) == {4, 5, 6, mugs}
    # A vote button edited to carry session two's idea, pressed in session one's thread.
    forged_button = {"type": 2, "style": 2, "label": "👍 0", "custom_id": f"m:vt:{mugs}:"}
    forged = fake.make_message(
        one, fake.bot, {"content": "#7", "components": [{"type": 1, "components": [forged_button]}]}
    )
    press = await fake.press_button(f"m:vt:{mugs}:", forged, user="mallory")
    await fake.wait_for(lambda: press.followups)
    assert press.followups[0]["flags"] & EPHEMERAL
    assert press.followups[0]["content"] == "That idea isn't part of a session in this chat."
    assert [i.votes for i in await core.memory.ideas(2)] == [0, 0, 0, 0]
    # Nothing of either session reaches bob's DMs with Muse.
    await fake.send_message("what should I post this week?", dm=True, user="bob")
    dm = fake.dm_channels[fake.user(name="bob")["id"]]
    await fake.wait_for(lambda: [m for m in fake.bot_messages(dm) if "✍️" not in m["content"]])
    prompt = model.last_prompt()
    assert "what should I post this week?" in prompt
    for text in ("Retro Rain", "mugs", "Pixel Picnic", "stream names", "merch"):
        assert text not in prompt


async def test_with_message_content_plain_messages_in_the_thread_are_ideas(
    core: Core, fake: FakeDiscord, model: ScriptedChatModel, clock: FakeClock
) -> None:
    core.settings.discord.message_content = True
    bot = await run_muse(core, clock)
    try:
        _, thread = await start_session(fake, model)
        await fake.send_message("lunch anyone?", mention=False, user="bob")  # in #general
        await fake.send_message("Neon Night Shift", mention=False, channel=thread, user="carol")
        await fake.wait_for(lambda: 4 in ideas(fake, thread))
        assert ideas(fake, thread)[4]["content"] == "#4 Neon Night Shift — carol"
        assert not [m for m in fake.bot_messages() if "lunch" in m["content"]]
        assert set(ideas(fake, thread)) == {1, 2, 3, 4}
    finally:
        await bot.stop()


async def test_without_thread_permission_it_runs_in_the_channel_as_replies(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    fake.no_threads.add(fake.channel_id)  # no Create Public Threads in #general
    model.enqueue(SEEDS)
    i = await fake.send_slash("session", {"topic": "stream names"}, sub="start")
    await fake.wait_for(lambda: len(ideas(fake, fake.channel_id)) == 3)
    await fake.wait_for(lambda: done(i))
    assert not fake.threads
    opening, *seeds = fake.bot_messages()
    assert opening["content"].startswith("💡 Session #1 · stream names")
    assert all(s["message_reference"]["message_id"] == opening["id"] for s in seeds)
    # Chatter in the channel is no idea; a reply to a session message is.
    await fake.send_message("Retro Rain Radio", mention=False, reference=seeds[0], user="bob")
    await fake.wait_for(lambda: 4 in ideas(fake, fake.channel_id))
    assert ideas(fake, fake.channel_id)[4]["content"] == "#4 Retro Rain Radio — bob"


async def test_a_topic_option_ending_in_a_number_is_taken_as_typed(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    # Typed, "/session start ideas for episode 12" would mean 12 minutes; the slash
    # command has a minutes option of its own, so its topic keeps the number.
    _, thread = await start_session(fake, model, "ideas for episode 12", minutes=None)
    opening = fake.bot_messages(thread)[0]["content"]
    assert opening.startswith("💡 Session #1 · ideas for episode 12\n")
    assert "(30 min)" in opening
    # The same for /brainstorm's count: 5 ideas on "content for season 12", not a refusal.
    b = await fake.send_slash("brainstorm", {"topic": "content for season 12"})
    await fake.wait_for(lambda: "ideas for" in b.text())
    assert b.text().startswith("5 ideas for “content for season 12”")
    assert "content for season 12" in model.last_prompt()


async def test_a_number_option_that_is_no_plain_number_is_one_line(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    # "²" passes str.isdigit() yet int() refuses it: no "went wrong on my side".
    s = await fake.send_slash("session", {"topic": "names", "minutes": "²"}, sub="start")
    await fake.wait_for(lambda: s.text() or s.followups)
    assert "Minutes must be a whole number from 5 to 1440." in s.text()
    b = await fake.send_slash("brainstorm", {"topic": "names", "count": "²"})
    await fake.wait_for(lambda: b.text() or b.followups)
    assert "The number of ideas must be a whole number from 1 to 10." in b.text()
