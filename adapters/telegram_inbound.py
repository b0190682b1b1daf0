"""Telegram messages in: who asked, where to answer, and whether Muse was addressed
(in groups: a command, an @mention or a reply to Muse). Other group messages reach
Muse only when Telegram delivers them (privacy mode off, or Muse is an admin); they go
to the core unaddressed, which collects them only in a brainstorm session's topic."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cachetools import TTLCache
from telegram import Chat, Message, User

from adapters.base import without_mention
from bot.messages import AttachmentKind, SessionKey

COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@(\w+))?")


@dataclass(frozen=True)
class Target:
    """Where an answer goes: the chat, the forum topic, and (in groups) the message asked."""

    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None
    is_group: bool = False


@dataclass(frozen=True)
class Media:
    """A file to fetch (images) or just to name (anything the core can't use)."""

    kind: AttachmentKind
    file_id: str | None = None
    mime: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Inbound:
    session: SessionKey
    target: Target
    user: User
    text: str
    reply_to_text: str | None
    media: tuple[Media, ...]
    reply_to_id: int | None = None
    addressed: bool = True
    reply_to_muse: bool = False


def is_group_chat(chat: Chat) -> bool:
    return chat.type in (Chat.GROUP, Chat.SUPERGROUP)


def topic_of(message: Message) -> int | None:
    """Forum topics are separate conversations; reply threads in plain groups are not."""
    return message.message_thread_id if message.is_topic_message else None


def session_of(message: Message) -> SessionKey:
    thread = topic_of(message)
    return SessionKey("telegram", str(message.chat.id), str(thread) if thread else None)


def media_of(message: Message) -> list[Media]:
    if message.photo:
        return [Media("image", message.photo[-1].file_id, "image/jpeg")]
    # Before the document: a GIF comes as an animation *and* a document (old clients).
    if message.sticker:
        return [Media("sticker")]
    if message.voice or message.audio:
        return [Media("audio")]
    if message.video or message.video_note or message.animation:
        return [Media("video")]
    doc = message.document
    if doc is not None:
        mime = doc.mime_type or ""
        kinds: dict[str, AttachmentKind] = {"image": "image", "video": "video", "audio": "audio"}
        kind = kinds.get(mime.split("/")[0], "file")
        return [Media(kind, doc.file_id, doc.mime_type, doc.file_name)]
    return []


class Albums:
    """Telegram sends an album as one message per photo, sharing a `media_group_id`,
    with the caption on one of them (the first, from the official apps). The album is
    answered once: a later photo of it without a caption is part of what was already
    answered, not a request of its own."""

    def __init__(self) -> None:
        # A few minutes are plenty: the parts of an album arrive within a second.
        self._seen: TTLCache[tuple[int, str], bool] = TTLCache(maxsize=4096, ttl=300)

    def rest_of_one(self, message: Message) -> bool:
        album = message.media_group_id
        if not album:
            return False
        key = (message.chat.id, album)
        if key in self._seen and not (message.caption or message.text):
            return True
        self._seen[key] = True
        return False


def migration_of(message: Message) -> tuple[int, int] | None:
    """(old id, new id) when the message announces a group upgraded to a supergroup:
    Telegram says it twice, in the old group and in the new supergroup."""
    if message.migrate_to_chat_id:
        return message.chat.id, message.migrate_to_chat_id
    if message.migrate_from_chat_id:
        return message.migrate_from_chat_id, message.chat.id
    return None


def _replied(message: Message) -> Message | None:
    replied = message.reply_to_message
    # In forum topics every message "replies" to the topic's creation notice.
    if replied is None or replied.forum_topic_created is not None:
        return None
    return replied


def _command_after_mention(text: str, username: str) -> tuple[str, bool]:
    """ "hey @muse /caption a sunset": people type the mention, then the command (a tap
    in the command menu sends "/caption@muse" instead). A command right after Muse's
    mention, with at most a greeting's few words before it, is that command: the text
    from the command on, and True. "@muse what do you think of /caption" stays chat."""
    found = re.match(
        rf"\W*(?:\w+[,!.]?\s+){{0,3}}@{re.escape(username)}\b[,:]?\s+(?=/[A-Za-z0-9_])",
        text,
        re.I,
    )
    return (text[found.end() :], True) if found else (text, False)


def _strip_mention(text: str, username: str) -> tuple[str, bool]:
    return without_mention(text, rf"(?<!\w)@{re.escape(username)}\b")


def asked_anonymously(message: Message, bot_username: str) -> bool:
    """A group admin posting as the group ("Remain anonymous"), or someone posting as a
    channel, asked Muse something. Telegram sends it from a stand-in bot: there is no
    person behind it whom Muse could remember, count or answer privately."""
    if message.sender_chat is None or not is_group_chat(message.chat):
        return False
    text = message.text or message.caption or ""
    command = COMMAND_RE.match(text)
    if command:
        return not command.group(2) or command.group(2).lower() == bot_username.lower()
    return _strip_mention(text, bot_username)[1]


def parse_message(message: Message, bot_id: int, bot_username: str) -> Inbound | None:
    """The message as Muse sees it (`addressed` False for group chatter), or None when it
    is nobody's business of Muse's: a bot, a service notice, another bot's command."""
    user = message.from_user
    if user is None or user.is_bot:
        return None
    text = message.text or message.caption or ""
    media = media_of(message)
    if not text and message.effective_attachment is None:
        return None  # a service message: someone joined, a pin, a topic renamed…
    replied = _replied(message)
    group = is_group_chat(message.chat)
    text, called = _command_after_mention(text, bot_username)
    command = COMMAND_RE.match(text)
    if command and command.group(2):
        if group and command.group(2).lower() != bot_username.lower():
            return None  # /cmd@some_other_bot, in a group it shares with us
        text = f"/{command.group(1)}{text[command.end() :]}"
    text, mentioned = _strip_mention(text, bot_username)
    mentioned = mentioned or called
    to_me = replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
    # A sticker or a GIF in reply to Muse is a member's reaction to its answer, not a
    # request: answering "I can't use stickers" to the whole group would be noise.
    reaction = not text and (message.sticker is not None or message.animation is not None)
    addressed = bool(command or mentioned or (to_me and not reaction)) if group else True
    if not media and replied is not None and command and command.group(1).lower() == "caption":
        # "/caption …" as a reply to a photo: caption that photo. Only /caption: any
        # other command's reply (a /remix of a member's photo post) uses the words, and
        # the photo, someone else's maybe, must not become the asker's "last photo".
        media = [m for m in media_of(replied) if m.kind == "image"]
    reply_to_text = None
    if replied is not None:
        quote = message.quote.text if message.quote else None
        reply_to_text = quote or replied.text or replied.caption
    target = Target(
        chat_id=message.chat.id,
        thread_id=topic_of(message),
        reply_to=message.message_id if group else None,
        is_group=group,
    )
    return Inbound(
        session_of(message),
        target,
        user,
        text,
        reply_to_text,
        tuple(media),
        reply_to_id=replied.message_id if replied is not None else None,
        addressed=addressed,
        reply_to_muse=to_me,
    )


def display_name(user: User) -> str:
    return user.username or user.full_name
