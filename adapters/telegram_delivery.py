"""One answer on its way to Telegram.

The core's stream is read as fast as it comes (the work never waits for Telegram), and
sends are spent only where they show something: an answer that is ready within
`show_after` seconds of its first words goes out as exactly one message — no typing
action, no placeholder, no edit. A slower one shows its partial text after that delay,
edited at most every `interval` seconds by a separate task whose sends are cosmetic (never
queued), and the final answer then takes that message's place. While nothing at all
has arrived for `show_after` seconds, the chat shows "typing…". While many answers are
under way at once, partial text is not shown at all (only "typing…"; a notice such as
the place in line still is): those sends and edits would cost the CPU and the send
budget the answers themselves need."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import User
from telegram.error import TelegramError

from adapters.base import typing_landed
from adapters.telegram_format import progress_view
from adapters.telegram_inbound import Target
from adapters.telegram_limits import Skipped
from adapters.telegram_outbound import Ack, Sender
from bot.messages import Outgoing, Progress, Reply

log = logging.getLogger(__name__)

TYPING_EVERY_S = 4.5  # Telegram shows a chat action for ~5 s
RETRY_SKIPPED_S = 0.5  # a skipped progress edit is tried again after this
# From this many answers under way at once, partial text is not shown (measured: under a
# burst of 200, the previews cost ≈ 12% of the bot's CPU, bench/README.md).
BUSY_ANSWERS = 16


class Delivery:
    def __init__(
        self,
        sender: Sender,
        target: Target,
        user: User | None,
        *,
        show_after: float,
        interval: float,
        ack: Ack | None = None,
        typing: bool = True,
    ) -> None:
        self.sender = sender
        self.typing = typing
        self.target = target
        self.user = user
        self.show_after = show_after
        # Groups are capped at ~20 messages a minute: edit them less often.
        self.interval = interval * 3 if target.is_group else interval
        self.ack = ack

    async def run(self, stream: AsyncIterator[Outgoing]) -> None:
        progress: Progressive | None = None
        typing = Typing(self.sender, self.target, self.show_after if self.typing else None)
        self.sender.answering += 1
        try:
            async for out in stream:
                typing.stop()
                if isinstance(out, Progress):
                    if progress is None:
                        progress = Progressive(self.sender, self.target, self, typing)
                    progress.update(out.text, out.notice)
                    continue
                edit_id = await progress.finish() if progress is not None else None
                progress = None
                await typing.ended()
                await self._final(out, edit_id)
        finally:
            self.sender.answering -= 1
            typing.stop()
            await typing.ended()
            if progress is not None:  # the stream broke off: don't leave "writing…" behind
                await self._drop(await progress.finish())
            # A send that failed leaves the core's stream suspended; closed now, it ends
            # the message's inbox entry at once (the person was told), not whenever the
            # garbage collector gets to it — a restart before that said "I was restarted
            # while answering" about an answer that had failed, not been interrupted.
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _final(self, reply: Reply, edit_id: int | None) -> None:
        ack = self.ack
        if ack is not None:
            if not ack.done and reply.toast:
                # A button's acknowledgement (a vote counted): its pop-up, no chat message.
                await ack(reply.text)
                await self._drop(edit_id)
                return
            if not ack.done:
                # A failed button press (e.g. its draft is gone) shows as a pop-up too.
                await ack(reply.text if reply.is_error else None)
            elif reply.toast and not reply.is_error:
                await self._drop(edit_id)  # too late for a pop-up; not worth a message
                return
        await self.sender.deliver(reply, self.target, self.user, edit_id=edit_id)

    async def _drop(self, edit_id: int | None) -> None:
        if edit_id is not None:
            await self.sender.delete(self.target.chat_id, edit_id)


class Typing:
    """ "typing…" from `after` seconds of silence on (None: never), every TYPING_EVERY_S.
    Telegram shows a chat action until the bot's next message or for ~5 s, so one that
    reaches it after the answer shows "typing…" under the answer: when stopped, a request
    already under way is let through, and the answer waits for it (`ended`). Most answers
    come before `after`: for them it is only a timer, cancelled."""

    def __init__(self, sender: Sender, target: Target, after: float | None) -> None:
        self.sender = sender
        self.target = target
        self._sending = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        loop = asyncio.get_running_loop()
        self._timer = None if after is None else loop.call_later(after, self._start)

    def _start(self) -> None:
        if not self._stopping:
            self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        self._stopping = True
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None and not self._sending:
            self._task.cancel()

    async def ended(self) -> None:
        if self._task is not None and self._sending:
            await typing_landed(self._task)

    async def _run(self) -> None:
        while not self._stopping:
            self._sending = True
            try:
                await self.sender.typing(self.target)
            except Exception as exc:  # cosmetic: never let it break the answer
                log.warning("telegram: typing… not shown (%s)", type(exc).__name__)
            finally:
                self._sending = False
            if self._stopping:
                return
            await asyncio.sleep(TYPING_EVERY_S)


class Progressive:
    """The partial text of one answer: shown once it has taken `show_after`, then kept
    up to date. Its sends are cosmetic, so they never wait behind (or delay) an answer."""

    def __init__(self, sender: Sender, target: Target, delivery: Delivery, typing: Typing) -> None:
        self.sender = sender
        self.typing = typing
        self.target = target
        self.show_after = delivery.show_after
        self.interval = delivery.interval
        self.text = ""
        self.notice = False  # the text is a word about the answer, not the answer
        self.shown = ""
        self.message_id: int | None = None
        self._new = asyncio.Event()
        self._typed = -TYPING_EVERY_S  # when "typing…" was last sent in place of text
        self._sending = False
        self._stopping = False
        self._task = asyncio.create_task(self._run())

    def update(self, text: str, notice: bool = False) -> None:
        self.text = text
        self.notice = notice
        self._new.set()

    async def finish(self) -> int | None:
        """Stop showing progress; the message the final answer should replace, if any.
        A send already on the wire is let through (so edits land in order); one that
        is only waiting is dropped."""
        self._stopping = True
        if self._sending:
            with contextlib.suppress(Exception):
                await self._task
        else:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.message_id

    async def _run(self) -> None:
        await asyncio.sleep(self.show_after)  # an answer that finishes by then shows none
        await self.typing.ended()  # a message clears "typing…" only if it comes after
        while not self._stopping:
            await self._new.wait()
            self._new.clear()
            view = progress_view(self.text)
            pause = self.interval
            busy = self.sender.answering >= BUSY_ANSWERS
            if busy and self.message_id is None and not self.notice:
                self._new.set()  # busy: "typing…" only, for now
                now = asyncio.get_running_loop().time()
                if now - self._typed >= TYPING_EVERY_S:
                    self._typed = now
                    self._sending = True  # let through if stopped: see Typing
                    try:
                        await self.sender.typing(self.target)
                    finally:
                        self._sending = False
                pause = max(pause, RETRY_SKIPPED_S)
            elif view != self.shown:
                self._sending = True
                try:
                    self.message_id = await self.sender.show_progress(
                        self.target, self.message_id, view
                    )
                    self.shown = view
                except Skipped:
                    self._new.set()
                    pause = max(pause, RETRY_SKIPPED_S)
                except TelegramError as exc:
                    log.info("telegram: progress not shown: %s", exc)
                finally:
                    self._sending = False
            if self._stopping:
                return
            await asyncio.sleep(pause)
