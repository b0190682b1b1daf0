"""Schema changes as small functions, applied once each and recorded in `_migrations`.

Append new ones at the end; never edit one that has shipped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


def m001_initial(db: sqlite_utils.Database) -> None:
    db.table("users").create(
        {"id": int, "kind": str, "display_name": str, "created_at": str}, pk="id"
    )
    # One person can be reached from several platforms: identities map to users.
    db.table("identities").create(
        {"platform": str, "external_id": str, "user_id": int},
        pk=("platform", "external_id"),
        foreign_keys=[("user_id", "users", "id")],
    )
    db.table("profiles").create(
        {
            "user_id": int,
            "voice": str,
            "audience": str,
            "platforms": str,  # JSON list
            "avoid": str,  # JSON list
            "updated_at": str,
        },
        pk="user_id",
        foreign_keys=[("user_id", "users", "id")],
    )
    db.table("turns").create(
        {
            "id": int,
            "owner_id": int,  # whose memory: a person, or a group
            "author_id": int,  # who said it (the person, also inside a group)
            "session": str,
            "role": str,  # user | assistant
            "text": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("owner_id", "users", "id")],
    )
    db.table("turns").create_index(["owner_id", "session", "id"])
    db.table("drafts").create(
        {
            "id": int,
            "owner_id": int,
            "author_id": int,
            "session": str,
            "kind": str,  # caption | idea | remix
            "platform": str,
            "label": str,
            "text": str,
            "request": str,
            "parent_id": int,
            "status": str,  # new | chosen | rejected
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("owner_id", "users", "id"), ("parent_id", "drafts", "id")],
    )
    db.table("drafts").create_index(["owner_id", "id"])
    db.table("drafts").create_index(["author_id"])
    db.table("usage").create({"user_id": int, "day": str, "count": int}, pk=("user_id", "day"))


def m601_inbox(db: sqlite_utils.Database) -> None:
    """Messages being answered (bot/memory/inbox.py): a row lives from a message's arrival
    until its answer is delivered. `sender_id` is the platform's id of the sender."""
    db.table("inbox").create(
        {
            "id": int,
            "run": str,  # the process run working on it
            "platform": str,
            "chat_id": str,
            "thread_id": str,
            "sender_id": str,
            "sender_name": str,
            "sender_handle": str,
            "is_group": int,
            "message_id": str,
            "text": str,
            "reply_to_text": str,
            "reply_to_id": str,
            "options": str,  # JSON pairs
            "action": str,  # an encoded button press, or ""
            "media": int,
            "state": str,
            "attempts": int,
            "received_at": str,
        },
        pk="id",
    )
    db.table("inbox").create_index(["platform", "chat_id", "message_id"])
    db.table("inbox").create_index(["platform", "sender_id"])


MIGRATIONS: list[Migration] = [m001_initial, m601_inbox]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations in order; returns the names applied now."""
    table = db.table("_migrations")
    if not table.exists():
        db.table("_migrations").create({"name": str, "applied_at": str}, pk="name")
    done = {row["name"] for row in db.table("_migrations").rows}
    applied = []
    for migration in MIGRATIONS:
        name = migration.__name__
        if name in done:
            continue
        with db.conn:
            migration(db)
            db.table("_migrations").insert({"name": name, "applied_at": _now()})
        applied.append(name)
    return applied


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
