"""A pretend chat platform, as the core sees it through the Outbox protocol: message ids,
edits of those messages only, threads when allowed, a set of group admins, links."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from bot.messages import Action, Reply, SessionKey

WAIT_S = 10.0


@dataclass
class Posted:
    id: str
    key: SessionKey
    reply: Reply
    reply_to: str | None

    @property
    def text(self) -> str:
        return self.reply.text

    @property
    def labels(self) -> list[str]:
        return [b.label for row in self.reply.buttons for b in row]

    @property
    def actions(self) -> list[Action]:
        return [b.action for row in self.reply.buttons for b in row]


class RecordingOutbox:
    def __init__(
        self, platform: str = "demo", *, threads: bool = True, admins: tuple[str, ...] = ()
    ) -> None:
        self.platform = platform
        self.threads = threads
        self.admins = set(admins)
        self.messages: dict[str, Posted] = {}  # as they look now (after edits)
        self.posts: list[Posted] = []  # as first sent, in order
        self.edits: list[Posted] = []
        self.opened: list[tuple[SessionKey, str]] = []
        self._ids = itertools.count(1000)
        self._threads = itertools.count(1)
        self._changed = asyncio.Condition()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        if reply.is_empty:
            return []
        posted = Posted(str(next(self._ids)), key, reply, reply_to)
        self.messages[posted.id] = posted
        self.posts.append(posted)
        await self._notify()
        return [posted.id]

    async def edit(self, key: SessionKey, message_id: str, reply: Reply) -> bool:
        current = self.messages.get(message_id)
        if current is None or current.key != key:
            return False  # a platform only edits a message where it is
        edited = Posted(message_id, key, reply, current.reply_to)
        self.messages[message_id] = edited
        self.edits.append(edited)
        await self._notify()
        return True

    async def open_thread(
        self, key: SessionKey, title: str, *, anchor: str | None = None
    ) -> SessionKey | None:
        if not self.threads:
            return None
        self.opened.append((key, title))
        return SessionKey(key.platform, key.chat_id, f"t{next(self._threads)}")

    async def is_admin(self, key: SessionKey, user_id: str) -> bool:
        return user_id in self.admins

    def link(self, key: SessionKey, message_id: str | None = None) -> str | None:
        return f"https://demo.example/{key.chat_id}/{key.thread_id or '-'}/{message_id or ''}"

    # -- for the tests ---------------------------------------------------------

    async def wait_for(self, check: Callable[[], object]) -> None:
        """Until `check()` holds (a hang fails the test through pytest-timeout's limit,
        shortened here to keep the failure quick)."""
        async with asyncio.timeout(WAIT_S):
            async with self._changed:
                await self._changed.wait_for(lambda: bool(check()))

    def in_place(self, key: SessionKey) -> list[Posted]:
        return [self.messages[p.id] for p in self.posts if p.key == key]

    def idea_message(self, idea_id: int) -> Posted:
        """The message showing idea #id (the one carrying its vote button), as it is now."""
        for posted in self.posts:
            if Action("vote", idea_id) in posted.actions:
                return self.messages[posted.id]
        raise AssertionError(f"idea #{idea_id} was never shown")

    def texts(self, key: SessionKey | None = None) -> list[str]:
        return [p.text for p in self.posts if key is None or p.key == key]
