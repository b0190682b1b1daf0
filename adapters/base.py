"""The adapter contract: one platform in, neutral messages to the injected core, replies out."""

from __future__ import annotations

import abc
import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import Any

from bot.core import Core
from bot.messages import Reply, SessionKey

log = logging.getLogger(__name__)

TYPING_LANDS_S = 1.0  # the most a message waits for a "typing…" already on its way
TIDY_UP_S = 5.0  # at a stop, how long answers cut off may take to tidy up what they showed


class ImageUnavailable(Exception):
    """An attached image Muse can't use (too big, or the platform didn't hand it over),
    with the one line to say so: answering as if it weren't there would caption
    something else."""


def without_gaps(text: str) -> str:
    """A message with the bot's @mention taken out: no double space or blank edge left
    where it was, while its line breaks stay (they separate /style fields, and a
    pasted post's paragraphs)."""
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def without_mention(text: str, mention: str) -> tuple[str, bool]:
    """`text` with Muse's mention (the regex `mention`) taken out as if never typed, and
    whether it was there: "@Muse, caption this" loses the comma too, "what do you think
    @Muse?" the space before the mark."""
    count = 0
    for pattern in (rf"^\s*{mention}[,:]?", rf"[ \t]*{mention}(?=[,.!?;:…])", mention):
        text, found = re.subn(pattern, "", text, flags=re.I)
        count += found
    return without_gaps(text), count > 0


async def typing_landed(request: asyncio.Task[Any]) -> None:
    """Wait, briefly, for a "typing…" request already sent. Telegram and Discord show
    typing until the bot's next message, so one that reaches them after the answer shows
    "typing…" under it for seconds. Waiting never cancels the request."""
    if not request.done():
        await asyncio.wait([request], timeout=TYPING_LANDS_S)


class Adapter(abc.ABC):
    """Adapters translate; they know nothing about skills or the LLM.

    `start()` connects and returns once the adapter is receiving; `stop()` finishes
    in-flight replies and disconnects. An adapter is also its platform's outbox
    (bot.outbox.Outbox): `post()` delivers a Reply outside a request, and the other
    methods default to what a platform without threads or admins can do."""

    name: str = "adapter"

    def __init__(self, core: Core) -> None:
        self.core = core
        self._tasks: set[asyncio.Task[Any]] = set()
        # Set, with why, when the platform's connection has ended for good (a revoked
        # token): nothing more will arrive. An adapter that can't tell never sets it.
        self.gone = asyncio.Event()
        self.gone_because = ""

    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def stop(self) -> None: ...

    @abc.abstractmethod
    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]: ...

    async def edit(self, key: SessionKey, message_id: str, reply: Reply) -> bool:
        return False

    async def open_thread(
        self, key: SessionKey, title: str, *, anchor: str | None = None
    ) -> SessionKey | None:
        return None

    async def is_admin(self, key: SessionKey, user_id: str) -> bool:
        return False

    def link(self, key: SessionKey, message_id: str | None = None) -> str | None:
        return None

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a handler in the background, keeping a reference so it is not lost and
        so stop() can wait for it."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, grace_s: float = 30.0) -> None:
        """Let in-flight replies finish (used by stop()); cancel what outlives the grace,
        and give those a moment, while still connected, to take down a half-shown answer
        (the next start answers the message or says it was interrupted)."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=TIDY_UP_S)
