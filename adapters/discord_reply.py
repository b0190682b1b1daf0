"""Where one answer goes on Discord: an interaction's deferred response (edited as text
streams in, then followups) or a reply to a message. Streaming edits run in their own
task, at most one per `interval` seconds, so a slow Discord never slows the model and a
fast model never floods Discord."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from dataclasses import replace
from typing import Any, Literal

import discord

from adapters.base import typing_landed
from adapters.discord_render import (
    UPLOAD_LIMIT,
    build_files,
    build_view,
    fit_files,
    preview,
    split_text,
)
from bot.messages import Reply

log = logging.getLogger(__name__)


class Streamer(abc.ABC):
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._latest = ""
        self._dirty = asyncio.Event()
        self._closing = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self.upload_limit = UPLOAD_LIMIT  # the biggest file this answer may carry

    def progress(self, text: str) -> None:
        self._latest = text
        self._dirty.set()
        if self._pump is None:
            self._pump = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._closing.is_set():
            await self._dirty.wait()
            if self._closing.is_set():
                return
            self._dirty.clear()
            try:
                await self._show(preview(self._latest))
            except Exception as exc:  # a lost preview is cosmetic; the answer still follows
                log.debug("streaming edit failed: %s", type(exc).__name__)
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.interval)

    async def finish(self, reply: Reply) -> None:
        """Stop streaming (letting an in-flight edit land first), then show the answer."""
        self._closing.set()
        self._dirty.set()
        if self._pump is not None:
            await asyncio.gather(self._pump, return_exceptions=True)
        await self._deliver(await asyncio.to_thread(fit_files, reply, self.upload_limit))

    def cancel(self) -> None:
        """Stop a preview task left behind when the answer itself was cancelled."""
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()

    @abc.abstractmethod
    async def _show(self, text: str) -> None: ...

    @abc.abstractmethod
    async def _deliver(self, reply: Reply) -> None: ...


async def send_chunks(
    target: discord.abc.Messageable,
    reply: Reply,
    reference: discord.Message | discord.PartialMessage | None = None,
    chunks: list[str] | None = None,
) -> list[discord.Message]:
    """Post a reply as plain channel messages: files on the first, buttons on the last."""
    chunks = split_text(reply.text) if chunks is None else chunks
    sent: list[discord.Message] = []
    for i, chunk in enumerate(chunks):
        kwargs: dict[str, Any] = {}
        if i == 0 and reply.attachments:
            kwargs["files"] = build_files(reply.attachments)
        if i == len(chunks) - 1 and (view := build_view(reply.buttons)):
            kwargs["view"] = view
        if i == 0 and reference is not None:
            kwargs["reference"] = reference
            kwargs["mention_author"] = False
        sent.append(await target.send(chunk, **kwargs))
    return sent


Mode = Literal["thinking", "update", "silent"]


class InteractionReply(Streamer):
    """How an interaction is acknowledged and answered:

    * "thinking": a new "Muse is thinking…" response, streamed into and then filled in
      (slash commands, most buttons);
    * "update": the pressed button's own message is replaced (/forget's confirmation);
    * "silent": nothing new is shown (a vote): only what the core answers, as a
      followup — a toast only the presser sees."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        *,
        ephemeral: bool,
        interval: float,
        mode: Mode = "thinking",
    ) -> None:
        super().__init__(interval)
        self.interaction = interaction
        self.ephemeral = ephemeral
        self.mode = mode
        self.acknowledged = False
        self.answered = False  # the original response already holds an answer
        self.preview: int | None = None  # the original response's id, while it shows "… ✍️"
        self.opened = asyncio.Event()  # open() is over: the work may start
        # What Discord says this interaction takes, yet no more than a DM takes: a
        # private answer whose token expired goes to the person's DMs instead.
        self.upload_limit = min(interaction.filesize_limit or UPLOAD_LIMIT, UPLOAD_LIMIT)

    async def open(self) -> None:
        """Acknowledge at once: Discord shows "did not respond" after 3 s otherwise."""
        try:
            if self.mode == "thinking":
                await self.interaction.response.defer(ephemeral=self.ephemeral, thinking=True)
            else:
                await self.interaction.response.defer()
            self.acknowledged = True
        except discord.InteractionResponded:
            self.acknowledged = True
        except discord.HTTPException as exc:
            # Usually an interaction that expired before we saw it; answer in the channel.
            log.warning("could not defer interaction (%s %s)", exc.status, exc.code)
        finally:
            self.opened.set()

    async def _show(self, text: str) -> None:
        if self.acknowledged and self.mode == "thinking":
            shown = await self.interaction.edit_original_response(content=text)
            self.preview = None if self.ephemeral else shown.id

    async def _deliver(self, reply: Reply) -> None:
        thinking = self.mode == "thinking"
        if reply.is_empty:
            # Done through the outbox: the "thinking…" response has nothing to hold.
            if self.acknowledged and thinking and not self.answered:
                with contextlib.suppress(discord.HTTPException):
                    await self.interaction.delete_original_response()
            return
        chunks = split_text(reply.text)
        files = build_files(reply.attachments)
        view = build_view(reply.buttons)
        private = reply.private or reply.toast or self.ephemeral
        start = 0  # chunks delivered so far
        try:
            if not self.acknowledged:
                raise _Fallback
            if self.answered or self.mode == "silent":
                pass  # followups only
            elif self.mode == "update" and not reply.is_error:
                await self.interaction.edit_original_response(
                    content=chunks[0], view=view if len(chunks) == 1 else None
                )
                start = 1
            elif thinking and (self.ephemeral or not private):
                # The deferred response already has the right visibility: fill it in.
                await self.interaction.edit_original_response(
                    content=chunks[0],
                    attachments=files,
                    view=view if len(chunks) == 1 else None,
                )
                files, start, self.preview = [], 1, None
            elif thinking:
                # Public "thinking…" but a private answer (an error, a toast): swap it
                # for an ephemeral followup so nobody else sees it.
                with contextlib.suppress(discord.HTTPException):
                    await self.interaction.delete_original_response()
            self.answered = True
            for i in range(start, len(chunks)):
                kwargs: dict[str, Any] = {"ephemeral": private, "wait": True}
                if files:
                    kwargs["files"], files = files, []
                if i == len(chunks) - 1 and view is not None:
                    kwargs["view"] = view
                await self.interaction.followup.send(chunks[i], **kwargs)
                start = i + 1
        except (_Fallback, discord.HTTPException) as exc:
            # Interaction tokens live 15 minutes; after that only a channel message works.
            status = getattr(exc, "status", None)
            log.info("interaction response failed (%s); falling back to a message", status)
            rest = reply if files else replace(reply, attachments=())
            await self._fallback(rest, chunks[start:], private)

    async def _fallback(self, reply: Reply, chunks: list[str], private: bool) -> None:
        """Post what is left of the answer: in the channel, or as a DM if private."""
        channel = self.interaction.channel
        messageable = isinstance(channel, discord.abc.Messageable)
        if self.preview is not None and channel is not None and messageable:
            # The token died mid-answer: its half answer ("… ✍️") would stay for good,
            # as if still being written. Muse wrote it, so it may still edit it as a bot:
            # it becomes the answer, or goes (a private answer, files to attach).
            where = self.interaction.client.get_partial_messageable(channel.id)
            preview, self.preview = where.get_partial_message(self.preview), None
            with contextlib.suppress(discord.HTTPException):
                if private or reply.attachments:
                    await preview.delete()
                else:
                    view = build_view(reply.buttons) if len(chunks) == 1 else None
                    await preview.edit(content=chunks[0], view=view)
                    chunks = chunks[1:]
        try:
            if private or not isinstance(channel, discord.abc.Messageable):
                # Never leak a private answer into a channel.
                await send_chunks(self.interaction.user, reply, chunks=chunks)
            else:
                await send_chunks(channel, reply, chunks=chunks)
        except discord.HTTPException as exc:
            log.warning("could not deliver a reply at all (%s %s)", exc.status, exc.code)


TYPING_EVERY_S = 9.0  # Discord shows "typing…" for ~10 s, or until the bot posts


class _Fallback(Exception):
    pass


class MessageReply(Streamer):
    """Answer to a message (mention or DM): a reply streamed by editing, or plain posts
    into a thread opened for it."""

    def __init__(
        self,
        message: discord.Message,
        target: discord.abc.Messageable,
        *,
        interval: float,
        reference: bool = True,
        typing: bool = False,
    ) -> None:
        super().__init__(interval)
        self.message = message
        self.target = target
        self.reference = message if reference else None
        self.sent: discord.Message | None = None
        # "Muse is typing…" until the first words, sent alongside the work (the model
        # never waits for Discord) and again every TYPING_EVERY_S (Discord shows it for
        # ~10 s; a model server retrying or a queue can take longer); the first post
        # stops it and waits for a request under way to land.
        self._sending = self._stopping = False
        self._typing = asyncio.create_task(self._type()) if typing else None

    async def _type(self) -> None:
        while not self._stopping:
            self._sending = True
            try:
                await self.target.typing()
            except discord.HTTPException:
                return  # e.g. no permission in that channel: the answer's send deals with it
            except Exception as exc:  # cosmetic: never let it break the answer
                log.info("discord: typing… not shown (%s)", type(exc).__name__)
                return
            finally:
                self._sending = False
            if not self._stopping:
                await asyncio.sleep(TYPING_EVERY_S)

    async def _typed(self) -> None:
        task, self._typing = self._typing, None
        if task is not None:
            self._stopping = True
            if self._sending:  # let it land (it ends the loop), never cancel it
                await typing_landed(task)
            else:
                task.cancel()

    def cancel(self) -> None:
        super().cancel()
        self._stopping = True
        if self._typing is not None:  # nothing was posted: no need to say "typing…"
            self._typing.cancel()

    async def _show(self, text: str) -> None:
        await self._typed()
        if self.sent is None:
            self.sent = await self._post(text)
        else:
            await self.sent.edit(content=text)

    async def _post(self, text: str, **kwargs: Any) -> discord.Message:
        if self.reference is not None:
            kwargs.update(reference=self.reference, mention_author=False)
        return await self.target.send(text, **kwargs)

    async def _deliver(self, reply: Reply) -> None:
        await self._typed()
        if reply.is_empty:
            if self.sent is not None:
                with contextlib.suppress(discord.HTTPException):
                    await self.sent.delete()
                self.sent = None
            return
        try:
            if reply.private and not reply.is_error and self.message.guild is not None:
                await self._deliver_privately(reply)
                return
            chunks = split_text(reply.text)
            sent, self.sent = self.sent, None  # a further Reply starts a new message
            if sent is not None and not reply.attachments:
                # Turn the streamed preview into the answer's first part.
                view = build_view(reply.buttons) if len(chunks) == 1 else None
                await sent.edit(content=chunks[0], view=view)
                if chunks[1:]:
                    await send_chunks(self.target, reply, chunks=chunks[1:])
                return
            if sent is not None:
                with contextlib.suppress(discord.HTTPException):
                    await sent.delete()
            await send_chunks(self.target, reply, self.reference, chunks)
        except discord.Forbidden:
            log.warning("missing permission to post in channel %s", getattr(self.target, "id", "?"))
            await self._tell_author_privately()
        except discord.HTTPException as exc:
            log.warning("could not post a reply (%s %s)", exc.status, exc.code)

    async def _tell_author_privately(self) -> None:
        """The channel won't take our answer: say why, where only the asker sees it."""
        if self.message.guild is None:
            return
        where = getattr(self.message.channel, "mention", "that channel")
        note = (
            f"I can't post in {where} — I'm missing the Send Messages permission there. "
            "Ask a server admin, or use my slash commands (they always work)."
        )
        try:
            await self.message.author.send(note)
        except discord.HTTPException:
            log.info("could not DM the author about the missing permission either")

    async def _deliver_privately(self, reply: Reply) -> None:
        """Personal data asked for in a channel goes to the person's DMs."""
        if self.sent is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.sent.delete()
        try:
            await send_chunks(self.message.author, reply)
            note = "That's personal, so I sent it to you in a DM."
        except discord.HTTPException:
            # The command has run: only its answer can't reach the person.
            note = (
                "That's personal and I can't DM you — use the slash command to see it. "
                "Any change you asked for is already made."
            )
        await self._post(note)
