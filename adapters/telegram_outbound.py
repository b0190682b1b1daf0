"""Telegram messages out: Replies as HTML (plain-text fallback, split at the limit,
keyboard on the last part), edits, deletes, streamed progress (cosmetic: skipped
rather than queued when the chat's send budget is in use) and button acknowledgements."""

from __future__ import annotations

import logging
from collections import OrderedDict
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
    MAX_CHARS,
    is_not_modified,
    is_parse_error,
    keyboard,
    progress_html,
    split_text,
    tg_len,
    to_html,
)
from adapters.telegram_inbound import Target
from adapters.telegram_limits import COSMETIC
from bot.messages import Reply
from bot.ordering import KeyedLocks

log = logging.getLogger(__name__)

REMEMBERED = 4096  # recent messages whose text we know, to edit only their buttons


class Sender:
    """Everything the adapter sends. `bot` is looked up per call: it exists only
    while the adapter runs."""

    def __init__(self, bot: Callable[[], Any]) -> None:
        self._bot = bot
        self.answering = 0  # answers being delivered right now (telegram_delivery)
        # One answer's messages at a time per chat (or topic): a group's members are
        # answered side by side, but an answer in several parts must not arrive with
        # another answer (or a session's post) between them.
        self.lines = KeyedLocks()
        # (chat, message) -> the text it shows as we sent it ("html:…" or "plain:…").
        self._shown: OrderedDict[tuple[int, int], str] = OrderedDict()

    def _remember(self, chat_id: int, message_id: int, shown: str | None) -> None:
        key = (chat_id, message_id)
        if shown is None:
            self._shown.pop(key, None)
            return
        self._shown[key] = shown
        self._shown.move_to_end(key)
        if len(self._shown) > REMEMBERED:
            self._shown.popitem(last=False)

    @property
    def bot(self) -> Any:
        return self._bot()

    async def deliver(
        self, reply: Reply, target: Target, user: User | None, edit_id: int | None = None
    ) -> list[int]:
        """Show a final Reply, replacing the partial message `edit_id` if any; the ids
        of the messages that now hold it."""
        if reply.private and target.is_group and not reply.is_error and user is not None:
            # Personal data (style, export…) goes to the person, not to the whole group.
            try:
                await self.deliver(reply, Target(user.id), None)
                note = "📬 I sent that to you in a private chat."
            except (Forbidden, BadRequest):
                # The command has run (a /style set is saved, a /forget done): only
                # its answer waits for a private chat.
                note = (
                    f"That's personal, so I only answer it privately: open a chat with "
                    f"@{self.bot.username}, press Start and ask there. Any change you "
                    "asked for is already made."
                )
            reply = Reply(note)
        async with self.lines.hold(f"{target.chat_id}|{target.thread_id}"):
            return await self._deliver_parts(reply, target, edit_id)

    async def _deliver_parts(self, reply: Reply, target: Target, edit_id: int | None) -> list[int]:
        ids: list[int] = []
        parts = split_text(reply.text) if reply.text.strip() else []
        markup = keyboard(reply.buttons)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if i == 0 and edit_id is not None:
                if await self.edit(target.chat_id, edit_id, part, markup if last else None):
                    ids.append(edit_id)
                    edit_id = None
                    continue
            sent = await self.send_text(target, part, markup if last else None, first=i == 0)
            ids.append(sent.message_id)
        if edit_id is not None:  # nothing took the partial message's place: remove it
            await self.delete(target.chat_id, edit_id)
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

    def _send_kwargs(
        self, target: Target, markup: InlineKeyboardMarkup | None, first: bool
    ) -> dict[str, Any]:
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
        return kwargs

    async def send_text(
        self, target: Target, text: str, markup: InlineKeyboardMarkup | None, first: bool = True
    ) -> Message:
        """Send plain `text` as HTML; if Telegram can't parse it, send it as plain text."""
        kwargs = self._send_kwargs(target, markup, first)
        try:
            sent: Message = await self.bot.send_message(
                text=to_html(text), parse_mode=ParseMode.HTML, **kwargs
            )
            shown = "html:" + to_html(text)
        except BadRequest as exc:
            if not is_parse_error(exc):
                raise
            log.warning("telegram: HTML rejected (%s); sending plain text", exc)
            sent = await self.bot.send_message(text=text, **kwargs)
            shown = "plain:" + text
        self._remember(target.chat_id, sent.message_id, shown)
        return sent

    async def edit(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> bool:
        """Replace a message's text and keyboard (HTML, else plain); when only the
        keyboard changed (a vote count), only the keyboard is sent. "Not modified" is
        success; False when it can't be edited (gone, too old…)."""
        if tg_len(text) > MAX_CHARS:
            text = split_text(text)[0]
        if self._shown.get((chat_id, message_id)) == "html:" + to_html(text):
            return await self.edit_markup(chat_id, message_id, markup)
        base = {"chat_id": chat_id, "message_id": message_id, "reply_markup": markup}
        try:
            try:
                await self.bot.edit_message_text(to_html(text), parse_mode=ParseMode.HTML, **base)
                shown = "html:" + to_html(text)
            except BadRequest as exc:
                if not is_parse_error(exc):
                    raise
                log.warning("telegram: HTML rejected (%s); editing as plain text", exc)
                await self.bot.edit_message_text(text, **base)
                shown = "plain:" + text
        except BadRequest as exc:
            if is_not_modified(exc):
                return True
            log.info("telegram: could not edit a message (%s)", exc)
            self._remember(chat_id, message_id, None)
            return False
        self._remember(chat_id, message_id, shown)
        return True

    async def edit_markup(
        self, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None
    ) -> bool:
        """Only the buttons change (vote counts): the text is not sent again."""
        try:
            await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=markup)
        except BadRequest as exc:
            if is_not_modified(exc):
                return True
            log.info("telegram: could not edit buttons (%s)", exc)
            return False
        return True

    async def delete(self, chat_id: int, message_id: int) -> None:
        self._remember(chat_id, message_id, None)
        try:
            await self.bot.delete_message(chat_id, message_id)
        except TelegramError as exc:
            log.info("telegram: could not delete a message (%s)", exc)

    async def show_progress(self, target: Target, message_id: int | None, view: str) -> int:
        """Partial text while writing (a progress_view): a new message, then edits of it,
        formatted as the answer will be (HTML, else plain). Cosmetic: raises Skipped
        instead of waiting for the chat's send budget."""
        formatted = progress_html(view)
        try:
            message_id = await self._show(target, message_id, formatted, ParseMode.HTML)
            shown = "html:" + formatted
        except BadRequest as exc:
            if not is_parse_error(exc):
                raise
            log.warning("telegram: HTML rejected (%s); progress as plain text", exc)
            shown = "plain:" + view
            message_id = await self._show(target, message_id, view, None)
        self._remember(target.chat_id, message_id, shown)
        return message_id

    async def _show(
        self, target: Target, message_id: int | None, text: str, mode: str | None
    ) -> int:
        if message_id is None:
            kwargs = self._send_kwargs(target, None, True)
            sent = await self.bot.send_message(
                text=text, parse_mode=mode, rate_limit_args=COSMETIC, **kwargs
            )
            return int(sent.message_id)
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=target.chat_id,
                message_id=message_id,
                parse_mode=mode,
                rate_limit_args=COSMETIC,
            )
        except BadRequest as exc:
            if not is_not_modified(exc):
                raise
        return message_id

    async def say(self, target: Target, text: str) -> None:
        """One line to the chat, never raising (the last resort for errors)."""
        try:
            await self.send_text(target, text, None)
        except (TelegramError, RuntimeError) as exc:
            log.warning("telegram: could not send a notice: %s", exc)

    async def typing(self, target: Target) -> None:
        """ "typing…" for a few seconds; cosmetic, so skipped while answers queue."""
        try:
            await self.bot.send_chat_action(
                target.chat_id,
                ChatAction.TYPING,
                message_thread_id=target.thread_id,
                rate_limit_args=COSMETIC,
            )
        except TelegramError:
            pass


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
