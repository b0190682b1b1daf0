"""Payload builders and records for the fake Discord: the JSON shapes discord.py expects
(users, members, channels, the guild, messages) and what the fake remembers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

EPHEMERAL = 64
LOADING = 128
PERMISSIONS = "2248473465835073"
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
        self.channel_id = snowflake()
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
        return {
            "user": user,
            "roles": [],
            "joined_at": now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": "2248473465835073",
        }

    def channel_payload(self, channel_id: str | None = None) -> dict[str, Any]:
        return {
            "id": channel_id or self.channel_id,
            "type": 0,
            "guild_id": self.guild_id,
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def guild_payload(self) -> dict[str, Any]:
        return {
            "id": self.guild_id,
            "name": "Creators",
            "icon": None,
            "owner_id": self.bot["id"],
            "unavailable": False,
            "large": False,
            "member_count": 2,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [
                {
                    "id": self.guild_id,
                    "name": "@everyone",
                    "permissions": "2248473465835073",
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [self.channel_payload()],
            "threads": [],
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
