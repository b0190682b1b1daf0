"""Per-conversation ordering: one first-come, first-served lock per key."""

from __future__ import annotations

import asyncio
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


def line_of(session: object, user_id: str, is_group: bool) -> str:
    """Which messages must be answered in arrival order: all of a private chat's; in a
    group, each member's own — one member's slow request never holds up another's."""
    return f"{session}|{user_id}" if is_group else str(session)
