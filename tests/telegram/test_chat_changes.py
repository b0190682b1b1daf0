"""What happens to a group's chat itself: upgraded to a supergroup (its id changes),
Muse removed and added again, a chat gone mid-session. Through the fake Bot API, which
sends the updates and errors Telegram sends."""

from __future__ import annotations

from tests.session_kit import SEEDS, SUMMARY
from tests.telegram.conftest import final
from tests.telegram.test_sessions import ALICE, BOB, CAT, Team
from tests.telegram.test_sessions import team as team  # the fixture: a group, its adapter, a clock

OLD, NEW = -4001234, -1004001234  # a basic group, and the supergroup it becomes


async def test_a_group_upgraded_to_a_supergroup_keeps_its_memory_and_session(
    team: Team,
) -> None:
    """Turning on Topics, making a group public or passing 200 members upgrades a basic
    group: Telegram gives it a new id. The group's style, series, drafts and a running
    session were left under the old id: the supergroup found none of them, and the
    session's summary went to the old id, which Telegram refuses."""
    fake = team.fake
    old = {"id": OLD, "type": "group", "title": "Creators"}
    fake.chats[OLD] = old
    await team.say(BOB, "/style voice: dry, precise", old)
    await final(fake, BOB, "Saved for the group you asked in. Voice: dry, precise")
    await team.say(ALICE, "/series new Lisbon Mornings | a weekly dawn tram ride", old)
    await final(fake, OLD, "“Lisbon Mornings” started")
    await team.say(ALICE, "/caption a rainy tram", old)
    await final(fake, OLD, "3 captions")
    team.model.enqueue(SEEDS)
    await team.say(ALICE, "/session start stream names 20", old)
    await final(fake, OLD, "#3 Friday Night Devlog")
    shown_before, calls_before = len(fake.messages(OLD)), len(fake.calls)

    new = await fake.upgrade(old, NEW, team.person(ALICE))
    # The session carries on in the supergroup: its opening and its ideas, with buttons.
    await final(fake, NEW, "#3 Friday Night Devlog")
    opening, *ideas = fake.messages(NEW)
    assert opening.text.startswith("💡 Session #1 · stream names\n")
    assert "now a supergroup" in opening.text
    assert [i.text for i in ideas] == [
        "#1 Pixel Picnic Live — Muse",
        "#2 Cozy Code Corner — Muse",
        "#3 Friday Night Devlog — Muse",
    ]
    assert all(i.reply_to == opening.message_id for i in ideas)
    await team.press(CAT, ideas[1], "👍")
    await team.say(BOB, "/idea Retro Rain Radio", new)
    await team.idea_shown(NEW, 4, "Retro Rain Radio — bob")
    await team.say(CAT, "Pixel Parade", new, reply_to=opening.message_id)
    await team.idea_shown(NEW, 5, "Pixel Parade — cat")

    # The group's memory came along: its style, its series, its drafts.
    await team.say(BOB, "/style", new)
    await final(fake, BOB, "Voice: dry, precise · Audience")
    await team.say(ALICE, "/series", new)
    await final(fake, NEW, "Lisbon Mornings")
    await team.say(ALICE, "/remix #1 for x", new)
    await final(fake, NEW, "Remix from #1")

    team.model.enqueue(SUMMARY)
    team.clock.advance(minutes=20, seconds=1)
    summary = await final(fake, NEW, "Themes: cozy evenings")
    assert "1. #2 Cozy Code Corner — 1 vote · Muse" in summary.text
    assert "Ideas by: bob 1 · cat 1 · Muse 3" in summary.text
    # Nothing more went to the old id, which Telegram refuses now.
    assert len(fake.messages(OLD)) == shown_before
    assert not [c for c in fake.calls[calls_before:] if c.params.get("chat_id") == OLD]
    # And the buttons say it's closed, on the messages in the supergroup.
    await fake.wait_for(lambda: ideas[1].buttons == [[("👍 1 · closed", "m:vt:2:")]])


async def test_removed_mid_session_the_summary_waits_in_session_show(team: Team) -> None:
    """Muse is removed from the group while a session runs (Telegram then refuses every
    send there with a 403) and added back after its end: the summary was kept."""
    fake = team.fake
    group = fake.group(-1009876543210)
    team.model.enqueue(SEEDS)
    await team.say(ALICE, "/session start stream names 5", group)
    await final(fake, group["id"], "#3 Friday Night Devlog")
    await fake.bot_status(group, "kicked", team.person(ALICE))
    team.model.enqueue(SUMMARY)
    team.clock.advance(minutes=5, seconds=1)
    await fake.wait_for(lambda: any(c.status == 403 for c in fake.calls))
    await fake.bot_status(group, "member", team.person(ALICE))
    await team.say(BOB, "/session show 1", group)
    shown = await final(fake, group["id"], "Themes: cozy evenings")
    assert shown.text.startswith("💡 Session #1 · stream names — closed")
