"""Wall-clock time for things that happen later (session timers, coalesced edits).

Injectable, so tests drive time by hand instead of sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol

# A long sleep is cut in steps: a suspended laptop or a changed clock is noticed soon.
MAX_STEP_S = 60.0


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return once `now()` has reached `when`."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        # Polling on purpose: the wall clock itself is what we wait for.
        while (left := (when - self.now()).total_seconds()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(left, MAX_STEP_S))
