"""Figure 2 (Telegram) — at the platform's limit: the fake Bot API enforces Telegram's
flood limits (30 sends/s overall, 1/s per chat, 20/min per group) and answers 429 +
retry_after beyond them. 200 people write at once: every one answered, in how long,
against the least time the limits allow; the bare echo bot (no pacing) for reference.

    python bench/fig_limits.py [--users 200]"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, run_alone
from bench.telegram_rig import FIRST_USER, running

OVERALL_PER_S = 30


async def one(bot: str, users: int, within: float) -> tuple[int, float | None, int]:
    """(answered, seconds to the last answer if all were, 429s the fake gave)."""
    async with running(bot, limits=True) as rig:
        assert rig.fake.limits is not None
        seconds: float | None = None
        with contextlib.suppress(TimeoutError):
            seconds = await asyncio.wait_for(rig.burst(users), within)
        answered = sum(rig.answered(FIRST_USER + i) for i in range(users))
        return answered, seconds, rig.fake.limits.refused


async def measure(users: int = 200) -> list[Row]:
    # 30 in any second: the last of `users` answers can go out no sooner than this.
    least = (math.ceil(users / OVERALL_PER_S) - 1) * 1.0
    answered, seconds, refused = await one("muse", users, 120)
    echo_answered, _, echo_refused = await one("echo", users, 30)
    return [
        Row(
            "2",
            f"{users} users under Telegram's limits: time to the last answer",
            "s",
            seconds,
            least,
            "≤ 1.3× the least",
            seconds is not None and seconds <= 1.3 * least,
            f"reference = the least the limits allow (30 sends in any second); "
            f"429s answered to Muse: {refused}",
        ),
        Row(
            "2",
            f"{users} users under Telegram's limits: answered",
            "people",
            answered,
            echo_answered,
            "all, none lost",
            answered == users,
            f"reference = bare PTB echo bot without pacing ({echo_refused} × 429, "
            "each a lost answer)",
        ),
    ]


async def run(quick: bool) -> list[Row]:
    return await measure(200)


if __name__ == "__main__":
    run_alone(measure, "--users", 200)
