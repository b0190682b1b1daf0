"""Figure 2 (Discord) — the 3-second rule: a burst of slash commands from different
people, each to be acknowledged (deferred) within 3 s, against the fake Discord from
tests/ (in its own thread and event loop, so the bot's loop is measured alone). The
reference is the same burst answered by a stand-in core that does no work: the adapter's
and discord.py's own cost.

    python bench/fig_discord_ack.py [--burst 100] [--model-s 0] [--floor]

Measured, never asserted; on a shared machine only compare figures from the same run."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.discord import DiscordAdapter
from bench.common import Row, muse_env
from bot.config import load_settings
from bot.core import Core
from bot.messages import Incoming, Outgoing, Reply
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_payloads import FakeInteraction

T = TypeVar("T")


class FakeInThread:
    """The fake Discord on its own loop in a thread: its work doesn't count as the bot's."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeDiscord()
        self.call(self.fake.start())

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(120)

    async def acall(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def close(self) -> None:
        self.call(self.fake.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def until(done: Callable[[], bool]) -> None:
    """Poll the fake's records (they live in another thread: no event to wait on)."""
    while not done():  # noqa: ASYNC110
        await asyncio.sleep(0.01)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def burst(side: FakeInThread, n: int) -> list[FakeInteraction]:
    async def send_all() -> list[FakeInteraction]:
        sent = []
        for k in range(n):
            description = f"a tram ride number {k}"
            sent.append(
                await side.fake.send_slash("caption", {"description": description}, user=f"u{k}")
            )
        return sent

    return await side.acall(send_all())


async def measure(n: int, model_s: float, floor: bool) -> dict[str, Any]:
    side = FakeInThread()
    fake = side.fake
    with muse_env(
        llm__provider="fake",
        rate__per_minute="0",
        discord__token=fake.token,
        discord__api_base=fake.api_base,
        discord__gateway_url=fake.gateway_url,
        discord__sync="off",
    ):
        core = await Core.create(load_settings())
        if model_s:
            stream = core.llm.stream

            async def slow(*args: Any, **kwargs: Any) -> AsyncIterator[str]:
                await asyncio.sleep(model_s)
                async for delta in stream(*args, **kwargs):
                    yield delta

            core.llm.stream = slow  # type: ignore[method-assign]
        if floor:

            async def nothing(msg: Incoming, entry: object = None) -> AsyncIterator[Outgoing]:
                yield Reply("ok")

            core.handle = nothing  # type: ignore[method-assign,assignment]
        bot = DiscordAdapter(core)
        await bot.start()
        try:
            start = time.monotonic()
            sent = await burst(side, n)
            await until(lambda: all(i.acked_at is not None for i in sent))
            acked = time.monotonic() - start
            await until(lambda: all(i.text() and "✍️" not in i.text() for i in sent))
            answered = time.monotonic() - start
        finally:
            await bot.stop()
            await core.close()
            side.close()
    acks = [i.ack_s or 0.0 for i in sent]
    return {
        "burst": n,
        "model_s": model_s,
        "core": "stand-in (floor)" if floor else "real",
        "ack_p50_s": round(statistics.median(acks), 3),
        "ack_p99_s": round(quantile(acks, 0.99), 3),
        "ack_max_s": round(max(acks), 3),
        "over_3s": sum(a > 3.0 for a in acks),
        "all_acked_s": round(acked, 3),
        "all_answered_s": round(answered, 3),
    }


async def run(quick: bool) -> list[Row]:
    """For bench/run.py: the burst with the real core, then with the stand-in."""
    n = 30 if quick else 100
    real = await measure(n, 0.0, floor=False)
    floor = await measure(n, 0.0, floor=True)
    return [
        Row(
            "2d",
            f"Discord: {n} slash commands at once, slowest ack",
            "s",
            real["ack_max_s"],
            floor["ack_max_s"],
            "< 3 s each",
            real["over_3s"] == 0,
            "reference: the same burst with a core that does no work",
        ),
        Row(
            "2d",
            f"Discord: {n} slash commands at once, median ack",
            "s",
            real["ack_p50_s"],
            floor["ack_p50_s"],
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--model-s", type=float, default=0.0, help="model latency per answer")
    parser.add_argument("--floor", action="store_true", help="a core that does no work")
    args = parser.parse_args()
    result = asyncio.run(measure(args.burst, args.model_s, args.floor))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
