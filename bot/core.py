"""The platform-free core: admits an Incoming (access, rate, quota), hands it to its
command, button action or free chat (bot/routing.py), keeps each conversation in
order, and turns every failure into one friendly line."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Mapping
from typing import Any

from bot import routing
from bot.clock import Clock, SystemClock
from bot.commands import Registry
from bot.config import Settings
from bot.errors import Forgotten, LLMLeak, MuseError, new_ref
from bot.last_image import LastImages
from bot.llm.engine import LLMEngine
from bot.llm.prompts import load_prompts
from bot.mailbox import CURRENT as CURRENT_MAILBOX
from bot.mailbox import Mailbox
from bot.memory import Memory
from bot.memory.session_records import SessionRecord
from bot.messages import Incoming, Outgoing, Reply, SessionKey
from bot.novelty import Novelty
from bot.ordering import AtWork, Gates, KeyedLocks, Place, identity, line_of
from bot.outbox import NoOutbox, Outbox
from bot.policy import Policy, Verdict
from bot.recovery import InboxEntry, keep_lines
from bot.routing import COMMAND_RE
from bot.skills import command_registry, session_ideas, session_move
from bot.skills.session_runtime import SessionRuntime

log = logging.getLogger(__name__)

SKILL_PROMPTS = ("brainstorm", "caption", "remix", "chat", "next", "riff", "summary")
# Button presses that need no place in the conversation's line: a vote is one atomic
# toggle, and must not wait behind a slow answer (a riff) in the same thread.
UNORDERED_ACTIONS = frozenset({"vote", "idea"})
# Never counted against the daily quota (still rate-limited): a session's votes and
# ideas, and what a person does with their own account and data, which a spent quota
# must never block (exporting or deleting it, its style, its links).
FREE_ACTIONS = frozenset({"vote", "idea", "forget"})
FREE_COMMANDS = frozenset({"idea", "export", "forget", "style", "history", "link", "unlink"})


def _shows_answer(out: Outgoing) -> bool:
    """Part of the answer may now be on screen (its streamed words count, not a word
    about it such as the place in line): after a restart, answering again could show it
    twice, so the recovery says it was interrupted instead (bot/recovery.py)."""
    return isinstance(out, Reply) or (not out.notice and bool(out.text.strip()))


class Core:
    """One per process; adapters get it injected. Build with `await Core.create(settings)`."""

    def __init__(
        self, settings: Settings, memory: Memory, llm: LLMEngine, novelty: Novelty | None = None
    ) -> None:
        self.settings = settings
        self.memory = memory
        self.llm = llm
        # Embeds drafts and posts to keep suggestions on topic and new (lazily loaded).
        self.novelty = novelty or Novelty(settings, memory)
        self.registry: Registry = command_registry()
        self.policy = Policy(settings, memory)
        self._order = KeyedLocks()
        # Conversations kept for what an earlier run left unanswered (recovery.keep_lines).
        self.gates = Gates()
        self._active: Counter[str] = Counter()  # answers in progress per conversation
        self.at_work = AtWork()  # and per person (for /forget and /link)
        self._outboxes: dict[str, Outbox] = {}
        # Answers being worked on: kept referenced, and awaited by close().
        self._work: set[asyncio.Task[None]] = set()
        self._warm: asyncio.Task[None] | None = None
        # Wall-clock time for timers and expiry (tests put a hand-driven clock here).
        self.clock: Clock = SystemClock()
        self.last_image = LastImages(lambda: self.clock.now().timestamp())
        # Brainstorm sessions' timers and coalesced vote-count edits.
        self.sessions = SessionRuntime(self)
        # Tells this run's inbox entries from those an earlier (crashed) run left behind.
        self.run_id = secrets.token_hex(6)
        self._stopping = False

    @classmethod
    async def create(cls, settings: Settings, model: Any = None) -> Core:
        prompts = load_prompts(settings.prompts_dir, required=SKILL_PROMPTS)
        llm = LLMEngine(settings.llm, prompts, model=model)
        memory = Memory(settings.db_path)
        await memory.open()
        core = cls(settings, memory, llm)
        await keep_lines(core)
        return core

    def open_lines(self, posted: Mapping[str, asyncio.Future[None]] | None = None) -> None:
        """The recovered messages have their places in line (bot/recovery.py): each kept
        conversation opens to what waited at its gate once they are answered and, per
        line, `posted` (the delivery of its last recovered answer) is done."""
        for opening in self.gates.opening(self._order, posted):
            self.track(opening)

    async def start(self) -> None:
        """Work that needs the adapters' outboxes (timers, recovery): called by the
        composition root once every adapter is attached and running. The embedded model
        starts loading now, in the background, not on the first person's message, and
        what the last run left unanswered is answered (bot/recovery.py), in its place:
        before anything sent since."""
        from bot.recovery import recover

        self._warm = self.llm.warm_up()
        await self.sessions.start()
        # In the background: answering what the last run left undone may take a while.
        self.track(recover(self))

    async def shutting_down(self) -> None:
        """The composition root is about to stop the adapters: an answer abandoned from
        now on was not delivered, so its inbox entry stays for the next start. Votes of
        the last seconds go out now, while the adapters can still edit their counts
        (nothing refreshes them after a restart)."""
        self._stopping = True
        await self.sessions.adapters_stopping()

    async def close(self, grace_s: float = 30.0) -> None:
        """Let the work in progress finish (also work it starts meanwhile, like the
        answers a recovery spawns), for up to `grace_s`, then close the memory."""
        self.open_lines()  # never started: nothing was recovered, nothing need wait
        if self._warm is not None and not self._warm.done():
            await asyncio.wait([self._warm])  # a load can't be interrupted mid-way
        deadline = asyncio.get_running_loop().time() + grace_s
        while self._work:
            left = deadline - asyncio.get_running_loop().time()
            _, pending = await asyncio.wait(set(self._work), timeout=max(0.0, left))
            if pending and left <= 0:
                break
        await self.sessions.close()
        self.novelty.close()
        await self.memory.close()

    def track(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` in the background, referenced until done and awaited by close()."""
        task = asyncio.create_task(work)
        self._work.add(task)
        task.add_done_callback(self._work.discard)
        return task

    # -- talking first -----------------------------------------------------

    def attach(self, platform: str, outbox: Outbox) -> None:
        """An adapter offers the way to post into its platform's conversations."""
        self._outboxes[platform] = outbox

    def detach(self, platform: str) -> None:
        self._outboxes.pop(platform, None)

    def platforms(self) -> list[str]:
        """The platforms this process can post to (their adapters are attached)."""
        return sorted(self._outboxes)

    def outbox(self, platform: str) -> Outbox:
        try:
            return self._outboxes[platform]
        except KeyError:
            raise NoOutbox(platform) from None

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        """Post without an incoming message; the ids of the messages sent."""
        return await self.outbox(key.platform).post(key, reply, reply_to=reply_to)

    async def chat_moved(self, platform: str, old: str, new: str) -> None:
        """A group chat got a new id: its memory and sessions follow (session_move)."""
        await session_move.chat_moved(self, platform, old, new)

    # -- entry points ------------------------------------------------------

    async def handle(
        self, msg: Incoming, entry: InboxEntry | None = None, *, stop_with_reader: bool = False
    ) -> AsyncIterator[Outgoing]:
        """Answer one message. Messages of one conversation are handled strictly in
        arrival order; other conversations run concurrently. The work runs in its own
        task and reaches the caller through a Mailbox, so delivery (however slow) never
        holds up the work, and a caller that stops reading never breaks it (but with
        `stop_with_reader` it stops the work: the console's Ctrl-C). `entry`: the
        message's inbox row, if the adapter recorded it already (receive())."""
        entry = entry or self.receive(msg)
        box = Mailbox()
        place = entry.claim_place() if entry is not None else None
        work = self.track(self._produce(msg, box, entry, place=place))
        delivered = False
        try:
            async for out in box:
                if entry is not None and not entry.delivering and _shows_answer(out):
                    await entry.mark_delivering()
                yield out
            # The reader asked for more after the last Reply: it has delivered them all.
            delivered = True
        finally:
            box.abandon()
            if stop_with_reader and not delivered:
                work.cancel()
            # Abandoned while running, the adapter has told the person (or the work
            # failed): only an answer cut off by shutting down is left for the next start.
            if entry is not None and (delivered or not self._stopping):
                if delivered:
                    await entry.done()
                else:
                    self.track(entry.done())

    def receive(self, msg: Incoming) -> InboxEntry | None:
        """Record the message in the inbox now, before any work, unless there is nothing
        to come back to later (chatter Muse wasn't asked about, an inline query). An
        adapter that makes a message wait in a line of its own records it first, then
        hands the entry to handle(). The request's place among its person's requests
        is taken now too, so /forget waits for one still in an adapter's line."""
        if not msg.addressed or msg.message_id is None:
            return None
        recording = asyncio.ensure_future(self.memory.inbox_receive(msg, self.run_id))
        place = self.at_work.arrive(identity(msg.session.platform, msg.user_id))
        return InboxEntry(self.memory, recording, place)

    async def _produce(
        self,
        msg: Incoming,
        box: Mailbox,
        entry: InboxEntry | None = None,
        *,
        replay: bool | Reply = False,
        place: Place | None = None,
    ) -> None:
        CURRENT_MAILBOX.set(box)  # this task's own context: status lines go to this answer
        try:
            who = identity(msg.session.platform, msg.user_id)
            if msg.action is not None and msg.action.verb in UNORDERED_ACTIONS:
                with self.at_work.arrived(who, place):
                    await self._answer_into(box, msg, entry, replay)
                return
            line = line_of(msg.session, msg.user_id, msg.is_group)
            if not replay:  # after what an earlier run left unanswered here
                await self.gates.wait(line)
            # The place in line (and among the person's requests, for /forget, unless
            # taken on arrival) is taken before the first await (past an open gate, no
            # await either): arrival order.
            with self.at_work.arrived(who, place):
                async with self._order.hold(line):
                    self._active[str(msg.session)] += 1
                    try:
                        await self._answer_into(box, msg, entry, replay)
                    finally:
                        self._active[str(msg.session)] -= 1
                        if not self._active[str(msg.session)]:
                            del self._active[str(msg.session)]
        finally:
            box.close()

    async def _answer_into(
        self, box: Mailbox, msg: Incoming, entry: InboxEntry | None, replay: bool | Reply
    ) -> None:
        if entry is not None and await entry.duplicate():
            return  # delivered again after a restart; the recovery answers it
        if isinstance(replay, Reply):
            box.put(replay)  # in its place in line, instead of doing it again
            return
        # Handed over again after a restart: counted the first time (if it got that far),
        # so answering it now must not cost a second of today's requests.
        again = entry is not None and await entry.again()
        async for out in self._admitted(msg, entry, replay=bool(replay), again=again):
            box.put(out)

    async def _admitted(
        self,
        msg: Incoming,
        entry: InboxEntry | None = None,
        *,
        replay: bool = False,
        again: bool = False,
    ) -> AsyncIterator[Outgoing]:
        """Access, rate and quota (one place, every platform), then the answer. A message
        an earlier run counted is not counted again; one it never admitted is now."""
        match = COMMAND_RE.match(msg.text.lstrip())
        command = match.group(1).lower() if match and msg.action is None else None
        try:
            idea_for = None if command else await session_ideas.idea_target(self, msg)
        except Exception:
            log.exception("looking up a session for a message in %s failed", msg.session)
            idea_for = None
        if not msg.addressed and idea_for is None:
            # Chatter Muse was not asked about, outside a session's own thread: nothing
            # is answered, counted or stored.
            return
        free = (
            idea_for is not None
            or command in FREE_COMMANDS
            or (msg.action is not None and msg.action.verb in FREE_ACTIONS)
        )
        # Had by an earlier run: the day it counted this message, if it got that far.
        before = await entry.counted_before() if entry and (replay or again) else ""
        try:
            if replay and before:  # admitted and counted when it came: a failure gives it back
                verdict = Verdict(True, counted=before)
            else:
                # Handed over again, or answered again with no count taken (it may have
                # waited in line behind a slow answer, never admitted, when the run died):
                # access, rate and quota as for a new message, but a count taken is not
                # taken twice. What was admitted free (an admin's, /help) is free again.
                verdict = await self.policy.admit(msg, command, free=free or bool(before))
                if before and verdict.allowed:
                    verdict = Verdict(True, counted=before)
        except Exception:
            log.exception("admission failed for %s", msg.session)
            verdict = None
        if verdict is None or not verdict.allowed:
            if msg.addressed:
                text = verdict.text if verdict else "Something went wrong on my side — try again."
                if text:
                    yield Reply(text, is_error=True, private=True)
            return
        if verdict.counted and entry is not None and verdict.counted != before:
            await entry.mark_counted(verdict.counted)  # for a restart to give back
        async for out in self._guarded(msg, idea_for, refund=verdict.counted, entry=entry):
            yield out

    def replay(
        self, msg: Incoming, instead: Reply | None = None, entry: InboxEntry | None = None
    ) -> AsyncIterator[Outgoing]:
        """Answer a message again after a restart (see bot/recovery.py): no new inbox
        entry, and no second count against the person's quota — counted when it arrived,
        or, if it never got that far (it waited in line), admitted now (_admitted).
        With `instead`, nothing is done again: that line is the answer, in its place.
        The work starts now, not when the answer is first read, so recovered messages
        take their places in line in the order they are replayed (and, among the person's
        requests, before anything this run received: AtWork). `entry`: its inbox row
        (a count it cost when it came is given back if it fails now, as live)."""
        box = Mailbox()
        place = self.at_work.arrive(identity(msg.session.platform, msg.user_id), recovered=True)
        replay = True if instead is None else instead
        self.track(self._produce(msg, box, entry, replay=replay, place=place))
        return aiter(box)

    async def respond(self, msg: Incoming) -> list[Reply]:
        """The final replies only (no streaming) — for simple adapters and tests."""
        return [out async for out in self.handle(msg) if isinstance(out, Reply)]

    def busy(self, msg: Incoming) -> bool:
        """True while another message of this conversation is being answered."""
        return self._active[str(msg.session)] > 0

    # -- routing -----------------------------------------------------------

    async def _guarded(
        self,
        msg: Incoming,
        idea_for: tuple[SessionRecord, str] | None = None,
        *,
        refund: str = "",
        entry: InboxEntry | None = None,
    ) -> AsyncIterator[Outgoing]:
        try:
            async for out in routing.route(self, msg, idea_for):
                yield out
        except MuseError as exc:
            # A typo, or a model that failed, costs none of today's quota: the person got
            # no answer and is told to try again (an answer withheld as a leak did cost;
            # a person deleted meanwhile has no count left to give back).
            if refund and not isinstance(exc, LLMLeak | Forgotten):
                await self._give_back(msg, refund, entry)
            text = exc.user_message
            if exc.with_ref:
                ref = new_ref()
                log.warning("ref %s: %s: %s", ref, type(exc).__name__, exc)
                text = f"{text} (ref {ref})"
            yield Reply(text, is_error=True, private=True)
        except (Exception, asyncio.CancelledError) as exc:
            task = asyncio.current_task()
            if isinstance(exc, asyncio.CancelledError) and task is not None and task.cancelling():
                raise  # this answer itself is being cancelled (shutting down)
            # A bug, or a stray cancellation from a library the skill used: this person
            # gets one line, everyone else carries on.
            ref = new_ref()
            log.error("ref %s: unexpected failure in %s", ref, msg.session, exc_info=exc)
            if refund:
                await self._give_back(msg, refund, entry)
            yield Reply(
                f"Something went wrong on my side — try again. (ref {ref})",
                is_error=True,
                private=True,
            )

    async def _give_back(self, msg: Incoming, day: str, entry: InboxEntry | None) -> None:
        await self.policy.refund(msg, day)
        if entry is not None:  # given back once: a restart before delivery gives nothing
            await entry.mark_counted("")
