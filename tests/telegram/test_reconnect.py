"""Losing Telegram: long polling that breaks off or can't connect comes back by itself
(PTB's retry loop, backing off) and no update is lost or answered twice — Telegram keeps
every update until a later getUpdates confirms it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.messages import Reply, SessionKey
from tests.telegram.conftest import Harness, final

ALICE = 111


async def test_dropped_poll_answers_are_fetched_again(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The connection drops while Telegram's answer (holding the update) is on its way:
    the update comes again on the next poll and is answered once."""
    fake = tg.fake
    caplog.set_level(logging.WARNING)
    fake.fail_polls(2, how="drop")
    await fake.push_message("/caption a rainy tram in Lisbon")
    await final(fake, ALICE, "3 captions")
    assert fake.polls_failed == 2
    await fake.push_message("still there?")
    await final(fake, ALICE, "Noted: still there?")
    assert len(fake.messages(ALICE)) == 2  # nothing twice
    assert "polling failed, retrying" in caplog.text and "Traceback" not in caplog.text


async def test_bad_gateway_while_polling(tg: Harness) -> None:
    fake = tg.fake
    fake.fail_polls(2, how="error")
    await fake.push_message("hello")
    await final(fake, ALICE, "Noted: hello")
    assert fake.polls_failed == 2 and len(fake.messages(ALICE)) == 1


class Failures(logging.Handler):
    """Counts the adapter's "can't reach Telegram" warnings; `seen` is set at each one."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "polling failed" in record.getMessage() or "can't reach" in record.getMessage():
            self.count += 1
            self.seen.set()


async def test_telegram_unreachable_for_a_while(tg: Harness) -> None:
    """Connections refused (twice, so the retry loop backs off): messages sent meanwhile
    wait at Telegram and are all answered, in order, once it is back."""
    fake = tg.fake
    failures = Failures()
    logging.getLogger("adapters.telegram").addHandler(failures)
    try:
        await fake.push_message("before")
        await final(fake, ALICE, "Noted: before")
        await fake.go_offline()
        for text in ("one", "two", "three"):
            await fake.push_message(text)  # Telegram keeps them for the bot
        while failures.count < 2:
            failures.seen.clear()
            await asyncio.wait_for(failures.seen.wait(), 10)
        await fake.go_online()
    finally:
        logging.getLogger("adapters.telegram").removeHandler(failures)
    await fake.wait_for(lambda: len(fake.messages(ALICE)) == 4, within=30)
    assert [t.split(".")[0] for t in fake.texts(ALICE)] == [
        "Noted: before",
        "Noted: one",
        "Noted: two",
        "Noted: three",
    ]


async def test_a_post_while_telegram_is_unreachable_goes_out_later(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A send that can't connect never reached Telegram: sent again (with backoff),
    so a timer's summary during an outage is late, not lost, and not doubled."""
    fake = tg.fake
    caplog.set_level(logging.WARNING)
    await fake.go_offline()
    failures = Failures()
    logging.getLogger("adapters.telegram_limits").addHandler(failures)
    try:
        posting = asyncio.create_task(
            tg.adapter.post(SessionKey("telegram", "-100500"), Reply("Time's up: the summary"))
        )
        await asyncio.wait_for(failures.seen.wait(), 10)
        await fake.go_online()
        ids = await posting
    finally:
        logging.getLogger("adapters.telegram_limits").removeHandler(failures)
    sent = await final(fake, -100500, "Time's up")
    assert ids == [str(sent.message_id)] and len(fake.messages(-100500)) == 1
    assert fake.token.split(":")[1] not in caplog.text
