"""Telegram's flood limits, enforced by the fake when a test or benchmark asks: a send
beyond a limit gets 429 with `retry_after`, like the real API. Each limit is a sliding
window over the sends the fake accepted (the strictest reading of Telegram's FAQ:
~30 messages a second overall, 1 a second per chat, 20 a minute per group)."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

Limit = tuple[int, float]  # (sends, seconds)
# Methods that put or change a message in a chat (chat actions and deletes are free).
COUNTED_PREFIXES = ("send", "edit")
COUNTED_EXTRA = frozenset({"copyMessage", "forwardMessage", "createForumTopic"})


def is_counted(method: str) -> bool:
    return method != "sendChatAction" and (
        method.startswith(COUNTED_PREFIXES) or method in COUNTED_EXTRA
    )


@dataclass
class FloodLimits:
    overall: Limit | None = (30, 1.0)
    per_chat: Limit | None = (1, 1.0)
    per_group: Limit | None = (20, 60.0)
    # What happened, for tests and benchmarks to read.
    accepted: int = 0
    refused: int = 0
    _seen: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, method: str, chat_id: int) -> int | None:
        """Record a send to `chat_id` and return None, or the seconds to wait (429)."""
        if not is_counted(method):
            return None
        now = time.monotonic()
        scopes: list[tuple[str, Limit]] = []
        if self.overall:
            scopes.append(("*", self.overall))
        if self.per_chat:
            scopes.append((f"chat:{chat_id}", self.per_chat))
        if self.per_group and chat_id < 0:
            scopes.append((f"group:{chat_id}", self.per_group))
        wait = 0.0
        for scope, (count, period) in scopes:
            times = self._seen.setdefault(scope, deque())
            while times and times[0] <= now - period:
                times.popleft()
            if len(times) >= count:
                wait = max(wait, times[0] + period - now)
        if wait > 0:
            self.refused += 1
            return max(1, math.ceil(wait))
        for scope, _ in scopes:
            self._seen[scope].append(now)
        self.accepted += 1
        return None
