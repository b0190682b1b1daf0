"""Telegram's flood limits, kept on our side so a send never earns a 429.

Telegram allows about 30 messages a second overall, one a second per chat and 20 a
minute per group (edits count too). PTB's own AIORateLimiter falls short of that in
three ways, so this is a `BaseRateLimiter` (PTB's extension point) of our own:

* it has no per-chat limit at all;
* its leaky buckets start full, so a burst may send twice the limit in the first
  period (60 in the first second, 40 in a group's first minute);
* one 429 anywhere pauses *every* request of the bot, so a busy group stalls
  everybody's private chats.

Here each limit is a sliding window whose slot comes back one period after its request
*finished* (the server saw it earlier, so it never counts more than we do); a chat
waits for its own windows before taking a shared one, so a full group window never
holds an overall slot; a 429 pauses only its chat. Requests marked `COSMETIC` (streamed
progress, "typing…") never wait: they go only while every window is at least half free,
a connection is free and few answers are on their way, else they raise `Skipped` — so
they never queue ahead of an answer, never eat a group's budget, and cost nothing under
load. A send that could not even connect (Telegram unreachable for a moment) is tried
again with backoff: it never reached Telegram, so it can't arrive twice."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

Limit = tuple[int, float]  # (requests, seconds); None switches a limit off
OVERALL: Limit = (30, 1.0)
PER_CHAT: Limit = (1, 1.0)
PER_GROUP: Limit = (20, 60.0)
# Methods that put or change a message in a chat: the ones Telegram rate-limits.
LIMITED_EXTRA = frozenset(
    {"copyMessage", "copyMessages", "forwardMessage", "forwardMessages", "createForumTopic"}
)
COSMETIC = "cosmetic"  # rate_limit_args for sends that may be skipped (progress edits)
SHUTDOWN_WAIT_S = 5.0  # at shutdown, the longest wait for requests nobody waits for
UNREACHABLE_MAX_S = 30.0  # the longest pause between tries while Telegram is unreachable
# Answers waiting for or in a send at once: from this many on, cosmetic sends are skipped.
BUSY = 8


class Skipped(TelegramError):
    """A cosmetic request that would have had to wait: not sent."""

    def __init__(self) -> None:
        super().__init__("skipped: the chat's send budget is in use")


def never_sent(exc: NetworkError) -> bool:
    """The request failed before reaching Telegram (safe to send again)."""
    return isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def is_limited(endpoint: str) -> bool:
    if endpoint == "sendChatAction":
        return False  # a status, not a message
    return endpoint.startswith(("send", "edit")) or endpoint in LIMITED_EXTRA


class Window:
    """At most `count` requests per `period`: a slot is taken before a request and given
    back `period` seconds after it finished. First come, first served."""

    def __init__(self, limit: Limit, on_idle: Callable[[], None] | None = None) -> None:
        self.count, self.period = limit
        self.used = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._on_idle = on_idle

    def free(self) -> int:
        return self.count - self.used if not self._waiters else 0

    def try_take(self) -> bool:
        if self.free() <= 0:
            return False
        self.used += 1
        return True

    async def take(self) -> None:
        if self.try_take():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back()  # granted, but the request will not be made
            else:
                self._waiters.remove(waiter)
            raise

    def give_back_later(self) -> None:
        asyncio.get_running_loop().call_later(self.period, self.give_back)

    def give_back(self) -> None:
        self.used -= 1
        while self._waiters and self.used < self.count:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.used += 1
                waiter.set_result(None)
        if self.used == 0 and not self._waiters and self._on_idle is not None:
            self._on_idle()


class TelegramLimiter(BaseRateLimiter[str]):
    def __init__(
        self,
        *,
        overall: Limit | None = OVERALL,
        per_chat: Limit | None = PER_CHAT,
        per_group: Limit | None = PER_GROUP,
        max_retries: int = 5,
        connections: int = 8,
    ) -> None:
        self.overall = Window(overall) if overall else None
        # Requests on the wire at once, at most the HTTP pool's connections: httpcore
        # scans its whole queue for each request, so a burst of 200 queued in the pool
        # costs quadratic time; queued here, each waits in O(1).
        self._wire = asyncio.Semaphore(connections)
        self._on_wire: set[asyncio.Future[Any]] = set()
        self.per_chat, self.per_group = per_chat, per_group
        self.max_retries = max_retries
        self._chats: dict[str, Window] = {}
        self._groups: dict[str, Window] = {}
        self._paused: dict[str, float] = {}  # chat -> loop time its 429 ends
        self._busy = 0  # answer sends waiting for a slot or on the wire

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        """Let requests whose callers stopped waiting end before PTB closes its HTTP
        client (it shuts the limiter down first)."""
        if self._on_wire:
            await asyncio.wait(self._on_wire, timeout=SHUTDOWN_WAIT_S)

    def _window(self, table: dict[str, Window], key: str, limit: Limit) -> Window:
        window = table.get(key)
        if window is None:  # dropped again once idle: 100k chats don't pile up
            window = table[key] = Window(limit, lambda: self._forget(table, key))
        return window

    @staticmethod
    def _forget(table: dict[str, Window], key: str) -> None:
        table.pop(key, None)

    def _windows(self, chat: str) -> list[Window]:
        """Most specific first: waiting for a chat's own window holds no shared slot."""
        windows = []
        if self.per_group and chat.startswith("-"):
            windows.append(self._window(self._groups, chat, self.per_group))
        if self.per_chat:
            windows.append(self._window(self._chats, chat, self.per_chat))
        if self.overall:
            windows.append(self.overall)
        return windows

    async def _take(self, windows: list[Window]) -> list[Window]:
        taken: list[Window] = []
        try:
            for window in windows:
                await window.take()
                taken.append(window)
        except asyncio.CancelledError:
            for window in taken:
                window.give_back()
            raise
        return taken

    @staticmethod
    def _half_free(window: Window | None) -> bool:
        return window is None or window.free() >= max(1, (window.count + 1) // 2)

    def _take_now(self, windows: list[Window]) -> list[Window]:
        """All slots at once, only while each window is at least half free."""
        if not all(self._half_free(w) for w in windows):
            raise Skipped()
        for window in windows:
            window.try_take()
        return windows

    async def _wait_out_pause(self, chat: str, cosmetic: bool) -> None:
        loop = asyncio.get_running_loop()
        while (until := self._paused.get(chat, 0.0)) > loop.time():
            if cosmetic:
                raise Skipped()
            await asyncio.sleep(until - loop.time())
        self._paused.pop(chat, None)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        cosmetic = rate_limit_args == COSMETIC
        if cosmetic and (
            self._busy >= BUSY or self._wire.locked() or not self._half_free(self.overall)
        ):
            raise Skipped()  # nor does it wait for a connection: it is on the wire at once
        if chat_id is None or not is_limited(endpoint):
            return await self._call(callback, args, kwargs)
        if cosmetic:
            return await self._send(str(chat_id), callback, args, kwargs, cosmetic=True)
        self._busy += 1
        try:
            return await self._send(str(chat_id), callback, args, kwargs, cosmetic=False)
        finally:
            self._busy -= 1

    async def _call(
        self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any, kwargs: dict[str, Any]
    ) -> Any:
        """Send one request. Once started it is never cancelled: a caller that stops
        waiting ("typing…" no longer needed, a reply cut off at shutdown) leaves it to
        end on its own. httpx's pool (httpcore 1.0.9) can lose the connection of a
        request cancelled at the wrong moment for good (encode/httpcore#1093); after a
        few such losses every send waits for a connection that never comes."""
        await self._wire.acquire()
        request = asyncio.ensure_future(callback(*args, **kwargs))
        self._on_wire.add(request)
        request.add_done_callback(self._ended)
        return await asyncio.shield(request)

    def _ended(self, request: asyncio.Future[Any]) -> None:
        self._on_wire.discard(request)
        self._wire.release()
        if not request.cancelled():
            request.exception()  # retrieved: its caller may have stopped waiting

    async def _send(
        self,
        chat: str,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        *,
        cosmetic: bool,
    ) -> Any:
        attempt = 0
        while True:
            await self._wait_out_pause(chat, cosmetic)
            windows = self._windows(chat)
            taken = self._take_now(windows) if cosmetic else await self._take(windows)
            unreachable = 0.0
            try:
                return await self._call(callback, args, kwargs)
            except RetryAfter as exc:
                if cosmetic or attempt >= self.max_retries:
                    raise
                wait = exc._retry_after.total_seconds() + 0.1  # as PTB's own limiter
                log.info("telegram: 429 in one chat; that chat waits %.1f s", wait)
                loop = asyncio.get_running_loop()
                self._paused[chat] = max(self._paused.get(chat, 0.0), loop.time() + wait)
            except NetworkError as exc:
                if cosmetic or not never_sent(exc) or attempt >= self.max_retries:
                    raise
                unreachable = min(UNREACHABLE_MAX_S, 2.0 ** (attempt + 1))
                # The class only: some network errors quote the URL, which holds the token.
                reason = type(exc.__cause__).__name__
                log.warning("telegram: can't reach Telegram (%s); sending again soon", reason)
            finally:
                for window in taken:
                    window.give_back_later()
            attempt += 1
            await asyncio.sleep(unreachable)
