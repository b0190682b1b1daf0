"""Figure 3 — a slow model and many people. A server model that takes 1 s per answer,
200 people writing at once through `muse run telegram` (no send limit, so the model is
what is measured): how long until all are answered. And the embedded model, which
writes one answer at a time: how soon the 5th person in line is told so.

    python bench/fig_slow_model.py [--users 200]"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, muse_env, run_alone
from bench.telegram_rig import running
from bot.config import load_settings
from bot.core import Core
from bot.messages import Incoming, Progress, SessionKey

MODEL_S = 1.0


async def many_people(users: int) -> Row:
    async with running(
        "muse", model_delay_s=MODEL_S, env={"MUSE_TELEGRAM__FLOOD_LIMITS": "false"}
    ) as rig:
        seconds = await rig.burst(users)
    return Row(
        "3",
        f"{users} users, a server model taking {MODEL_S:.0f} s an answer: all answered",
        "s",
        seconds,
        MODEL_S,
        "≤ 2.5 s",
        seconds <= 2.5,
        "reference = one answer's model time; MUSE_LLM__CONCURRENCY unset (256 for a server)",
    )


async def fifth_in_line() -> Row:
    """Five people ask the embedded model at once; when does the 5th hear anything?"""
    with muse_env(llm__provider="embedded"):
        core = await Core.create(load_settings())
        await core.start()
        try:
            assert core._warm is not None
            await asyncio.wait([core._warm])  # the load is not what is measured here
            told: dict[int, float] = {}
            start = time.perf_counter()

            async def ask(n: int) -> None:
                msg = Incoming(SessionKey("bench", f"q{n}"), f"q{n}", text=f"/caption a tram {n}")
                async for out in core.handle(msg):
                    if isinstance(out, Progress) and n not in told:
                        told[n] = time.perf_counter() - start

            tasks = []
            for n in range(5):
                tasks.append(asyncio.create_task(ask(n)))
                await asyncio.sleep(0)  # arrival order: the 5th is 5th
            await asyncio.gather(*tasks)
        finally:
            await core.close()
    seconds = told.get(4)
    return Row(
        "3",
        "embedded model: the 5th in line hears where they are after",
        "s",
        seconds,
        None,
        "≤ 1 s",
        seconds is not None and seconds <= 1.0,
        "the first Progress the 5th person gets (“You're in line: 4 answers …”)",
    )


async def measure(users: int = 200) -> list[Row]:
    return [await many_people(users), await fifth_in_line()]


async def run(quick: bool) -> list[Row]:
    return await measure(200)


if __name__ == "__main__":
    run_alone(measure, "--users", 200)
