"""Nothing asked is left unanswered by a crash.

While a message is answered, `InboxEntry` keeps its inbox row up to date: recorded on
arrival, "delivering" once the first part of the answer goes to the adapter, deleted
when the adapter has delivered all of it. Whatever rows a run leaves behind (a SIGKILL,
a power cut, a shutdown that cut an answer off) are the messages that never got their
answer; at the next start `recover()` answers each one again, or, when answering again
could repeat or surprise (part of the answer was already out, an earlier try died too,
it is old, its photo wasn't kept), tells the person it was interrupted. Either way they
get exactly one answer or one line, through the outbox, as a reply to their message."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.memory.inbox import DUPLICATE, NEW, Pending, Received
from bot.messages import Action, Incoming, Outgoing, Reply
from bot.ordering import Place, line_of
from bot.outbox import NoOutbox

if TYPE_CHECKING:
    from bot.core import Core
    from bot.memory import Memory

log = logging.getLogger(__name__)

# Answered again only while the answer is still timely; older ones get the line.
REPLAY_WITHIN_S = 15 * 60
# A message whose answer can't be posted at all (the chat is gone) is dropped after this
# many starts.
GIVE_UP_AFTER = 5
VOTE_PREFIX = Action("vote").encode().rsplit(":", 2)[0] + ":"
FORGET_PREFIX = Action("forget").encode().rsplit(":", 2)[0] + ":"
RESUMED = "(Sorry for the wait — I was restarted while answering this.)"
COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})")


class InboxEntry:
    """One message's inbox row, seen from the answer in progress. It never raises: a
    failing inbox must not keep anyone from their answer (the failure is logged)."""

    def __init__(
        self, memory: Memory, recording: asyncio.Future[Received], place: Place | None = None
    ) -> None:
        self.memory = memory
        self._recording = recording
        self.delivering = False
        # The request's place among its person's (for /forget), taken on arrival: the
        # answer keeps it to its end (claim_place), else done() gives it up.
        self._place = place
        recording.add_done_callback(_log_failure)

    def claim_place(self) -> Place | None:
        place, self._place = self._place, None
        return place

    async def _received(self) -> Received | None:
        try:
            # Shielded: a reader that goes away must not cancel the recording itself.
            return await asyncio.shield(self._recording)
        except Exception:
            return None  # logged once, by the recording's own callback

    async def _id(self) -> int | None:
        received = await self._received()
        return None if received is None else received.id

    @classmethod
    def left_over(cls, memory: Memory, p: Pending) -> InboxEntry:
        """The row of a message an earlier run left, which the recovery answers again."""
        recorded = asyncio.get_running_loop().create_future()
        recorded.set_result(Received(p.id, again=True, counted=p.counted))
        return cls(memory, recorded)

    async def again(self) -> bool:
        """An earlier run had this message (handed over again after a restart): its
        quota count, if any, was taken then (see counted_before)."""
        received = await self._received()
        return received is not None and received.again

    async def counted_before(self) -> str:
        """The day an earlier run counted this message against the quota ("": none did),
        to give back if answering it again fails."""
        received = await self._received()
        return received.counted if received is not None and received.again else ""

    async def duplicate(self) -> bool:
        """The platform delivered this message again and a recovery is answering it."""
        return await self._id() == DUPLICATE

    async def mark_delivering(self) -> None:
        self.delivering = True
        entry = await self._id()
        if entry:
            try:
                await self.memory.inbox_delivering(entry)
            except Exception:
                log.warning("inbox: could not mark entry %s", entry, exc_info=True)

    async def mark_counted(self, day: str) -> None:
        """Counted against the sender's quota on `day` ("": given back), for a restart
        that can only tell them to send it again (`_replay` gives it back then)."""
        entry = await self._id()
        if entry:
            try:
                await self.memory.inbox_counted(entry, day)
            except Exception:
                log.warning("inbox: could not mark entry %s", entry, exc_info=True)

    async def done(self) -> None:
        if self._place is not None:  # never handed to the core: no answer will end it
            self._place.leave()
        entry = await self._id()
        if entry:
            try:
                await self.memory.inbox_done(entry)
            except Exception:
                log.warning("inbox: could not close entry %s", entry, exc_info=True)


def _log_failure(recording: asyncio.Future[Received]) -> None:
    if not recording.cancelled() and recording.exception() is not None:
        log.warning("inbox: a message could not be recorded", exc_info=recording.exception())


async def keep_lines(core: Core) -> None:
    """Close the conversations holding messages an earlier run left unanswered until
    the recovery has them in their line (Core.open_lines). `muse run` starts receiving
    before it starts the core, and a message sent while Muse was down reached the core
    first: it was answered before the older one the crash had cut off."""
    try:
        left = await core.memory.inbox_unclaimed(core.run_id)
    except Exception:
        log.exception("recovery: could not read the inbox")
        return
    for p in left:
        await core.gates.close(line_of(p.key, p.sender_id, p.is_group))


async def recover(core: Core) -> None:
    """Deal with every message earlier runs left unanswered on the running platforms."""
    try:
        pending = await core.memory.inbox_leftovers(core.run_id, core.platforms())
    except Exception:
        log.exception("recovery: could not read the inbox")
        pending = []
    delivering: dict[str, asyncio.Task[None]] = {}
    try:
        if pending:
            n = len(pending)
            log.warning("recovery: %d message(s) were left unanswered by the last stop", n)
        # Each line's last recovered answer: the next one is delivered after it.
        for p in pending:
            # Started now, oldest first, so each takes its place in its conversation's
            # line before the line opens to what was sent since (Core.open_lines).
            try:
                answer = _answer_again(core, p)
            except Exception:
                log.exception("recovery: could not start on inbox entry %s", p.id)
                continue
            line = line_of(p.key, p.sender_id, p.is_group)
            after = delivering.get(line)
            delivering[line] = core.track(_recover_one(core, p, answer, after))
    finally:
        # Each line opens once its recovered answers are posted, not merely worked out:
        # an answer to what was sent since must not reach the chat before them.
        core.open_lines(delivering)


def _answer_again(core: Core, p: Pending) -> tuple[Incoming, Reply | None, AsyncIterator[Outgoing]]:
    """The message, the line said instead of answering it again (if so), and the answer
    under way, in the message's place in line, after what was asked before it."""
    msg = p.incoming()
    instead: Reply | None = None
    if msg is not None and personal_in_group(core, p):
        instead = Reply(interrupted(p, personal=True))
    elif msg is None or not replayable(p):
        instead = Reply(interrupted(p))
    if msg is None:  # its photo wasn't kept: only its place is needed, for the line
        msg = Incoming(p.key, p.sender_id, is_group=p.is_group, message_id=p.message_id)
    return msg, instead, core.replay(msg, instead, InboxEntry.left_over(core.memory, p))


async def _recover_one(
    core: Core,
    p: Pending,
    answer: tuple[Incoming, Reply | None, AsyncIterator[Outgoing]],
    after: asyncio.Task[None] | None = None,
) -> None:
    """Answer `p` again, delivered once `after` (the answer before it in its line) is:
    the answers are worked out in line order, but a platform slow to take one must not
    let the next, ready meanwhile, arrive before it."""
    if after is not None:
        await asyncio.wait([after])
    try:
        await _replay(core, p, *answer)
        await core.memory.inbox_done(p.id)
    except Exception:
        # No user text in the log: the id and the conversation are enough to find it.
        log.exception("recovery: could not answer inbox entry %s in %s", p.id, p.key)
        if p.attempts + 1 >= GIVE_UP_AFTER:
            log.warning("recovery: giving up on inbox entry %s", p.id)
            try:
                await core.memory.inbox_done(p.id)
            except Exception:
                log.warning("inbox: could not close entry %s", p.id, exc_info=True)


def replayable(p: Pending) -> bool:
    """Answer again only what no one has seen a part of, that no earlier try died on (a
    message that crashes Muse must not crash it on every start), that is recent, and
    that means the same the second time (a vote toggles: again would take it back)."""
    if p.action.startswith(VOTE_PREFIX):
        return False
    return p.state == NEW and p.attempts <= 1 and p.age_s() <= REPLAY_WITHIN_S


def personal_in_group(core: Core, p: Pending) -> bool:
    """Asked in a group, answered only to the person (/forget and its button, /link,
    /style…): the way to them belonged to the lost request, so the group is told to ask
    again — and then it must not be done meanwhile (a /forget would have deleted
    everything, a /link joined two accounts, behind that line)."""
    if not p.is_group:
        return False
    if p.action:
        return p.action.startswith(FORGET_PREFIX)
    command = COMMAND.match(p.text.lstrip())
    spec = core.registry.get(command.group(1).lower()) if command else None
    return spec is not None and spec.private


async def _replay(
    core: Core, p: Pending, msg: Incoming, instead: Reply | None, answer: AsyncIterator[Outgoing]
) -> None:
    first, unanswered = True, False
    async for out in answer:
        if not isinstance(out, Reply) or out.is_empty:
            continue
        if out.private and msg.is_group and not out.is_error:
            # Personal answers never go to a group, and the adapter's way to the person
            # (a DM, an ephemeral reply) belonged to the lost request.
            out = Reply(interrupted(p, personal=True))
            unanswered = True
        elif first and out is not instead:
            out = replace(out, text=f"{RESUMED}\n{out.text}")
        first = False
        unanswered = unanswered or out is instead
        await _post_back(core, p, out)
    if unanswered and p.counted:
        # Told to send it again, which counts once more: the first count goes back.
        await core.policy.refund(msg, p.counted)


async def _post_back(core: Core, p: Pending, reply: Reply) -> None:
    """As a reply to the person's message where the platform can, else plainly (e.g. a
    Discord slash command's id is no message to reply to)."""
    try:
        await core.post(p.key, reply, reply_to=p.message_id)
    except NoOutbox:
        raise
    except Exception as exc:
        log.info("recovery: could not answer as a reply (%s); posting plainly", exc)
        await core.post(p.key, reply)


def interrupted(p: Pending, *, personal: bool = False) -> str:
    who = f", {p.sender_name}" if p.is_group and p.sender_name else ""
    again = "send it again"
    command = COMMAND.match(p.text.lstrip())
    if p.action:
        what, again = "your button press", "press it again"
    elif command:
        what = f"your /{command.group(1).lower()}"
    elif p.media:
        what = "your photo"
    else:
        what = "your message"
    if personal:
        return (
            f"Sorry{who} — I was restarted while answering {what}. It's personal, so "
            "please ask again and I'll answer you privately."
        )
    return f"Sorry{who} — I was restarted while answering {what} and lost my place. Please {again}."
