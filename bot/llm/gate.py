"""How many generations run at once, first come first served — and, for those that must
wait (the embedded model writes one answer at a time), their place in line, told when
they join it and again each time it moves, so nobody waits in silence."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

# Told the place in line: 1 = next to start (only the ones being written are ahead).
Waiting = Callable[[int], None]


@dataclass(eq=False)
class _Waiter:
    told: Waiting | None
    ready: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    place: int = 0


class Gate:
    def __init__(self, size: int) -> None:
        self.size = size
        self.running = 0
        self._line: deque[_Waiter] = deque()

    @property
    def waiting(self) -> int:
        return len(self._line)

    @asynccontextmanager
    async def slot(self, told: Waiting | None = None) -> AsyncIterator[None]:
        if self.running < self.size and not self._line:
            self.running += 1
        else:
            waiter = _Waiter(told)
            self._line.append(waiter)
            self._tell()
            try:
                await waiter.ready
            except asyncio.CancelledError:
                if waiter.ready.done() and not waiter.ready.cancelled():
                    self._leave()  # the slot was ours already: pass it on
                else:
                    self._line.remove(waiter)
                    self._tell()
                raise
        try:
            yield
        finally:
            self._leave()

    def _leave(self) -> None:
        self.running -= 1
        while self.running < self.size and self._line:
            waiter = self._line.popleft()
            self.running += 1
            waiter.ready.set_result(None)
        self._tell()

    def _tell(self) -> None:
        for index, waiter in enumerate(self._line):
            place = index + 1
            if waiter.told is not None and place != waiter.place:
                waiter.place = place
                waiter.told(place)
