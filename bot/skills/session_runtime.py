"""What brainstorm sessions do without anyone asking: timers that close them (re-armed
at start from the `ends_at` rows, so they survive restarts) and vote counts refreshed
on the buttons, coalesced so a burst of votes becomes one edit per message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.memory.session_records import IdeaRecord, SessionRecord
from bot.messages import Reply
from bot.ordering import KeyedLocks
from bot.outbox import NoOutbox
from bot.skills.session_render import idea_reply, opening_closed, opening_reply

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

# Votes landing within this window after the first one share one edit per message.
EDIT_DELAY_S = 2.0
LAST_EDITS_S = 5.0  # at a stop, how long the pending vote counts may take to go out
WITHDRAWN = "(withdrawn: its author asked Muse to forget them)"


class VoteEdits:
    """Dirty idea messages, edited once per window with the count read at edit time (so
    an edit always shows the truth, however many votes came in between)."""

    def __init__(self, core: Core, delay_s: float = EDIT_DELAY_S) -> None:
        self.core = core
        self.delay_s = delay_s
        self._pending: dict[int, int] = {}  # idea id -> session id
        self._task: asyncio.Task[None] | None = None
        # One session's edits never overlap: the closing edits always land last.
        self._locks = KeyedLocks()
        # One flush at a time: a flush asked for at a stop waits for the one under way,
        # whose edits would otherwise be cut off halfway by the stop.
        self._flushing = asyncio.Lock()

    def touch(self, session_id: int, idea_id: int) -> None:
        self._pending[idea_id] = session_id
        if self._task is None:
            self._task = asyncio.create_task(self._later())

    async def _later(self) -> None:
        try:
            while self._pending:
                clock = self.core.clock
                await clock.sleep_until(clock.now() + timedelta(seconds=self.delay_s))
                await self.flush()
        finally:
            self._task = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> None:
        """Edit every message whose count changed since the last flush, now (after the
        flush under way, if any, is done)."""
        async with self._flushing:
            pending, self._pending = self._pending, {}
            for idea_id, session_id in pending.items():
                async with self._locks.hold(str(session_id)):
                    await self._refresh(idea_id)

    async def _refresh(self, idea_id: int) -> None:
        idea = await self.core.memory.idea(idea_id)
        if idea is None or idea.message_id is None:
            return
        session = await self.core.memory.session(idea.session_id)
        if session is None:
            return
        await self._edit(session, idea.message_id, idea_reply(idea, session.is_open))

    async def closed(self, session: SessionRecord) -> None:
        """The session is closed: every idea's buttons say so, with the final counts."""
        async with self._locks.hold(str(session.id)):
            for idea_id in [i for i, s in self._pending.items() if s == session.id]:
                del self._pending[idea_id]
            if session.opening_id:
                await self._edit(session, session.opening_id, opening_closed(session))
            for idea in await self.core.memory.ideas(session.id):
                if idea.message_id:
                    await self._edit(session, idea.message_id, idea_reply(idea, False))

    async def forgotten(
        self, mine: list[IdeaRecord], shown: list[IdeaRecord], started: list[SessionRecord]
    ) -> None:
        """Someone used /forget: their ideas' messages in running sessions lose their
        name and buttons; the ideas that showed them (a count with their vote, a riff
        credited to them) and the openings of the sessions they started are shown again
        as they are now, without them."""
        for idea in mine:
            session = await self.core.memory.session(idea.session_id)
            if session is not None and idea.message_id:
                async with self._locks.hold(str(session.id)):
                    await self._edit(session, idea.message_id, Reply(f"#{idea.id} {WITHDRAWN}"))
        for idea in shown:
            self.touch(idea.session_id, idea.id)
        for old in started:
            session = await self.core.memory.session(old.id)
            if session is not None and session.is_open and session.opening_id:
                async with self._locks.hold(str(session.id)):
                    opening = opening_reply(session, self.core.clock.now())
                    await self._edit(session, session.opening_id, opening)

    async def _edit(self, session: SessionRecord, message_id: str, reply: Any) -> None:
        try:
            done = await self.core.outbox(session.key.platform).edit(session.key, message_id, reply)
        except NoOutbox:
            return
        except Exception:
            log.warning("session %s: editing message %s failed", session.id, message_id)
            log.debug("edit failure", exc_info=True)
            return
        if not done:
            log.info("session %s: message %s could not be edited", session.id, message_id)

    async def close(self) -> None:
        """Shutting down: send what is pending (best effort), stop the timer."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()


class SessionTimers:
    """One task per open session, sleeping until its end; plus the closing work itself
    (which may run long: a summary from the model), kept so close() can stop it."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._timers: dict[int, asyncio.Task[None]] = {}
        self._work: set[asyncio.Task[Any]] = set()

    def arm(self, session: SessionRecord) -> None:
        self.cancel(session.id)
        self._timers[session.id] = asyncio.create_task(self._expire(session))

    def cancel(self, session_id: int) -> None:
        task = self._timers.pop(session_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def armed(self, session_id: int) -> bool:
        return session_id in self._timers

    async def _expire(self, session: SessionRecord) -> None:
        await self.core.clock.sleep_until(session.ends_at)
        self._timers.pop(session.id, None)
        from bot.skills.session_close import close_session

        await self._guard(close_session(self.core, session.id), session.id)

    def spawn(self, coro: Coroutine[Any, Any, Any], session_id: int) -> None:
        task = asyncio.create_task(self._guard(coro, session_id))
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    @staticmethod
    async def _guard(coro: Coroutine[Any, Any, Any], session_id: int) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("session %s: closing it (or showing its ideas) failed", session_id)

    async def resume(self) -> None:
        """At start: re-arm running sessions (and show Muse's ideas in them that a stop
        cut off before they were posted), close those that ended while Muse was
        down, finish closings that were interrupted — for the platforms served now
        (a session elsewhere waits until its platform runs again)."""
        from bot.skills.session_close import close_session, finish

        now = self.core.clock.now()
        for session in await self.core.memory.sessions_to_resume():
            try:
                self.core.outbox(session.key.platform)
            except NoOutbox:
                continue
            if not session.is_open:
                if self.core.sessions.first_to_close(session.id):
                    self.spawn(finish(self.core, session), session.id)
            elif session.ends_at > now:
                self.arm(session)
                self.spawn(self._show_unshown(session), session.id)
            else:
                self.spawn(close_session(self.core, session.id), session.id)

    async def _show_unshown(self, session: SessionRecord) -> None:
        """Muse's own ideas (seeds, riffs) that a stop cut off between storing and
        posting: nothing else would ever post them, and an idea nobody can see or vote
        on still counts in the shortlist and the summary. A member's idea is posted when
        their message is answered again (or sent again), so it is left to that."""
        for idea in await self.core.memory.ideas(session.id):
            if idea.author_id is None and idea.message_id is None:
                await self.core.sessions.show_idea(session, idea)

    async def close(self) -> None:
        tasks = [*self._timers.values(), *self._work]
        self._timers.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class SessionRuntime:
    def __init__(self, core: Core) -> None:
        self._core = core
        self.edits = VoteEdits(core)
        self.timers = SessionTimers(core)
        self._shown: set[int] = set()
        self._closing: set[int] = set()
        # One start at a time per chat, from its check to its thread and row: two
        # members starting the same topic at once get one session (open_unless_running).
        self.starting = KeyedLocks()

    def first_to_show(self, idea_id: int) -> bool:
        """True once per idea in this process: who posts it. The adapters receive before
        start() runs, so a seed still being posted by a session started then would be
        taken for one a stop cut off, and shown twice. (An int per idea shown while
        Muse runs: a few thousand a busy day.)"""
        if idea_id in self._shown:
            return False
        self._shown.add(idea_id)
        return True

    async def show_idea(self, session: SessionRecord, idea: IdeaRecord) -> bool:
        """Post the idea with its buttons and remember its message, unless it is posted
        already or being posted (first_to_show); a post refused or stopped (Ctrl-C)
        leaves it for whoever tries next; one out after its session closed gets its closed
        buttons. True when this call posted it."""
        if not self.first_to_show(idea.id):
            return False
        reply_to = None if session.own_space else session.opening_id
        try:
            ids = await self._core.post(session.key, idea_reply(idea, True), reply_to=reply_to)
        except BaseException:
            self._shown.discard(idea.id)
            raise
        await self._core.memory.add_session_messages(session, ids, idea.id)
        now = await self._core.memory.session(session.id)
        if now is not None and not now.is_open:
            # Closed while it went out (a member's idea, or Muse's shown at start): the
            # closing edits may have missed it (no message yet), and its 👍 and 🔀 must
            # not look live under the summary.
            self.edits.touch(session.id, idea.id)
        return True

    def first_to_close(self, session_id: int) -> bool:
        """True once per session in this process: who closes it and posts its summary.
        A closing under way when start() runs (a /session end the adapters received
        first) is not one a stop cut off: finishing it there too posted two summaries."""
        if session_id in self._closing:
            return False
        self._closing.add(session_id)
        return True

    def not_closed(self, session_id: int) -> None:
        """Its closing failed before the session was marked closed: it runs on."""
        self._closing.discard(session_id)

    async def start(self) -> None:
        await self.timers.resume()

    async def adapters_stopping(self) -> None:
        """The counts of the last seconds' votes, edited while the adapters can still do
        it (a group at its edit limit doesn't hold the stop up for long)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.edits.flush(), LAST_EDITS_S)

    async def close(self) -> None:
        await self.timers.close()
        await self.edits.close()
