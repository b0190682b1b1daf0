"""Which conversation a Discord channel is — and so whose memory it uses.

A server channel is its own conversation and owner (the core derives the owner from
`SessionKey.chat_id`): drafts, history and style made in #team-private never show in
#general, because Discord's visibility is per channel, not per server. A *public* thread
belongs to its parent channel (chat_id = the parent, thread_id = the thread): everyone
who can see the channel can see its public threads, and a brainstorm thread or a "busy"
side thread keeps the channel's style and drafts. A *private* thread is seen only by
those invited, so it is a conversation of its own. A DM is the person's own memory."""

from __future__ import annotations

from typing import Any

import discord

from bot.messages import SessionKey

PLATFORM = "discord"


def conversation_of(channel: Any, channel_id: int, guild_id: int | None) -> SessionKey:
    """The conversation of a message or interaction in `channel` (a discord.py channel
    object, or None/partial when unknown: then the channel stands alone, which can only
    isolate more, never leak)."""
    if guild_id is None:
        return SessionKey(PLATFORM, str(channel_id))
    if isinstance(channel, discord.Thread):
        if channel.type is discord.ChannelType.private_thread or channel.parent_id is None:
            return SessionKey(PLATFORM, str(channel.id))
        return SessionKey(PLATFORM, str(channel.parent_id), str(channel.id))
    return SessionKey(PLATFORM, str(channel_id))


def channel_of(key: SessionKey) -> int:
    """The Discord channel (or thread) id to post into for a conversation."""
    return int(key.thread_id or key.chat_id)


def is_known(channel: Any) -> bool:
    """True when discord.py knows what kind of channel this is (cached or from the
    interaction payload), so `conversation_of` needs no REST lookup."""
    return channel is not None and not isinstance(channel, discord.PartialMessageable)
