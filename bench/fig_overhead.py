"""Figure 5 — core overhead: how long the core takes to answer one message when the
model answers instantly (the scripted fake model, in process), p50 and p99.

    python bench/fig_overhead.py [--messages 2000]"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, muse_env, percentile, run_alone
from bot.config import load_settings
from bot.core import Core
from bot.messages import Incoming, SessionKey


async def measure(messages: int = 2000, users: int = 200) -> list[Row]:
    with muse_env(llm__provider="fake", rate__per_minute="0"):
        core = await Core.create(load_settings())
        try:
            for i in range(100):  # warm-up: imports, first queries, chains built once
                await core.respond(Incoming(SessionKey("bench", f"w{i}"), f"w{i}", text="hi"))
            times = []
            for i in range(messages):
                uid = str(i % users)
                msg = Incoming(SessionKey("bench", uid), uid, text=f"an idea for a post {i}")
                start = time.perf_counter()
                await core.respond(msg)
                times.append(time.perf_counter() - start)
        finally:
            await core.close()
    p50, p99 = percentile(times, 50) * 1000, percentile(times, 99) * 1000
    return [
        Row("5", "core overhead per message, p50", "ms", p50, None, "—", None, "chat, fake model"),
        Row("5", "core overhead per message, p99", "ms", p99, None, "< 5 ms", p99 < 5),
    ]


async def run(quick: bool) -> list[Row]:
    return await measure(500 if quick else 2000)


if __name__ == "__main__":
    run_alone(measure, "--messages", 2000)
