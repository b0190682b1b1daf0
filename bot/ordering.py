"""Per-conversation ordering: one first-come, first-served lock per key."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class KeyedLocks:
    """Work under one key runs one at a time, in arrival order (asyncio.Lock is FIFO);
    different keys run concurrently. A key's lock is dropped once nobody holds or waits."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def waiting(self, key: str) -> int:
        """How many tasks hold or wait for `key`."""
        return self._locks.get(key, (None, 0))[1]

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, count = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, count + 1)
        try:
            async with lock:
                yield
        finally:
            lock, count = self._locks[key]
            if count <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, count - 1)


class AtWork:
    """Answers in progress per person (all their chats and linked apps), so /forget can
    let the others finish first: what they store is then deleted with everything else,
    instead of landing just after the delete under an id no one owns any more."""

    def __init__(self) -> None:
        self._count: Counter[int] = Counter()
        self._settling: Counter[int] = Counter()
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def working(self, person: int) -> AsyncIterator[None]:
        self._count[person] += 1
        try:
            yield
        finally:
            self._count[person] -= 1
            if not self._count[person]:
                del self._count[person]
            if self._settling[person]:  # only a /forget waiting on this person cares
                async with self._changed:
                    self._changed.notify_all()

    async def settle(self, person: int, timeout_s: float) -> None:
        """Wait (at most `timeout_s`) until the person's only answers in progress are
        those settling, the caller's among them (two /forget at once don't wait for
        each other)."""
        self._settling[person] += 1
        try:
            async with self._changed:
                self._changed.notify_all()  # another settling one may be waiting on this
                ready = self._changed.wait_for(
                    lambda: self._count[person] <= self._settling[person]
                )
                await asyncio.wait_for(ready, timeout_s)
        except TimeoutError:
            pass
        finally:
            self._settling[person] -= 1
            if not self._settling[person]:
                del self._settling[person]


def line_of(session: object, user_id: str, is_group: bool) -> str:
    """Which messages must be answered in arrival order: all of a private chat's; in a
    group, each member's own — one member's slow request never holds up another's."""
    return f"{session}|{user_id}" if is_group else str(session)


class Gates:
    """Conversations closed to new messages until what an earlier run left unanswered
    in them has its place in line. A closed gate opens through the line itself, once the
    recovered messages before it are answered; the gates stay, unlocked, because a
    message arriving while others still pass must queue behind them (an asyncio.Lock is
    first come, first served)."""

    def __init__(self) -> None:
        self._gates: dict[str, asyncio.Lock] = {}
        self._closed: dict[str, asyncio.Lock] = {}

    async def close(self, key: str) -> None:
        if key not in self._gates:
            gate = self._gates[key] = self._closed[key] = asyncio.Lock()
            await gate.acquire()  # free: taken at once

    async def wait(self, key: str) -> None:
        """Until `key` is open; no await at all (no lost place) where it never closed."""
        gate = self._gates.get(key)
        if gate is not None:
            async with gate:
                pass

    def open_all(self) -> list[tuple[str, asyncio.Lock]]:
        """The gates still closed, for the caller to open (`gate.release()`) in line."""
        closed, self._closed = self._closed, {}
        return list(closed.items())
