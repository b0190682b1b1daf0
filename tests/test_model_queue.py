"""One generation at a time (the embedded model): whoever waits is told their place in
line at once, and again as it moves — never left in silence."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np

from bot.config import Settings
from bot.core import Core
from bot.llm.gate import Gate
from bot.messages import Progress, Reply
from bot.novelty import Novelty
from tests.helpers import message
from tests.test_core_robustness import GatedModel
from tests.test_novelty_pick import TableEmbedder


async def test_the_fifth_in_line_is_told_so_at_once_and_answered_in_turn(
    settings: Settings,
) -> None:
    settings.llm.concurrency = 1  # as with the embedded model
    model = GatedModel()
    core = await Core.create(settings, model=model)
    try:
        seen: dict[str, list[Any]] = {}
        fifth_told = asyncio.Event()

        async def ask(user: str, text: str) -> None:
            seen[user] = []
            async for out in core.handle(message(text, user=user, chat=user)):
                seen[user].append(out)
                if user == "u4" and isinstance(out, Progress):
                    fifth_told.set()

        first = asyncio.create_task(ask("u0", "SLOW the first one"))
        await asyncio.wait_for(model.__dict__["started"].wait(), 10)  # it holds the model
        others = [asyncio.create_task(ask(f"u{n}", f"request {n}")) for n in range(1, 5)]
        await asyncio.wait_for(fifth_told.wait(), 10)
        fifth = [o for o in seen["u4"] if isinstance(o, Progress)]
        assert fifth and "4 answers to write before yours" in fifth[-1].text
        assert not any(isinstance(o, Reply) for o in seen["u4"])  # told, not yet answered
        model.__dict__["release"].set()
        await asyncio.wait_for(asyncio.gather(first, *others), 10)
        assert model.__dict__["seen"][1:] == [f"request {n}" for n in range(1, 5)]  # in turn
        assert seen["u4"][-1].text == "answer to request 4"
    finally:
        await core.close()


class HeldEmbedder(TableEmbedder):
    """An embedder busy until released (the local one shares the CPU with the model)."""

    def __init__(self) -> None:
        super().__init__({})
        self.release = asyncio.Event()

    async def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        await self.release.wait()
        return await super().embed(texts, query=query)


async def test_waiting_for_the_embedder_does_not_keep_anyone_out_of_the_line(
    settings: Settings,
) -> None:
    """Captions are checked for novelty by an embedder; while it is busy, five people
    asking at once still join the model's line and hear their place at once."""
    settings.llm.concurrency = 1
    model = GatedModel()
    core = await Core.create(settings, model=model)
    embedder = HeldEmbedder()
    core.novelty = Novelty(core.settings, core.memory, embedder)
    try:
        told = asyncio.Event()
        outs: dict[int, list[Any]] = {}

        async def ask(n: int) -> None:
            text = f"/caption {'SLOW ' if n == 0 else ''}a tram at dawn, take {n}"
            outs[n] = []
            async for out in core.handle(message(text, user=f"u{n}", chat=f"u{n}")):
                outs[n].append(out)
                if n == 4 and isinstance(out, Progress):
                    told.set()

        people = []
        for n in range(5):
            people.append(asyncio.create_task(ask(n)))
            await asyncio.sleep(0)  # the 5th is 5th
        await asyncio.wait_for(told.wait(), 10)
        assert "4 answers to write before yours" in outs[4][-1].text
        assert not embedder.calls  # nothing embedded yet: nobody waited for it
        embedder.release.set()
        model.__dict__["release"].set()
        await asyncio.wait_for(asyncio.gather(*people), 10)
        assert all(isinstance(outs[n][-1], Reply) for n in range(5))
    finally:
        await core.close()


async def test_the_place_in_line_moves_and_a_waiter_who_leaves_is_forgotten() -> None:
    gate = Gate(1)
    told: dict[str, list[int]] = {"b": [], "c": [], "d": []}
    release = asyncio.Event()

    async def use(name: str) -> None:
        async with gate.slot(told[name].append if name in told else None):
            if name == "a":
                await release.wait()

    a = asyncio.create_task(use("a"))
    await asyncio.sleep(0)
    waiters = {n: asyncio.create_task(use(n)) for n in "bcd"}
    await asyncio.sleep(0)
    assert told == {"b": [1], "c": [2], "d": [3]}
    waiters["b"].cancel()  # b gives up: the others move up
    await asyncio.sleep(0)
    assert told["c"] == [2, 1] and told["d"] == [3, 2]
    release.set()
    await asyncio.gather(a, waiters["c"], waiters["d"])
    assert gate.running == 0 and gate.waiting == 0
