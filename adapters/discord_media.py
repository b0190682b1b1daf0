"""Files attached to Discord messages, as the core sees them: images fetched (a vision
model captions them, "a photo, then /caption" remembers them), other kinds only named
(so Muse can say it can't use them instead of "send me some text")."""

from __future__ import annotations

import logging

import aiohttp
import discord

from adapters.base import ImageUnavailable
from bot.messages import Attachment, AttachmentKind

log = logging.getLogger(__name__)

# The largest image Muse fetches: OpenAI's own limit for one image, and far more than a
# photo needs (Discord lets boosted servers attach up to 500 MB).
MAX_IMAGE_BYTES = 20 * 1024 * 1024
TOO_BIG = "That image is over 20 MB — send a smaller one."
NOT_FETCHED = "I couldn't fetch that image from Discord — send it again."


def kind_of(file: discord.Attachment) -> AttachmentKind:
    mime = (file.content_type or "").split(";")[0].strip().lower()
    for prefix, kind in (("image/", "image"), ("video/", "video"), ("audio/", "audio")):
        if mime.startswith(prefix):
            return kind  # type: ignore[return-value]
    return "file"


async def attachments_of(files: list[discord.Attachment], *, fetch: bool) -> tuple[Attachment, ...]:
    """The message's files; images downloaded when `fetch` (chatter is never fetched)."""
    out = []
    for file in files:
        kind, mime = kind_of(file), file.content_type
        if kind != "image" or not fetch:
            out.append(Attachment(kind, mime=mime, name=file.filename))
            continue
        if file.size > MAX_IMAGE_BYTES:
            raise ImageUnavailable(TOO_BIG)
        try:
            data = await file.read()
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            log.warning("discord: could not fetch an attached image (%s)", type(exc).__name__)
            raise ImageUnavailable(NOT_FETCHED) from None
        out.append(Attachment("image", data=data, mime=mime, name=file.filename))
    return tuple(out)
