"""A running TelegramAdapter (real python-telegram-bot) against the local fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.telegram import TelegramAdapter
from adapters.telegram_limits import TelegramLimiter
from bot.config import Settings, load_settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import Incoming, Outgoing
from bot.recovery import InboxEntry
from tests.helpers import slow_answers
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI, Sent


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def settings(muse_env: Path, fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The shared `core` fixture runs on these: pointed at the fake, streaming every edit."""
    monkeypatch.setenv("MUSE_TELEGRAM__TOKEN", TOKEN)
    monkeypatch.setenv("MUSE_TELEGRAM__BASE_URL", fake.base_url)
    monkeypatch.setenv("MUSE_TELEGRAM__EDIT_INTERVAL_S", "0")
    # Whether an answer streams must not depend on how busy the machine is: tests that
    # stream say so (stream_after_s 0 and a model they hold), the others never stream.
    monkeypatch.setenv("MUSE_TELEGRAM__STREAM_AFTER_S", "60")
    monkeypatch.setenv("MUSE_TELEGRAM__INLINE_DEBOUNCE_S", "0")
    return load_settings()


def fast_limiter() -> TelegramLimiter:
    """Telegram's pacing (30/s, 1/s a chat, 20/min a group) would only slow tests down;
    429s from the fake are still waited out and retried."""
    return TelegramLimiter(overall=None, per_chat=None, per_group=None, max_retries=5)


@dataclass
class Harness:
    fake: FakeBotAPI
    adapter: TelegramAdapter
    core: Core
    model: ScriptedChatModel


async def running(core: Core, fake: FakeBotAPI) -> TelegramAdapter:
    adapter = TelegramAdapter(core, rate_limiter=fast_limiter())
    await adapter.start()
    return adapter


@pytest.fixture
async def tg(fake: FakeBotAPI, core: Core, model: ScriptedChatModel) -> AsyncIterator[Harness]:
    adapter = await running(core, fake)
    try:
        yield Harness(fake, adapter, core, model)
    finally:
        await adapter.stop()


def is_final(sent: Sent) -> bool:
    """Not a streamed in-progress view."""
    return not sent.text.endswith("✍️")


async def final(fake: FakeBotAPI, chat_id: int, needle: str, within: float = 10.0) -> Sent:
    """The first finished message in the chat containing `needle` (waits for it)."""

    def find() -> Sent | None:
        return next((m for m in fake.messages(chat_id) if is_final(m) and needle in m.text), None)

    found: Sent = await fake.wait_for(find, within)
    return found


@pytest.fixture
def seen(tg: Harness, monkeypatch: pytest.MonkeyPatch) -> list[Incoming]:
    """Every Incoming the adapter hands to the core."""
    got: list[Incoming] = []
    handle = tg.core.handle

    def spy(msg: Incoming, entry: InboxEntry | None = None) -> AsyncIterator[Outgoing]:
        got.append(msg)
        return handle(msg, entry)

    monkeypatch.setattr(tg.core, "handle", spy)
    return got


class Held:
    """A slow model: every answer stops after its first words until `release` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()


@pytest.fixture
def held(tg: Harness, monkeypatch: pytest.MonkeyPatch) -> Held:
    """Answers stream (shown from their first words on) and wait for `held.release`."""
    hold = Held()
    tg.adapter.cfg.stream_after_s = 0

    async def pause() -> None:
        hold.started.set()
        await hold.release.wait()

    slow_answers(tg.core.llm, monkeypatch, after_first=pause)
    return hold


async def partial(fake: FakeBotAPI, chat_id: int) -> Sent:
    """The in-progress view of an answer being written (waits for it)."""

    def find() -> Sent | None:
        return next((m for m in fake.messages(chat_id) if not is_final(m)), None)

    found: Sent = await fake.wait_for(find)
    return found
