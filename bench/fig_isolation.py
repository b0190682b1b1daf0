"""Figure 4 — one chat never slows another. Under Telegram's enforced limits, a group
asks Muse more than its 20 messages a minute allow, so the group's answers wait for the
next minute; meanwhile one person writes privately. How much later does their answer
come than when nothing else is going on? And the same while one person floods Muse
with 100 messages (past `MUSE_RATE__PER_MINUTE`, they get one line and then silence).

    python bench/fig_isolation.py [--rounds 5]"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, median, print_rows
from bench.telegram_rig import Rig, running

GROUP = -100500
GROUP_ASKS = 25  # more than the 20 a minute a group may receive


async def private_answer(rig: Rig, uid: int) -> float:
    user = rig.fake.user(uid, f"solo{uid}", "Solo")
    start = time.perf_counter()
    await rig.fake.push_message(f"quick question {uid}", user=user)
    await rig.until(lambda: rig.answered(uid))
    return rig.arrived[uid] - start


async def measure(rounds: int = 5) -> list[Row]:
    async with running("muse", limits=True) as rig:
        alone = [await private_answer(rig, 9000 + n) for n in range(rounds)]
        group = rig.fake.group(GROUP)
        for n in range(GROUP_ASKS):
            asker = rig.fake.user(7000 + n, f"member{n}", "Member")
            await rig.fake.push_message(f"@muse_test_bot idea {n}", chat=group, user=asker)
        # The group has used its minute: the rest of its answers now wait for the next.
        await rig.until(lambda: len(rig.fake.messages(GROUP)) >= 20)
        busy = [await private_answer(rig, 9100 + n) for n in range(rounds)]
        assert rig.fake.limits is not None
        group_sent, refused = len(rig.fake.messages(GROUP)), rig.fake.limits.refused
    delay = (median(busy) - median(alone)) * 1000
    return [
        Row(
            "4",
            "a private answer while a group waits out its 20/min",
            "ms",
            median(busy) * 1000,
            median(alone) * 1000,
            "≤ +100 ms",
            delay <= 100,
            f"median of {rounds}; reference = the same with nothing else going on "
            f"(delay {delay:+.0f} ms); group got {group_sent}/{GROUP_ASKS} in its minute, "
            f"429s: {refused}",
        ),
    ]


FLOOD = 100


async def measure_flood(rounds: int = 5) -> list[Row]:
    async with running("muse", limits=True) as rig:
        alone = [await private_answer(rig, 9200 + n) for n in range(rounds)]
        flooder = rig.fake.user(8000, "flooder", "Flooder")
        for n in range(FLOOD):
            await rig.fake.push_message(f"flood {n}", user=flooder)
        busy = [await private_answer(rig, 9300 + n) for n in range(rounds)]
        flooder_got = len(rig.fake.messages(8000))
    delay = (median(busy) - median(alone)) * 1000
    return [
        Row(
            "4",
            f"a private answer while another person sends {FLOOD} at once",
            "ms",
            median(busy) * 1000,
            median(alone) * 1000,
            "≤ +100 ms",
            delay <= 100,
            f"median of {rounds}; reference = nothing else going on (delay {delay:+.0f} ms); "
            f"meanwhile the flooder's chat got {flooder_got} (its own 1/s; past the rate, "
            "one line, queued behind them)",
        ),
    ]


async def run(quick: bool) -> list[Row]:
    rounds = 3 if quick else 5
    return await measure(rounds) + await measure_flood(rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print_rows(asyncio.run(measure(args.rounds)) + asyncio.run(measure_flood(args.rounds)))


if __name__ == "__main__":
    main()
