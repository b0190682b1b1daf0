"""A message cut off by a restart costs one of today's requests, once: counted when it
arrived if it got that far, else when it is answered after the restart."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.core import Core
from bot.messages import Incoming
from bot.recovery import InboxEntry
from tests.test_core_robustness import GatedModel
from tests.test_recovery import RecordingOutbox, next_start, telegram


async def killed(settings: Settings, *msgs: Incoming) -> None:
    """A run killed while the model writes the answer to the first of `msgs`, the others
    recorded and waiting in line behind it, never admitted. (tests.test_recovery.cut_off
    shuts down gracefully: the queued ones then get through admission before the end.)"""
    model = GatedModel()
    core = await Core.create(settings, model=model)
    entries = [core.receive(msg) for msg in msgs]

    async def adapter(msg: Incoming, entry: InboxEntry | None) -> None:
        async for _ in core.handle(msg, entry):
            pass

    readers = [asyncio.create_task(adapter(m, e)) for m, e in zip(msgs, entries, strict=True)]
    try:
        for entry in entries:
            assert entry is not None
            await entry.again()  # (awaits its row)
        await asyncio.wait_for(model.__dict__["started"].wait(), 10)
        await core.shutting_down()
        doomed = [*core._work, *readers]
        for task in doomed:  # nothing runs on after a kill
            task.cancel()
        await asyncio.gather(*doomed, return_exceptions=True)
    finally:
        await core.close()


async def third_is_refused(settings: Settings) -> None:
    """Quota 2, two requests answered: the third is refused."""
    core = await Core.create(settings)
    try:
        third = await core.respond(telegram("and a third", mid="503"))
    finally:
        await core.close()
    assert "today's 2 requests" in third[-1].text, third[-1].text


async def test_a_message_still_in_line_at_a_crash_is_counted_when_handed_over_again(
    settings: Settings,
) -> None:
    """Alice's second message waited in line behind her slow first when Muse crashed:
    recorded, never admitted. Telegram handed it over again after the restart and it was
    answered without ever being counted: her third message of a quota of 2 went through."""
    settings.telegram.daily_quota = 2
    await killed(settings, telegram("SLOW first"), telegram("second", mid="502"))  # 1 of 2
    core = await Core.create(settings)
    box = RecordingOutbox()
    core.attach("telegram", box)
    answering = asyncio.create_task(core.respond(telegram("second", mid="502")))  # again
    await core.start()
    try:
        assert "Noted: second" in (await answering)[-1].text  # 2 of 2
    finally:
        await core.close()
    assert [p.reply_to for p in box.posts] == ["501"]  # the first, recovered: counted once
    await third_is_refused(settings)


async def test_a_message_still_in_line_at_a_crash_is_counted_when_recovered(
    settings: Settings,
) -> None:
    """The same, with the next start answering both itself (the platform did not hand
    the second over again): the second was answered for free."""
    settings.telegram.daily_quota = 2
    await killed(settings, telegram("SLOW first"), telegram("second", mid="502"))  # 1 of 2
    box = await next_start(settings)
    assert [p.reply_to for p in box.posts] == ["501", "502"]
    assert "Noted: second" in box.posts[1].reply.text  # 2 of 2
    await third_is_refused(settings)
