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


def m201_link_codes(db: sqlite_utils.Database) -> None:
    """One-time codes that join two identities into one person; kept as a hash, deleted
    when used or expired."""
    db.table("link_codes").create(
        {"code_hash": str, "user_id": int, "expires_at": str},
        pk="code_hash",
        foreign_keys=[("user_id", "users", "id")],
    )
    db.table("link_codes").create_index(["user_id"])


def m202_series_and_posts(db: sqlite_utils.Database) -> None:
    db.table("series").create(
        {
            "id": int,
            "owner_id": int,
            "name": str,
            "premise": str,
            "tone": str,
            "active": int,
            "created_at": str,
            "ended_at": str,
        },
        pk="id",
        foreign_keys=[("owner_id", "users", "id")],
    )
    db.table("series").create_index(["owner_id"])
    # What was really published: the creator's final words, or a draft marked posted.
    db.table("posts").create(
        {
            "id": int,
            "owner_id": int,
            "author_id": int,
            "series_id": int,
            "draft_id": int,
            "text": str,
            "link": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("owner_id", "users", "id"), ("series_id", "series", "id")],
    )
    db.table("posts").create_index(["owner_id", "id"])
    db.table("posts").create_index(["series_id", "id"])


def m203_embeddings(db: sqlite_utils.Database) -> None:
    """One vector per draft or post and embedding model (float32 bytes, L2-normalised)."""
    db.table("embeddings").create(
        {
            "id": int,
            "owner_id": int,
            "item_kind": str,  # draft | post
            "item_id": int,
            "model": str,
            "vector": bytes,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("owner_id", "users", "id")],
    )
    db.table("embeddings").create_index(["item_kind", "item_id", "model"], unique=True)
    db.table("embeddings").create_index(["owner_id", "model", "id"])


MIGRATIONS: list[Migration] = [
    m001_initial,
    m201_link_codes,
    m202_series_and_posts,
    m203_embeddings,
]


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
