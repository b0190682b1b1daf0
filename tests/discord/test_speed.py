"""Issue #10, Discord side: nothing stands between an interaction and its acknowledgement
— not the model, not the database, not other people's answers — so a burst of 100 slash
commands is acknowledged whatever the core is doing. (How fast is measured by
bench/bench_discord.py, never asserted here.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest

from adapters.discord import DiscordAdapter
from bot.config import load_settings
from bot.core import Core
from bot.llm.engine import Answer
from tests.discord.fake_discord import FakeDiscord
from tests.helpers import slow_answers

BURST = 100
DEFER = 5


def hold_model(core: Core, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Every model call waits until the returned event is set."""
    gate = asyncio.Event()
    slow_answers(core.llm, monkeypatch, before=gate.wait)
    return gate


async def test_a_burst_is_acknowledged_while_model_and_database_are_stuck(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = hold_model(core, monkeypatch)
    database = threading.Event()
    stuck = asyncio.ensure_future(core.memory._run(lambda db: database.wait(60)))
    sent = [
        await fake.send_slash("caption", {"description": f"tram ride {k}"}, user=f"u{k}")
        for k in range(BURST)
    ]
    await fake.wait_for(lambda: all(i.callback_types == [DEFER] for i in sent), limit_s=60)
    assert not any(i.text() for i in sent)  # acknowledged, nothing answered yet
    database.set()
    await stuck
    model.set()
    await fake.wait_for(
        lambda: all("captions for" in i.text() and "✍️" not in i.text() for i in sent),
        limit_s=120,
    )


async def test_edit_interval_is_a_setting(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSE_DISCORD__EDIT_INTERVAL_S", "3600")  # one preview an hour
    core.settings.discord = load_settings().discord
    gate, started = asyncio.Event(), asyncio.Event()

    async def slow(answer: Answer) -> AsyncIterator[str]:
        answer.text = "1. Hook: Desk tour | Angle: story | Format: reel\n"
        yield answer.text
        started.set()
        await gate.wait()
        for n in range(2, 6):
            answer.text += f"{n}. Hook: Idea {n} | Angle: story | Format: reel\n"
            yield answer.text

    monkeypatch.setattr(core.llm, "answer", lambda *args, **kwargs: Answer(slow))
    bot = DiscordAdapter(core)
    assert bot.edit_interval == 3600.0
    await bot.start()
    try:
        i = await fake.send_slash("brainstorm", {"topic": "studio tour"})
        await asyncio.wait_for(started.wait(), 10)
        await fake.wait_for(lambda: i.original and i.original.get("history"))
        gate.set()
        await fake.wait_for(lambda: "ideas for" in i.text())
    finally:
        await bot.stop()
    assert i.original is not None
    previews = [h for h in i.original["history"] if h.endswith("✍️")]
    assert len(previews) == 1  # the first words, then nothing until the answer
