"""The hand-off between the work of one answer and its delivery.

The skill runs in its own task and puts what it produces here; the adapter takes it at
the platform's pace. Progress is coalesced — only the newest text matters, and a Reply
supersedes it — so a slow or rate-limited platform never holds a model slot, and an
answer that is ready at once goes out as one message, with no placeholder."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextvars import ContextVar

from bot.messages import Outgoing, Progress


class Mailbox:
    def __init__(self) -> None:
        self._items: deque[Outgoing] = deque()
        self._ready = asyncio.Event()
        self._closed = False
        self._abandoned = False

    def put(self, out: Outgoing) -> None:
        if self._abandoned:
            return
        if self._items and isinstance(self._items[-1], Progress):
            self._items.pop()  # not shown yet, and already out of date
        self._items.append(out)
        self._ready.set()

    def close(self) -> None:
        """The producer is done: the reader ends after the last item."""
        self._closed = True
        self._ready.set()

    def abandon(self) -> None:
        """The reader went away: drop whatever comes later (the work still finishes)."""
        self._abandoned = True
        self._items.clear()

    async def __aiter__(self) -> AsyncIterator[Outgoing]:
        """What the work puts here, in order; a reader that stops abandons the rest."""
        try:
            while True:
                while self._items:
                    yield self._items.popleft()
                if self._closed:
                    return
                self._ready.clear()
                await self._ready.wait()
        finally:
            self.abandon()


# The mailbox of the answer being worked on in this task (set by the core), so that deep
# down — where the model queue is — a status line can reach the person.
CURRENT: ContextVar[Mailbox | None] = ContextVar("muse_mailbox", default=None)


def status(text: str) -> None:
    """Show `text` where the answer will appear (e.g. "you're 3rd in line"), until the
    answer's own words replace it. Nothing happens outside an answer's task."""
    box = CURRENT.get()
    if box is not None:
        box.put(Progress(text, notice=True))
