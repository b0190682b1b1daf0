"""A clock the test moves by hand: timers fire when the test says, never by sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._waiters: list[asyncio.Future[None]] = []

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, when: datetime) -> None:
        while self._now < when:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    @property
    def sleepers(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    def advance(self, **delta: float) -> None:
        """Move time forward (timedelta keywords) and wake every sleeper to re-check."""
        self._now += timedelta(**delta)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
