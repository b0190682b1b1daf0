"""How the core talks first: a session timer's summary, a recovered interrupted
message, a vote count refresh. There is no Incoming to answer, so the core posts to a
`SessionKey` through the outbox the conversation's adapter registered; the adapter
knows how to reach a chat, thread or topic, the core never does."""

from __future__ import annotations

from typing import Protocol

from bot.messages import Reply, SessionKey


class Outbox(Protocol):
    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        """Send `reply` into the conversation (as a reply to message `reply_to` where the
        platform threads that way); returns the ids of the messages sent, in order."""
        ...

    async def edit(self, key: SessionKey, message_id: str, reply: Reply) -> bool:
        """Replace a message Muse sent (text and buttons); False if it can't be edited."""
        ...

    async def open_thread(
        self, key: SessionKey, title: str, *, anchor: str | None = None
    ) -> SessionKey | None:
        """A new thread/topic for `key`'s conversation (from message `anchor` where the
        platform needs one), or None where the platform or Muse's rights don't allow it."""
        ...

    async def is_admin(self, key: SessionKey, user_id: str) -> bool:
        """Is the person an admin of that group conversation (its owner, moderators)?"""
        ...

    def link(self, key: SessionKey, message_id: str | None = None) -> str | None:
        """Something a user can click or read to get to that conversation (or message):
        a URL or the platform's own mention syntax; None if there is none."""
        ...


class NoOutbox(LookupError):
    """No adapter serves that platform in this process (e.g. Telegram not running)."""
