"""Slash command options typed the way people type them."""

from __future__ import annotations

from adapters.discord import DiscordAdapter
from bot.llm.fake import ScriptedChatModel
from tests.discord.fake_discord import FakeDiscord
from tests.session_kit import SEEDS


async def test_counts_in_arabic_indic_digits_are_numbers_in_options_too(
    muse: DiscordAdapter,
    fake: FakeDiscord,
    model: ScriptedChatModel,
) -> None:
    """ "/brainstorm tram ٣" typed as text gave 3 ideas, yet the count option "٣" was
    "must be a whole number from 1 to 10" (the minutes "٢٠" of /session start too)."""
    i = await fake.send_slash("brainstorm", {"topic": "night trams", "count": "٣"}, dm=True)
    await fake.wait_for(lambda: "Like one?" in i.text() or i.followups)
    assert i.text().startswith("3 ideas for “night trams”")
    model.enqueue(SEEDS)
    s = await fake.send_slash("session", {"topic": "stream names", "minutes": "٢٠"}, sub="start")
    await fake.wait_for(lambda: s.followups or "Bring your ideas there" in s.text())
    assert "whole number" not in s.text()
    assert "until 18:20 UTC" in s.text()  # the clock stands at 18:00: 20 minutes
    bad = await fake.send_slash("brainstorm", {"topic": "trams", "count": "²"}, dm=True)
    await fake.wait_for(lambda: bad.followups)
    assert "must be a whole number from 1 to 10" in bad.text()


async def test_a_session_command_in_a_dm_points_to_a_server_channel(
    muse: DiscordAdapter, fake: FakeDiscord
) -> None:
    """In a DM, "/session start" said "Brainstorm sessions happen in groups — add me to
    one": on Discord a group is a group DM, where Muse can't be added."""
    for name, options, sub in (
        ("session", {"topic": "names"}, "start"),
        ("idea", {"text": "Retro Rain Radio"}, None),
        ("riff", {"idea": "#1"}, None),
    ):
        i = await fake.send_slash(name, options, sub=sub, dm=True)
        await fake.wait_for(lambda i=i: i.followups)
        assert i.text() == (
            "Brainstorm sessions happen in a server's channels — send /session start <topic> "
            "in a channel I'm in."
        )


async def test_the_style_form_can_clear_the_style(muse: DiscordAdapter, fake: FakeDiscord) -> None:
    """README: "/style reset clears everything"; typed it did, but the slash form had no
    way to, so a Discord user could only blank each field."""
    saved = await fake.send_slash("style", {"voice": "dry", "audience": "cyclists"}, dm=True)
    await fake.wait_for(lambda: "Saved" in saved.text())
    reset = await fake.send_slash("style", {"reset": "yes"}, dm=True)
    await fake.wait_for(lambda: "cleared" in reset.text())
    after = await fake.send_slash("style", {"platforms": "x"}, dm=True)  # shows the rest
    await fake.wait_for(lambda: "Saved" in after.text())
    assert "Voice: — · Audience: —" in after.text()
