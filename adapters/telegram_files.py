"""Telegram files in: photos fetched for the core (it may caption them), other kinds
only named, and an image over the Bot API's 20 MB getFile limit refused up front."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message
from telegram.error import TelegramError

from adapters.base import ImageUnavailable
from adapters.telegram_inbound import Media
from bot.messages import Attachment

log = logging.getLogger(__name__)

MAX_DOWNLOAD = 20 * 1024 * 1024  # the Bot API's getFile limit
TOO_BIG = "That image is over Telegram's 20 MB limit for bots — send a smaller one."
NOT_FETCHED = "I couldn't fetch your photo from Telegram — send it again in a moment."


async def download(
    bot: Any, media: tuple[Media, ...], fetch: bool, sizes: dict[str, int]
) -> tuple[Attachment, ...]:
    """Fetch photos (the core may caption them); other kinds only need naming. One
    over the Bot API's limit, or not handed over, raises ImageUnavailable; getFile refuses
    a big one, so its size is checked first, as the message states it (`sizes`)."""
    out = []
    for m in media:
        if fetch and m.kind == "image" and m.file_id:
            if sizes.get(m.file_id, 0) > MAX_DOWNLOAD:
                raise ImageUnavailable(TOO_BIG)
            try:
                file = await bot.get_file(m.file_id)
                if (file.file_size or 0) > MAX_DOWNLOAD:
                    raise ImageUnavailable(TOO_BIG)
                data = bytes(await file.download_as_bytearray())
            except TelegramError as exc:
                if "too big" in str(exc).lower():
                    raise ImageUnavailable(TOO_BIG) from None
                log.warning("telegram: could not fetch a photo: %s", exc)
                raise ImageUnavailable(NOT_FETCHED) from None
            out.append(Attachment("image", data=data, mime=m.mime, name=m.name))
        else:
            out.append(Attachment(m.kind, mime=m.mime, name=m.name))
    return tuple(out)


def named(media: tuple[Media, ...]) -> tuple[Attachment, ...]:
    """The message's files as the inbox records them: named, none fetched."""
    return tuple(Attachment(m.kind, mime=m.mime, name=m.name) for m in media)


def file_sizes(message: Message) -> dict[str, int]:
    """file_id -> size, as the message (or the one it replies to) states it."""
    sizes = {}
    for m in (message, message.reply_to_message):
        if m is None:
            continue
        for f in (*m.photo, m.document):
            if f is not None and f.file_size:
                sizes[f.file_id] = f.file_size
    return sizes
