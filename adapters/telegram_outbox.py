"""The Telegram adapter as the core's outbox (bot.outbox.Outbox): posting and editing
without an incoming message, forum topics for sessions, group admins, links."""

from __future__ import annotations

import logging
from typing import Any

from telegram import ChatMember
from telegram.error import TelegramError

from adapters.telegram_format import keyboard
from adapters.telegram_inbound import Target
from adapters.telegram_outbound import Sender
from bot.messages import Reply, SessionKey

log = logging.getLogger(__name__)

MAX_TOPIC_NAME = 128
ADMINS = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.lstrip("-").isdigit() else None


def target_of(key: SessionKey, reply_to: str | None = None) -> Target:
    chat = int(key.chat_id)
    # Telegram's group and supergroup ids are negative; private chats' are not.
    return Target(chat, _int(key.thread_id), _int(reply_to), chat < 0)


class TelegramOutbox:
    sender: Sender

    @property
    def bot(self) -> Any:
        raise NotImplementedError

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        """Deliver a Reply outside a request (a timer's summary…): the ids sent, or []
        when Telegram refused (the bot was removed from the chat…)."""
        try:
            ids = await self.sender.deliver(reply, target_of(key, reply_to), None)
        except TelegramError as exc:
            log.warning("telegram: could not post to %s: %s", key, exc)
            return []
        return [str(i) for i in ids]

    async def edit(self, key: SessionKey, message_id: str, reply: Reply) -> bool:
        """Replace a message's text and buttons; a Reply without text changes only the
        buttons (e.g. vote counts), which doesn't send the text again."""
        message = _int(message_id)
        if message is None:
            return False
        chat, markup = int(key.chat_id), keyboard(reply.buttons)
        try:
            if not reply.text.strip():
                return await self.sender.edit_markup(chat, message, markup)
            return await self.sender.edit(chat, message, reply.text, markup)
        except TelegramError as exc:
            log.warning("telegram: could not edit in %s: %s", key, exc)
            return False

    async def open_thread(
        self, key: SessionKey, title: str, *, anchor: str | None = None
    ) -> SessionKey | None:
        """A new forum topic, where the chat is a forum and Muse may manage its topics
        (learned by trying: one request either way); else None, and the caller stays
        where it is."""
        chat = int(key.chat_id)
        if chat >= 0:
            return None  # a private chat has no topics to open
        name = " ".join(title.split())[:MAX_TOPIC_NAME] or "Muse"
        try:
            topic = await self.bot.create_forum_topic(chat, name)
        except TelegramError as exc:  # not a forum, no "Manage topics" right, …
            log.info("telegram: no topic in %s (%s); staying in place", key, exc)
            return None
        return SessionKey(key.platform, key.chat_id, str(topic.message_thread_id))

    async def is_admin(self, key: SessionKey, user_id: str) -> bool:
        """The group's owner or one of its administrators (in a private chat: its person)."""
        chat, user = int(key.chat_id), _int(user_id)
        if user is None:
            return False
        if chat >= 0:
            return chat == user
        try:
            member = await self.bot.get_chat_member(chat, user)
        except TelegramError as exc:
            log.info("telegram: could not check an admin in %s: %s", key, exc)
            return False
        return member.status in ADMINS

    def link(self, key: SessionKey, message_id: str | None = None) -> str | None:
        """t.me/c/… for supergroups (members can open it); None where Telegram has no
        link (private chats, basic groups): the caller says "here" instead."""
        chat = key.chat_id
        if not chat.startswith("-100"):
            return None
        path = [chat[4:]]
        if key.thread_id:
            path.append(key.thread_id)
        if message_id:
            path.append(message_id)
        if len(path) == 1:
            return None  # a supergroup itself has no private link, only its messages
        return "https://t.me/c/" + "/".join(path)
