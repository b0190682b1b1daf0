"""Second looks at sessions after a restart: what Muse shows at start while the group
carries on."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from bot.config import Settings
from bot.core import Core
from tests.fakes.clock import FakeClock
from tests.session_kit import SEEDS, SUMMARY, demo_group, idea_posts, model_of
from tests.session_restarts import HeldIdeaPosts, booting, stop_while_posting
from tests.test_sessions import open_session


async def test_a_seed_shown_at_start_while_the_session_closes_shows_it_closed(
    settings: Settings, restarts: list[Core]
) -> None:
    """A stop cut seed #2 off before it was shown. At the next start Muse posts it, and
    the platform is slow to take it while Ana ends the session: #2 then comes out under
    the summary, and its buttons must say closed, not offer 👍 and 🔀 as if it still ran
    (as a member's idea posted then does)."""
    clock, outbox = FakeClock(), HeldIdeaPosts(holding="#2 ")

    boot = booting(settings, clock, outbox, restarts)
    group = await boot()
    model_of(group.core).enqueue(SEEDS)
    await stop_while_posting(
        group, outbox, "/session start names for our Friday stream 20", who="ana", keep_holding=True
    )
    thread = outbox.posts[0].key

    # The next start posts #2, and the platform holds it while Ana ends the session.
    outbox.posting, outbox.go = asyncio.Event(), asyncio.Event()  # the first stays held
    clock.advance(minutes=1)
    group = await boot()
    await asyncio.wait_for(outbox.posting.wait(), 10)
    model_of(group.core).enqueue(SUMMARY)
    await group.say("ana", "/session end", thread=thread)
    assert "— closed · 2 ideas" in outbox.texts(thread)[-1]
    outbox.go.set()
    await outbox.wait_for(lambda: len(idea_posts(outbox, thread)) == 2)
    await asyncio.gather(*group.core.sessions.timers._work)  # the start's showing ends
    await group.core.sessions.edits.flush()
    assert outbox.idea_message(2).labels == ["👍 0 · closed"]


async def test_a_closing_that_failed_can_be_tried_again(core: Core, monkeypatch: Any) -> None:
    """The database failed the moment Ana's /session end closed the session: she got
    one error line, and every later /session end said "already closed" of a session
    still open (and its timer did nothing), since the closing was marked as taken."""
    group = demo_group(core)
    model = model_of(core)
    thread = await open_session(group, model)
    close, failed = core.memory.close_session, []

    async def fails_once(*args: Any) -> Any:
        if not failed:
            failed.append(True)
            raise sqlite3.OperationalError("disk I/O error")
        return await close(*args)

    monkeypatch.setattr(core.memory, "close_session", fails_once)
    first = await group.line("ana", "/session end", thread=thread)
    assert "Something went wrong" in first
    model.enqueue(SUMMARY)
    assert all(r.is_empty for r in await group.say("ana", "/session end", thread=thread))
    assert "— closed ·" in group.outbox.texts(thread)[-1]
