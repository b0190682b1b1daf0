"""Discord as the core's outbox: post, edit, open a thread, ask whether someone is an
admin there, and link to a conversation — for the core talking first (a session's
summary, vote counts), where there is no interaction to answer."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any, Literal

import discord

from adapters.discord_keys import PLATFORM, channel_of
from adapters.discord_render import build_view, split_text
from adapters.discord_reply import send_chunks
from bot.messages import Reply, SessionKey

log = logging.getLogger(__name__)

THREAD_NAME_MAX = 100
# Threads archive after this long without messages (minutes; 7 days, the longest).
THREAD_ARCHIVE_MIN: Literal[10080] = 10080
# Permissions seen with someone's interaction stay trusted this long (seconds).
PERMISSIONS_TTL_S = 600.0
PERMISSIONS_KEPT = 10_000


def may_moderate(permissions: discord.Permissions) -> bool:
    """A group admin in Discord's terms, for that channel."""
    return permissions.administrator or permissions.manage_guild or permissions.manage_threads


class DiscordOutbox:
    """Mixed into the adapter (which sets `client`)."""

    client: Any

    def __init__(self) -> None:
        # (channel id, user id) -> (when, permissions Discord sent with their interaction)
        self._seen_permissions: OrderedDict[tuple[int, int], tuple[float, int]] = OrderedDict()

    # -- what the core calls -----------------------------------------------------

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        """Post into the conversation's channel or thread; the ids of the messages sent."""
        channel = self._messageable(key)
        reference = channel.get_partial_message(int(reply_to)) if reply_to else None
        sent = await send_chunks(channel, reply, reference)
        return [str(m.id) for m in sent]

    async def edit(self, key: SessionKey, message_id: str, reply: Reply) -> bool:
        """Replace the text (its first 2000 characters) and buttons of a message Muse
        posted; no buttons in `reply` removes them. False if Discord refuses."""
        message = self._messageable(key).get_partial_message(int(message_id))
        kwargs: dict[str, Any] = {"view": build_view(reply.buttons)}
        if reply.text.strip():
            kwargs["content"] = split_text(reply.text)[0]
        try:
            await message.edit(**kwargs)
        except discord.HTTPException as exc:
            log.info("could not edit message %s (%s %s)", message_id, exc.status, exc.code)
            return False
        return True

    async def open_thread(
        self, key: SessionKey, title: str, *, anchor: str | None = None
    ) -> SessionKey | None:
        """A public thread from the conversation's channel (from message `anchor` if
        given). None in DMs, in private threads, or without Create Public Threads."""
        if key.platform != PLATFORM:
            return None
        channel = await self._channel(int(key.chat_id))
        if not isinstance(channel, discord.TextChannel):
            return None  # a DM, a private thread's own conversation, a voice channel…
        mine = channel.permissions_for(channel.guild.me) if channel.guild.me else None
        if mine is not None and not (mine.create_public_threads and mine.send_messages_in_threads):
            # Discord lets Muse open a thread it may not post in: the session would have
            # an empty thread and no messages. Without both rights it runs in the channel.
            log.info("no right to open and post in threads in %s", channel.id)
            return None
        name = " ".join(title.split())[:THREAD_NAME_MAX] or "Muse"
        try:
            if anchor:
                thread = await channel.get_partial_message(int(anchor)).create_thread(
                    name=name, auto_archive_duration=THREAD_ARCHIVE_MIN
                )
            else:
                thread = await channel.create_thread(
                    name=name,
                    type=discord.ChannelType.public_thread,
                    auto_archive_duration=THREAD_ARCHIVE_MIN,
                )
        except discord.HTTPException as exc:
            log.info("could not open a thread in %s (%s %s)", channel.id, exc.status, exc.code)
            return None
        return SessionKey(PLATFORM, str(channel.id), str(thread.id))

    async def is_admin(self, key: SessionKey, user_id: str) -> bool:
        """May the person moderate there: Administrator, Manage Server or Manage Threads
        in that channel — from their latest interaction's permissions, else asked of
        Discord (member, roles and the channel's overwrites)."""
        uid = int(user_id)
        now = time.monotonic()
        for cid in {channel_of(key), int(key.chat_id)}:
            seen = self._seen_permissions.get((cid, uid))
            if seen is not None and now - seen[0] < PERMISSIONS_TTL_S:
                return may_moderate(discord.Permissions(seen[1]))
        channel = await self._channel(channel_of(key))
        guild = getattr(channel, "guild", None)
        if guild is None or channel is None:
            return False  # a DM has no admins
        try:
            member = guild.get_member(uid) or await guild.fetch_member(uid)
            return may_moderate(channel.permissions_for(member))
        except discord.HTTPException as exc:
            log.info("could not look up member permissions (%s %s)", exc.status, exc.code)
            return False

    def link(self, key: SessionKey, message_id: str | None = None) -> str | None:
        """`<#channel>` (Discord renders it as a link), or a message's jump URL."""
        cid = channel_of(key)
        if message_id is None:
            return f"<#{cid}>"
        channel = self.client.get_channel(cid) if self.client else None
        guild = getattr(channel, "guild", None)
        if channel is None:
            return f"<#{cid}>"
        where = str(guild.id) if guild is not None else "@me"
        return f"https://discord.com/channels/{where}/{cid}/{message_id}"

    # -- helpers -------------------------------------------------------------------

    def remember_permissions(self, interaction: discord.Interaction[Any]) -> None:
        """Keep what Discord told us about the presser's rights in that channel."""
        if interaction.guild_id is None or interaction.channel_id is None:
            return
        key = (interaction.channel_id, interaction.user.id)
        self._seen_permissions[key] = (time.monotonic(), interaction.permissions.value)
        self._seen_permissions.move_to_end(key)
        while len(self._seen_permissions) > PERMISSIONS_KEPT:
            self._seen_permissions.popitem(last=False)

    def _messageable(self, key: SessionKey) -> discord.PartialMessageable:
        assert self.client is not None, "the Discord adapter is not running"
        return self.client.get_partial_messageable(channel_of(key))

    async def _channel(self, channel_id: int) -> Any:
        """A channel or thread from discord.py's cache, else fetched; None if unreachable."""
        if self.client is None:
            return None
        channel = self.client.get_channel(channel_id)
        if channel is not None:
            return channel
        try:
            return await self.client.fetch_channel(channel_id)
        except discord.HTTPException as exc:
            log.info("could not look up channel %s (%s %s)", channel_id, exc.status, exc.code)
            return None
