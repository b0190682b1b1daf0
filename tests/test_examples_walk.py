"""The scenarios of EXAMPLES.md, walked through the way a person would: typed into
`muse chat` (piped), buttons pressed with `!N`."""

from __future__ import annotations

import re

from bot.config import Settings
from bot.core import Core
from tests.test_console import console_run


async def test_captions_for_an_idea_are_for_the_creators_platform(core: Core) -> None:
    """An idea has no platform of its own: its ✍️ button (and /next's), and "More like
    this" on it, wrote Instagram captions for a creator whose /style says TikTok, while
    /caption #id wrote TikTok ones."""
    shown = await console_run(
        core, "/style platforms: tiktok, x\n/brainstorm rainy-day café content 2\n!1\n/more #2\n"
    )
    assert re.findall(r"\d captions? for \w+", shown) == ["3 captions for TikTok"] * 2


async def test_which_draft_to_remix_keeps_what_was_asked(core: Core) -> None:
    """/remix "make it punchier for linkedin" as a reply to Muse's three captions asks
    which one; its suggestions said only "/remix #1", so the creator who sent one got an
    Instagram remix with their instruction gone."""
    shown = await console_run(
        core,
        "/caption a rainy morning in Lisbon, tram 28, for instagram\n"
        ">1 /remix make it punchier for linkedin\n",
        group=True,
    )
    asked = shown.split("[2] ")[1].split("\n")[0]
    assert asked.startswith("Which one should I remix?")
    assert "/remix #2 make it punchier for linkedin" in asked


async def test_a_topic_ending_in_a_number_says_how_to_keep_it(core: Core) -> None:
    """/brainstorm "ideas for tram 28" (the tram of the examples) was refused with "I can
    brainstorm 1 to 10 ideas at a time", as if 28 ideas were asked, with no way shown to
    ask about tram 28; the refusal now says how, and that way works."""
    shown = await console_run(
        core, "/brainstorm ideas for tram 28\n/brainstorm ideas for tram 28 3\n"
    )
    refused, answered = shown.split("\n\n", 1)
    assert "1 to 10" in refused
    assert "end with how many: /brainstorm ideas for tram 28 5" in refused
    assert answered.startswith("3 ideas for “ideas for tram 28”")


async def test_a_session_carried_over_a_console_restart_keeps_to_its_own_messages(
    settings: Settings,
) -> None:
    """`muse chat --group` quit while a session runs, then started again: the new run
    numbers its messages from [1] again, and the session's messages of the first run had
    those numbers too. Ben's reply to Muse's captions [1] became an idea of the session,
    and ending it printed "(updated message 1)" over the captions."""
    first = await Core.create(settings)
    await first.start()
    await console_run(first, "ana: /session start names for our Friday stream 20\n", group=True)
    await first.close()
    core = await Core.create(settings)
    await core.start()
    try:
        shown = await console_run(
            core, "/caption a cat\nben: >1 make it shorter\n/session end\n", group=True
        )
    finally:
        await core.close()
    assert "— ben" not in shown and "Noted: make it shorter" in shown
    assert "closed · 3 ideas" in shown and "(updated message" not in shown
