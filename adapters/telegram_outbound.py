"""Telegram messages out: final Replies as HTML (plain-text fallback, split at the
limit, keyboard on the last part), streamed Progress as throttled placeholder edits,
and button-press acknowledgements."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    User,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from adapters.telegram_format import (
    PLACEHOLDER,
    is_not_modified,
    is_parse_error,
    keyboard,
    progress_view,
    split_text,
    to_html,
)
from adapters.telegram_inbound import Target
from bot.messages import Reply

log = logging.getLogger(__name__)


class Outbox:
    """Everything the adapter sends. `bot` is looked up per call: it exists only
    while the adapter runs."""

    def __init__(self, bot: Callable[[], Any]) -> None:
        self._bot = bot

    @property
    def bot(self) -> Any:
        return self._bot()

    async def deliver(
        self, reply: Reply, target: Target, user: User | None, edit_id: int | None = None
    ) -> list[int]:
        """Show a final Reply, replacing the streaming placeholder `edit_id` if any;
        the ids of the messages that now hold it."""
        if reply.private and target.is_group and not reply.is_error and user is not None:
            # Personal data (style, export…) goes to the person, not to the whole group.
            try:
                await self.deliver(reply, Target(user.id), None)
                note = "📬 I sent that to you in a private chat."
            except (Forbidden, BadRequest):
                note = (
                    f"That's personal, so I only send it privately: open a chat with "
                    f"@{self.bot.username}, press Start, then ask again."
                )
            reply = Reply(note)
        if reply.is_empty and edit_id is not None:
            # Done elsewhere (through the outbox): the placeholder has nothing to hold.
            try:
                await self.bot.delete_message(target.chat_id, edit_id)
            except TelegramError:
                pass
            return []
        ids: list[int] = []
        parts = split_text(reply.text) if reply.text.strip() else []
        markup = keyboard(reply.buttons)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if i == 0 and edit_id is not None:
                if await self.edit(target, edit_id, part, markup if last else None):
                    ids.append(edit_id)
                    continue
            sent = await self.send_text(target, part, markup if last else None, first=i == 0)
            ids.append(sent.message_id)
        for attachment in reply.attachments:
            if attachment.data is not None:
                doc = await self.bot.send_document(
                    target.chat_id,
                    attachment.data,
                    filename=attachment.name or "muse.bin",
                    message_thread_id=target.thread_id,
                )
                ids.append(doc.message_id)
        return ids

    async def send_text(
        self, target: Target, text: str, markup: InlineKeyboardMarkup | None, first: bool = True
    ) -> Message:
        """Send plain `text` as HTML; if Telegram can't parse it, send it as plain text."""
        kwargs: dict[str, Any] = {
            "chat_id": target.chat_id,
            "message_thread_id": target.thread_id,
            "reply_markup": markup,
            "link_preview_options": LinkPreviewOptions(is_disabled=True),
        }
        if first and target.reply_to is not None:
            kwargs["reply_parameters"] = ReplyParameters(
                target.reply_to, allow_sending_without_reply=True
            )
        try:
            return await self.bot.send_message(  # type: ignore[no-any-return]
                text=to_html(text), parse_mode=ParseMode.HTML, **kwargs
            )
        except BadRequest as exc:
            if not is_parse_error(exc):
                raise
            log.warning("telegram: HTML rejected (%s); sending plain text", exc)
            return await self.bot.send_message(text=text, **kwargs)  # type: ignore[no-any-return]

    async def edit(
        self, target: Target, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> bool:
        """The final edit of a placeholder; False when it can't be edited (send anew)."""
        base = {"chat_id": target.chat_id, "message_id": message_id, "reply_markup": markup}
        try:
            try:
                await self.bot.edit_message_text(to_html(text), parse_mode=ParseMode.HTML, **base)
            except BadRequest as exc:
                if not is_parse_error(exc):
                    raise
                log.warning("telegram: HTML rejected (%s); editing as plain text", exc)
                await self.bot.edit_message_text(text, **base)
        except BadRequest as exc:
            if is_not_modified(exc):
                return True
            log.info("telegram: could not edit the placeholder (%s); sending anew", exc)
            return False
        return True

    async def say(self, target: Target, text: str) -> None:
        """One line to the chat, never raising (the last resort for errors)."""
        try:
            await self.send_text(target, text, None)
        except (TelegramError, RuntimeError) as exc:
            log.warning("telegram: could not send a notice: %s", exc)

    async def typing(self, target: Target) -> None:
        try:
            await self.bot.send_chat_action(
                target.chat_id, ChatAction.TYPING, message_thread_id=target.thread_id
            )
        except TelegramError:
            pass  # cosmetic


class Stream:
    """Shows streamed text: a placeholder, then edits at most every `interval` seconds
    (skipping unchanged text); the final Reply then replaces the placeholder."""

    def __init__(self, outbox: Outbox, target: Target, interval: float) -> None:
        self.outbox = outbox
        self.target = target
        # Groups are capped at ~20 messages a minute: edit them less often.
        self.interval = interval * 3 if target.is_group else interval
        self.message_id: int | None = None
        self.shown = ""
        self.at = 0.0

    async def progress(self, text: str) -> None:
        now = asyncio.get_running_loop().time()
        try:
            if self.message_id is None:
                sent = await self.outbox.send_text(self.target, PLACEHOLDER, None)
                self.message_id, self.shown, self.at = sent.message_id, PLACEHOLDER, now
                return
            view = progress_view(text)
            if view == self.shown or now - self.at < self.interval:
                return
            await self.outbox.bot.edit_message_text(
                view, chat_id=self.target.chat_id, message_id=self.message_id
            )
            self.shown, self.at = view, asyncio.get_running_loop().time()
        except TelegramError as exc:
            # A missed progress edit is harmless: the final answer follows anyway.
            if not is_not_modified(exc):
                log.info("telegram: progress edit skipped: %s", exc)

    def take(self) -> int | None:
        """The placeholder for the final reply to replace (once)."""
        message_id, self.message_id, self.shown = self.message_id, None, ""
        return message_id


class Ack:
    """answerCallbackQuery exactly once: Telegram shows a spinner until it comes."""

    def __init__(self, query: CallbackQuery) -> None:
        self.query = query
        self.done = False

    async def __call__(self, text: str | None = None) -> None:
        if self.done:
            return
        self.done = True
        try:
            await self.query.answer(text=text[:200] if text else None)
        except TelegramError as exc:
            log.info("telegram: could not answer a button press: %s", exc)
