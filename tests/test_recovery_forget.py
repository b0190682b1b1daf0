"""A /forget cut off by a restart, answered again at the next start, while the person's
next message, sent since, waits for it."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from tests.test_recovery import restarting, telegram
from tests.test_recovery_quota import killed


async def test_a_forget_recovered_at_start_does_not_wait_for_a_message_sent_after_it(
    settings: Settings,
) -> None:
    """Ana's '/forget confirm' waited behind her slow question when Muse was killed. She
    wrote again while it was down; Telegram handed that over first, before the start
    answered her /forget again. The new message waits, rightly, until the recovered
    /forget is answered; but the /forget took it for one of hers that came earlier and
    waited for it to finish: each waiting for the other, both stood still for two
    minutes (FORGET_WAIT_S). Recovered requests came before anything this run receives."""
    await killed(settings, telegram("SLOW first"), telegram("/forget confirm", mid="502"))
    core, box = await restarting(settings)
    try:
        later = asyncio.create_task(core.respond(telegram("hello again", mid="503")))
        await core.start()
        answered = await asyncio.wait_for(later, 10)
        assert "hello again" in answered[-1].text
        assert [p.reply_to for p in box.posts] == ["501", "502"]
        assert "delete" in box.posts[1].reply.text.lower(), box.posts[1].reply.text
    finally:
        await core.close()
