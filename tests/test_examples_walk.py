"""The scenarios of EXAMPLES.md, walked through the way a person would: typed into
`muse chat` (piped), buttons pressed with `!N`."""

from __future__ import annotations

import io
import re

from adapters.console import ConsoleAdapter
from bot.core import Core


async def console_run(core: Core, script: str, *, group: bool = False) -> str:
    """What the terminal shows for `script` (one line each), piped."""
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(script), stdout=out, group=group)
    core.attach(console.name, console)
    assert await console.run() == 0
    return out.getvalue()


async def test_captions_for_an_idea_are_for_the_creators_platform(core: Core) -> None:
    """An idea has no platform of its own: its ✍️ button (and /next's), and "More like
    this" on it, wrote Instagram captions for a creator whose /style says TikTok, while
    /caption #id wrote TikTok ones."""
    shown = await console_run(
        core, "/style platforms: tiktok, x\n/brainstorm rainy-day café content 2\n!1\n/more #2\n"
    )
    assert re.findall(r"\d captions? for \w+", shown) == ["3 captions for TikTok"] * 2
