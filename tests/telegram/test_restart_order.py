"""A restart keeps each conversation in order: what the last run left unanswered is
answered before what the person sent while Muse was down (the adapters start receiving
before the core's recovery runs, as `muse run` starts them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.core import Core
from bot.messages import Incoming, Outgoing
from bot.recovery import RESUMED, InboxEntry
from tests.telegram.conftest import final, running
from tests.telegram.fake_bot_api import FakeBotAPI
from tests.test_recovery import cut_off, telegram

ALICE = 111


async def test_a_message_sent_while_down_waits_for_the_recovered_one(
    settings: Settings, fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice's question was cut off by a crash; while Muse was down she sent /help. At
    the next start /help reached the core before the recovery did and was answered
    first, the recovered answer coming after it. Now the recovered one comes first."""
    await cut_off(settings, telegram("SLOW tips for tram photos at sunset?", mid="501"))
    await fake.push_message("/help")  # sent while Muse is down

    core = await Core.create(settings)
    handed = asyncio.Event()
    handle = core.handle

    def spy(msg: Incoming, entry: InboxEntry | None = None) -> AsyncIterator[Outgoing]:
        handed.set()
        return handle(msg, entry)

    monkeypatch.setattr(core, "handle", spy)
    adapter = await running(core, fake)  # receiving, as muse run starts it...
    try:
        core.attach(adapter.name, adapter)
        await asyncio.wait_for(handed.wait(), 10)  # /help has reached the core
        await core.start()  # ...and only then the core and its recovery
        await final(fake, ALICE, "Here is what I can do")
        await final(fake, ALICE, RESUMED)
        texts = fake.texts(ALICE)
        recovered = next(i for i, t in enumerate(texts) if t.startswith(RESUMED))
        helped = next(i for i, t in enumerate(texts) if "Here is what I can do" in t)
        assert recovered < helped, texts
        assert "tram photos" in texts[recovered]
    finally:
        await adapter.stop()
        await core.close()
