"""Payload builders and records for the fake Discord: the JSON shapes discord.py expects
(users, members, channels, the guild, messages) and what the fake remembers."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

EPHEMERAL = 64
LOADING = 128
PERMISSIONS = "2248473465835073"  # an ordinary member: read, write, threads, no moderation
MANAGE_THREADS = 1 << 34
MODERATOR = str(int(PERMISSIONS) | MANAGE_THREADS)
_ids = itertools.count(1_100_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


def now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: str, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


@dataclass
class Call:
    method: str
    path: str
    body: Any
    files: list[tuple[str, bytes]]


@dataclass
class FakeInteraction:
    id: str
    token: str
    payload: dict[str, Any]
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    expired: bool = False
    # When Discord sent it and when the bot acknowledged it (time.monotonic()): the
    # 3-second rule, for benchmarks.
    created_at: float = field(default_factory=time.monotonic)
    acked_at: float | None = None

    @property
    def ack_s(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.created_at

    @property
    def callback_types(self) -> list[int]:
        return [c["type"] for c in self.callbacks]

    def visible(self) -> list[dict[str, Any]]:
        """The response messages a user sees: the original (unless deleted), then followups."""
        shown = [self.original] if self.original and not self.original.get("deleted") else []
        return shown + [m for m in self.followups if not m.get("deleted")]

    def text(self) -> str:
        return "\n".join(m["content"] for m in self.visible())


class Payloads:
    """Builds payloads from the fake's ids; mixed into FakeDiscord."""

    def __init__(self) -> None:
        self.app_id = snowflake()
        self.bot = user_payload(snowflake(), "Muse", bot=True)
        self.guild_id = snowflake()
        self.owner_id = snowflake()
        self.channel_id = snowflake()
        self.moderator_role = snowflake()
        # Guild text channels by id (the first is #general), and threads.
        self.channels: dict[str, dict[str, Any]] = {}
        self.channels[self.channel_id] = self._text_channel(self.channel_id, "general")
        self.threads: list[dict[str, Any]] = []
        # Users (ids) with Manage Threads: moderators of the server.
        self.moderators: set[str] = set()
        self.users: dict[str, dict[str, Any]] = {}
        self.dm_channels: dict[str, str] = {}  # user id -> channel id
        self.messages: dict[str, dict[str, Any]] = {}

    def user(self, user_id: str = "", name: str = "alice") -> dict[str, Any]:
        user_id = user_id or self._user_id(name)
        return self.users.setdefault(user_id, user_payload(user_id, name))

    def _user_id(self, name: str) -> str:
        for uid, u in self.users.items():
            if u["username"] == name:
                return uid
        return snowflake()

    def member(self, user: dict[str, Any]) -> dict[str, Any]:
        moderator = user["id"] in self.moderators
        return {
            "user": user,
            "roles": [self.moderator_role] if moderator else [],
            "joined_at": now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            # In an interaction: the member's permissions in the channel.
            "permissions": MODERATOR if moderator else PERMISSIONS,
        }

    def _text_channel(self, channel_id: str, name: str) -> dict[str, Any]:
        return {
            "id": channel_id,
            "type": 0,
            "guild_id": self.guild_id,
            "name": name,
            "position": len(getattr(self, "channels", {})),
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def channel_payload(self, channel_id: str | None = None) -> dict[str, Any]:
        """A guild channel or thread, as Discord describes it."""
        cid = channel_id or self.channel_id
        for thread in self.threads:
            if thread["id"] == cid:
                return thread
        return self.channels[cid]

    def is_guild_channel(self, channel_id: str) -> bool:
        return channel_id in self.channels or any(t["id"] == channel_id for t in self.threads)

    def thread_payload(self, parent: str, name: str, *, private: bool = False) -> dict[str, Any]:
        return {
            "id": snowflake(),
            "type": 12 if private else 11,
            "guild_id": self.guild_id,
            "parent_id": parent,
            "name": name,
            "owner_id": self.bot["id"],
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": now(),
                "locked": False,
            },
        }

    def guild_payload(self) -> dict[str, Any]:
        return {
            "id": self.guild_id,
            "name": "Creators",
            "icon": None,
            # Someone else's server: Muse has only what its roles and overwrites give it.
            "owner_id": self.owner_id,
            "unavailable": False,
            "large": False,
            "member_count": 2,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [
                {
                    "id": role_id,
                    "name": name,
                    "permissions": permissions,
                    "position": position,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
                for position, (role_id, name, permissions) in enumerate(
                    [
                        (self.guild_id, "@everyone", PERMISSIONS),
                        (self.moderator_role, "Moderators", str(MANAGE_THREADS)),
                    ]
                )
            ],
            "channels": list(self.channels.values()),
            "threads": list(self.threads),
            "members": [self.member(self.bot)],
            "voice_states": [],
            "presences": [],
            "joined_at": now(),
            "premium_tier": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
        }

    def dm_channel(self, user: dict[str, Any]) -> str:
        if user["id"] not in self.dm_channels:
            self.dm_channels[user["id"]] = snowflake()
        return self.dm_channels[user["id"]]

    def make_message(
        self,
        channel_id: str,
        author: dict[str, Any],
        body: dict[str, Any],
        *,
        guild: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": snowflake(),
            "channel_id": channel_id,
            "author": author,
            "content": body.get("content") or "",
            "timestamp": now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags") or 0),
        }
        if guild:
            message["guild_id"] = self.guild_id
        if body.get("message_reference"):
            message["message_reference"] = {
                k: str(v) if k.endswith("_id") else v for k, v in body["message_reference"].items()
            }
        message.update(extra or {})
        self.messages[message["id"]] = message
        return message

    def app_info(self) -> dict[str, Any]:
        return {
            "id": self.app_id,
            "name": "Muse",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "00",
            "owner": user_payload(snowflake(), "owner"),
            "flags": 0,
        }
