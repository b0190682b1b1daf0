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


async def test_a_message_sent_after_the_restart_waits_until_the_recovered_answer_is_posted(
    settings: Settings, fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice's question was cut off by a crash; right after the restart, while Telegram
    was still slow to take the recovered answer, she sent /help. Her chat opened to
    /help once the recovered answer was worked out, not once it was posted: /help could
    be answered while the recovered answer still hung in sendMessage, and arrive first."""
    await cut_off(settings, telegram("SLOW tips for tram photos at sunset?", mid="501"))
    core = await Core.create(settings)
    adapter = await running(core, fake)
    core.attach(adapter.name, adapter)
    slow = fake.hold("sendMessage")
    let_through: list[list[str]] = []  # what the chat showed as /help passed its gate
    wait = core.gates.wait

    async def at_gate(key: str) -> None:
        slow.set()  # Telegram takes the recovered answer now
        await wait(key)
        let_through.append(fake.texts(ALICE))

    try:
        await core.start()
        await fake.wait_for(lambda: "sendMessage" in fake.held)  # the recovered answer
        del fake.holds["sendMessage"]  # only that one is slow
        monkeypatch.setattr(core.gates, "wait", at_gate)
        await fake.push_message("/help")
        await final(fake, ALICE, "Here is what I can do")
        assert let_through and any(t.startswith(RESUMED) for t in let_through[0]), let_through
        texts = fake.texts(ALICE)
        recovered = next(i for i, t in enumerate(texts) if t.startswith(RESUMED))
        helped = next(i for i, t in enumerate(texts) if "Here is what I can do" in t)
        assert recovered < helped, texts
    finally:
        await adapter.stop()
        await core.close()
