""" "typing…" never shows under an answer.

Telegram shows a chat action until the bot's next message (or ~5 s). A "typing…" still on
its way when the answer is ready must reach Telegram before the answer, or the chat shows
"typing…" under an answer that is already there."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from adapters import base, telegram_delivery
from tests.helpers import slow_answers
from tests.telegram.conftest import Harness, final
from tests.telegram.fake_bot_api import FakeBotAPI

ALICE = 111


def order_in_chat(fake: FakeBotAPI, chat_id: int) -> list[str]:
    """The methods Telegram handled for the chat, in the order it handled them."""
    return [
        c.method
        for c in fake.calls
        if c.status == 200 and int(c.params.get("chat_id", 0) or 0) == chat_id
    ]


async def typing_then_answer(fake: FakeBotAPI, typing_lands: asyncio.Event) -> None:
    """A "typing…" is held on its way; the answer is ready. Give an answer that does not
    wait for the "typing…" the time to overtake it, then let the "typing…" land."""
    with contextlib.suppress(TimeoutError):
        await fake.wait_for(lambda: fake.sent_to(ALICE), within=1.0)
    landed = len(fake.of("sendChatAction")) + fake.held.count("sendChatAction")
    typing_lands.set()
    await final(fake, ALICE, "3 captions for X")
    await fake.wait_for(lambda: len(fake.of("sendChatAction")) >= landed)


def assert_typing_came_first(fake: FakeBotAPI) -> None:
    order = order_in_chat(fake, ALICE)
    assert "sendChatAction" in order
    last_typing = max(i for i, method in enumerate(order) if method == "sendChatAction")
    shown = [i for i, method in enumerate(order) if method in ("sendMessage", "editMessageText")]
    assert shown and min(shown) > last_typing, order


@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer waits for a "typing…" on its way as long as this test holds it."""
    monkeypatch.setattr(base, "TYPING_LANDS_S", 60.0)


async def test_typing_sent_while_silent_lands_before_the_answer(
    patient: None, tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tg.fake
    tg.adapter.cfg.stream_after_s = 0  # "typing…" at once
    model = asyncio.Event()
    slow_answers(tg.core.llm, monkeypatch, before=model.wait)
    typing_lands = fake.hold("sendChatAction")
    await fake.push_message("/caption a rainy tram in Lisbon for x")
    await fake.wait_for(lambda: "sendChatAction" in fake.held)
    model.set()
    await typing_then_answer(fake, typing_lands)
    assert_typing_came_first(fake)


async def test_typing_sent_while_busy_lands_before_the_answer(
    patient: None, tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While many answers are under way, a started answer shows "typing…" in place of
    its partial text: that one too lands first."""
    monkeypatch.setattr(telegram_delivery, "BUSY_ANSWERS", 1)
    fake = tg.fake
    tg.adapter.cfg.stream_after_s = 0
    first_words, rest = asyncio.Event(), asyncio.Event()
    slow_answers(tg.core.llm, monkeypatch, before=first_words.wait, after_first=rest.wait)
    await fake.push_message("/caption a rainy tram in Lisbon for x")
    await fake.wait_for(lambda: fake.of("sendChatAction"))  # while silent: let through
    typing_lands = fake.hold("sendChatAction")
    first_words.set()  # now the partial text is due, and "typing…" goes in its place
    await fake.wait_for(lambda: "sendChatAction" in fake.held)
    assert not fake.messages(ALICE)
    rest.set()
    await typing_then_answer(fake, typing_lands)
    assert_typing_came_first(fake)
    assert len(fake.sent_to(ALICE)) == 1  # the answer, as one message
