"""Session records as the memory hands them to the core, and their row converters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.messages import SessionKey

FORMER_MEMBER = "a former member"


@dataclass(frozen=True)
class SessionRecord:
    id: int
    owner_id: int
    key: SessionKey  # where it runs
    origin: SessionKey  # where it was started
    own_space: bool
    opening_id: str | None
    topic: str
    starter_id: int | None
    starter_name: str
    started_at: datetime
    ends_at: datetime
    closed_at: datetime | None
    status: str
    summary: dict[str, Any] | None
    idea_count: int = 0
    start_message_id: str | None = None  # the /session start that opened it

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def runs_in_chat(self, key: SessionKey) -> bool:
        """Is `key` a conversation of the chat this session runs in?"""
        return self.key.platform == key.platform and self.key.chat_id == key.chat_id


@dataclass(frozen=True)
class IdeaRecord:
    id: int
    session_id: int
    author_id: int | None  # None: Muse
    author_name: str
    text: str
    parent_id: int | None
    via: str
    votes: int = 0
    parent_author: str | None = None
    message_id: str | None = None  # the newest message showing it (with its buttons)


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def iso_time(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def session_record(row: dict[str, Any]) -> SessionRecord:
    return SessionRecord(
        id=int(row["id"]),
        owner_id=int(row["owner_id"]),
        key=SessionKey(row["platform"], row["chat_id"], row["thread_id"]),
        origin=SessionKey(row["platform"], row["origin_chat_id"], row["origin_thread_id"]),
        own_space=bool(row["own_space"]),
        opening_id=row["opening_id"],
        topic=row["topic"],
        starter_id=row["starter_id"],
        starter_name=row["starter_name"] or "",
        started_at=parse_time(row["started_at"]),  # type: ignore[arg-type]
        ends_at=parse_time(row["ends_at"]),  # type: ignore[arg-type]
        closed_at=parse_time(row["closed_at"]),
        status=row["status"],
        summary=json.loads(row["summary"]) if row["summary"] else None,
        idea_count=int(row.get("idea_count") or 0),
        start_message_id=row.get("start_message_id"),
    )


def idea_record(row: dict[str, Any]) -> IdeaRecord:
    return IdeaRecord(
        id=int(row["id"]),
        session_id=int(row["session_id"]),
        author_id=row["author_id"],
        author_name=row["author_name"],
        text=row["text"],
        parent_id=row["parent_id"],
        via=row["via"],
        votes=int(row.get("votes") or 0),
        parent_author=row.get("parent_author"),
        message_id=row.get("message_id"),
    )


def reassign(summary: dict[str, Any], gone: int, keep: int) -> bool:
    """Credit entries of user `gone` in a stored summary to `keep` (two identities linked)."""
    entries = credited(summary, gone)
    for entry in entries:
        entry["author_id"] = keep
    return bool(entries)


def credited(summary: dict[str, Any], person: int) -> list[dict[str, Any]]:
    """The entries of a stored summary that credit the person."""
    return [
        entry
        for entry in [*summary.get("top", []), *summary.get("contributors", [])]
        if entry.get("author_id") == person
    ]


def anonymise(summary: dict[str, Any], person: int) -> bool:
    """Credit the person's entries in a stored summary to "a former member"."""
    entries = credited(summary, person)
    for entry in entries:
        entry.update(author_id=None, author=FORMER_MEMBER, former=True)
    return bool(entries)
