"""Figure 1 — throughput against the framework's own ceiling: 200 people write at once,
the model answers instantly (the fake OpenAI-compatible server), Telegram has no send
limit. Muse (`muse run telegram`) vs a bare python-telegram-bot echo bot on the same
fake Bot API, in the same run; and the bot process's CPU per answered message (5). A
second reference, bench/gpt_bot.py, is the least a bot that calls the model must do
(PTB + the OpenAI SDK + in-memory history), to show what the model call itself costs.

    python bench/fig_throughput.py [--users 200] [--rounds 3]"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, cpu_seconds, median, print_rows
from bench.telegram_rig import FIRST_USER, running


async def one(bot: str, users: int) -> tuple[float, float, float]:
    """(answers per second, bot CPU seconds per answer, the fakes' CPU seconds per
    answer) for one burst. The fakes (Bot API, model server, the users) run in this
    process, on the same two cores as the bot."""
    async with running(bot, env={"MUSE_TELEGRAM__FLOOD_LIMITS": "false"}) as rig:
        # Imports, first queries, connections; other people than the measured ones.
        await rig.burst(5, text="warm-up {i}", first=FIRST_USER + users)
        cpu, fakes = rig.cpu(), cpu_seconds()
        seconds = await rig.burst(users)
        return users / seconds, (rig.cpu() - cpu) / users, (cpu_seconds() - fakes) / users


async def measure(users: int = 200, rounds: int = 3) -> list[Row]:
    rates: dict[str, list[float]] = {"echo": [], "gpt": [], "muse": []}
    cpus: dict[str, list[float]] = {"echo": [], "gpt": [], "muse": []}
    fakes: dict[str, list[float]] = {"echo": [], "gpt": [], "muse": []}
    for _ in range(rounds):  # interleaved, so a busy moment hurts all alike
        for bot in rates:
            rate, cpu, fake = await one(bot, users)
            rates[bot].append(rate)
            cpus[bot].append(cpu)
            fakes[bot].append(fake)
    m, e, g = (median(rates[b]) for b in ("muse", "echo", "gpt"))
    mc, ec, gc = (median(cpus[b]) * 1000 for b in ("muse", "echo", "gpt"))
    # A bot answers at most 1 s ÷ its CPU per answer on its one event loop (each bot here
    # is one process, and the fakes take little): what 0.8× echo leaves for an answer.
    budget = 1000 / (0.8 * e)
    # Spread perfectly over every CPU (separate processes, no cost to talk), a bot and
    # the fakes could answer at most (CPUs × 1 s) a second ÷ their CPU per answer.
    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    mf, gf = (median(fakes[b]) * 1000 for b in ("muse", "gpt"))
    muse_cap, gpt_cap = ncpu * 1000 / (mc + mf), ncpu * 1000 / (gc + gf)
    return [
        Row(
            "1",
            f"{users} users at once, no send limit: answers/s",
            "msg/s",
            m,
            e,
            "≥ 0.8× echo bot",
            m >= 0.8 * e,
            f"median of {rounds}; reference = bare PTB echo bot, same fake Bot API",
        ),
        Row(
            "5",
            "bot CPU per answered message",
            "ms",
            mc,
            ec,
            "—",
            None,
            "reference = the echo bot (no model call, no memory)",
        ),
        Row(
            "1",
            f"{users} users at once, no send limit: answers/s",
            "msg/s",
            m,
            g,
            "—",
            None,
            "reference = bare PTB + OpenAI SDK bot (one model call, history in memory)",
        ),
        Row(
            "5",
            "bot CPU per answered message",
            "ms",
            mc,
            gc,
            "—",
            None,
            "reference = the PTB + OpenAI SDK bot",
        ),
        Row(
            "1",
            "CPU per answer of the fakes (Bot API, model, users), ms",
            "ms",
            mf,
            median(fakes["echo"]) * 1000,
            "—",
            None,
            f"reference = with the echo bot; with the PTB + SDK bot: {gf:.2f}",
        ),
        Row(
            "1",
            "bot CPU an answer may cost for 0.8× echo in one process",
            "ms",
            mc,
            budget,
            "—",
            None,
            f"reference = 1 s ÷ (0.8 × echo's answers/s); the PTB + SDK bot needs {gc:.2f}",
        ),
        Row(
            "1",
            f"answers/s with the work spread perfectly over all {ncpu} CPUs",
            "msg/s",
            muse_cap,
            gpt_cap,
            "—",
            None,
            f"{ncpu} CPU-s a second ÷ (bot + fakes CPU per answer); reference = the PTB + "
            f"SDK bot; 0.8× echo = {0.8 * e:.0f}",
        ),
    ]


async def run(quick: bool) -> list[Row]:
    return await measure(200, 1 if quick else 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print_rows(asyncio.run(measure(args.users, args.rounds)))


if __name__ == "__main__":
    main()
