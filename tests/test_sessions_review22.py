"""Second looks at sessions after a restart: what Muse shows at start while the group
carries on."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.core import Core
from tests.fakes.clock import FakeClock
from tests.session_kit import SEEDS, SUMMARY, idea_posts, model_of
from tests.session_restarts import HeldIdeaPosts, booting, stop_while_posting


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
