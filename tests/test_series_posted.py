"""/posted as a creator uses it over days: as a reply to /next, with a link beside a
draft, and sent twice."""

from __future__ import annotations

import re

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.helpers import ask

VIEW = "The driver's view at 6:12 from the front window"


async def test_posted_as_a_reply_to_next_records_its_idea(
    core: Core, model: ScriptedChatModel
) -> None:
    """/next ends "/posted as a reply to this message". Its first line may name other
    drafts too (a series called "Vlog #2", "close to #1"): the idea is the one meant."""
    await ask(core, "/series new Vlog #2 | a weekly dawn tram ride")
    model.enqueue(f"1. {VIEW}\n2. Rain on the rails\n3. The conductor's whistle")
    await ask(core, "/caption tram 28 at dawn")
    model.enqueue(f"Next: {VIEW}\nWhy: a fresh angle.", f"Next: {VIEW}\nWhy: a fresh angle.")
    nxt = await ask(core, "/next")
    header = re.match(r"Next for “Vlog #2” · #(\d+)  \(close to #\d+\)\n", nxt.text)
    assert header, nxt.text
    posted = await ask(core, "/posted", reply_to_text=nxt.text, reply_to_muse=True)
    assert f"Recorded #{header.group(1)} as published in “Vlog #2” (post 1)" in posted.text
