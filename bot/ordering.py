"""Per-conversation ordering: one first-come, first-served lock per key."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any


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
    """Requests per identity (platform:user id), from their arrival to their end,
    numbered in that order, so /forget and /link can let those that came before them,
    in all the person's chats and linked apps, finish first — also one still waiting in
    line behind a slow answer elsewhere (the core's line, or an adapter's own, which
    comes first: Core.receive takes the place), which used to start after the delete
    and store its turn and drafts under a brand-new person. What they store is then
    deleted (or joined) with the rest. Later requests are not waited for: some wait in
    line behind the caller."""

    def __init__(self) -> None:
        self._next = itertools.count(1)
        # What an earlier run left unanswered (answered again at start) came before all
        # this run receives: numbered below every arrival, or a recovered /forget waited
        # for the person's newer message, itself waiting for it at its line's gate.
        self._recovered = itertools.count(-sys.maxsize)
        self._open: dict[str, set[int]] = {}
        self._changed: set[asyncio.Event] = set()

    def arrive(self, who: str, *, recovered: bool = False) -> Place:
        """A request of `who` takes its number, to keep until it leaves."""
        place = Place(self, who, next(self._recovered if recovered else self._next))
        self._open.setdefault(who, set()).add(place.number)
        return place

    def release(self, place: Place) -> None:
        """Through Place.leave, once."""
        left = self._open.get(place.who, set())
        left.discard(place.number)
        if not left:
            self._open.pop(place.who, None)
        for changed in self._changed:
            changed.set()

    @contextmanager
    def arrived(self, who: str, place: Place | None = None) -> Iterator[None]:
        """The current task answers a request of `who` (in its `place`, if it took one on
        arrival): its number is the task's, for settle, until the answer ends."""
        place = place or self.arrive(who)
        TICKET.set(place.number)
        try:
            yield
        finally:
            place.leave()

    async def settle(self, who: Iterable[str], timeout_s: float) -> None:
        """Wait (at most `timeout_s`) until the requests of these identities that came
        before the caller's are done (two /forget at once: the later waits)."""
        before, keys = TICKET.get(), list(who)
        changed = asyncio.Event()
        self._changed.add(changed)
        try:
            async with asyncio.timeout(timeout_s):
                while any(t < before for key in keys for t in self._open.get(key, ())):
                    changed.clear()
                    await changed.wait()
        except TimeoutError:
            pass
        finally:
            self._changed.discard(changed)


class Place:
    """One request's number among its person's requests, held from its arrival until it
    leaves: its answer ended, or it was never handed to the core (leaving twice is one)."""

    def __init__(self, at_work: AtWork, who: str, number: int) -> None:
        self._at_work, self.who, self.number = at_work, who, number
        self._left = False

    def leave(self) -> None:
        if not self._left:
            self._left = True
            self._at_work.release(self)


# The number of the request the current task answers (outside one: after all of them).
TICKET: ContextVar[int] = ContextVar("TICKET", default=sys.maxsize)


def identity(platform: str, user_id: str) -> str:
    """One account on one app, as AtWork counts its requests."""
    return f"{platform}:{user_id}"


def line_of(session: object, user_id: str, is_group: bool) -> str:
    """Which messages must be answered in arrival order: all of a private chat's; in a
    group, each member's own — one member's slow request never holds up another's."""
    return f"{session}|{user_id}" if is_group else str(session)


class Gates:
    """Conversations closed to new messages until what an earlier run left unanswered
    in them has its place in line. A closed gate opens through the line itself, once the
    recovered messages before it are answered and those answers posted (a platform slow
    to take one must not let a newer answer arrive first); the gates stay, unlocked,
    because a message arriving while others still pass must queue behind them (an
    asyncio.Lock is first come, first served)."""

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

    def opening(
        self, order: KeyedLocks, posted: Mapping[str, asyncio.Future[None]] | None = None
    ) -> list[Coroutine[Any, Any, None]]:
        """The work that opens each gate still closed, in its line, for the caller to run;
        `posted`: per line, the delivery of its last recovered answer, to wait for too."""
        closed, self._closed = self._closed, {}
        posted = posted or {}
        return [self._open(order, key, gate, posted.get(key)) for key, gate in closed.items()]

    @staticmethod
    async def _open(
        order: KeyedLocks, key: str, gate: asyncio.Lock, posted: asyncio.Future[None] | None
    ) -> None:
        if posted is not None:
            await asyncio.wait([posted])  # handed to the platform, or failed for good
        async with order.hold(key):
            gate.release()
