""" "A photo, then /caption": the last photo each person sent in a conversation, kept a
while for the command that follows it. Bounded in size, count and age: at most
LAST_IMAGE_BYTES for everyone, each photo counting a fixed slot on top of its bytes
(64 MB / 256 KB = 256 kept however small the photos), each for LAST_IMAGE_TTL_S; the
least recently stored go first."""

from __future__ import annotations

from collections.abc import Callable

from cachetools import TTLCache

from bot.messages import Attachment

LAST_IMAGE_TTL_S = 600.0
LAST_IMAGE_BYTES = 64 * 1024 * 1024
LAST_IMAGE_SLOT = 256 * 1024


def _size(image: Attachment) -> int:
    return len(image.data or b"") + LAST_IMAGE_SLOT


class LastImages(TTLCache[str, Attachment]):
    """Keyed by `Incoming.asker` (person and conversation: in a group, one member's
    photo is never another's caption)."""

    def __init__(self, now: Callable[[], float]) -> None:
        super().__init__(LAST_IMAGE_BYTES, LAST_IMAGE_TTL_S, timer=now, getsizeof=_size)

    def keep(self, asker: str, image: Attachment) -> None:
        if _size(image) <= LAST_IMAGE_BYTES:  # larger than the whole cache: not kept
            self[asker] = image

    def forget(self, platform: str, user_id: str) -> None:
        """Drop this account's photos in every conversation (/forget: "I no longer know
        you" must hold for the photo sent just before, too)."""
        for asker in list(self.keys()):
            session, _, who = asker.rpartition("|")
            if who == user_id and session.split(":", 1)[0] == platform:
                self.pop(asker, None)
