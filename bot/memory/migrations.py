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


def m501_discord_channels_own_their_data(db: sqlite_utils.Database) -> None:
    """Discord servers used to be one owner ("chat:<server>", sessions
    "discord:<server>:<channel>"); now each channel is its own owner ("chat:<channel>",
    sessions "discord:<channel>"), so a draft made in a private channel can't be reached
    from another. Move what each server owner holds to the channel it was made in —
    drafts, turns (the history continues) and a copy of the server's style — so nothing
    made before the change is lost, and nothing leaks across channels afterwards."""
    servers = db.execute(
        "select user_id, external_id from identities "
        "where platform = 'discord' and external_id like 'chat:%'"
    ).fetchall()
    for server_owner, external in servers:
        server = external.removeprefix("chat:")
        sessions = db.execute(
            "select session from drafts where owner_id = ? "
            "union select session from turns where owner_id = ?",
            [server_owner, server_owner],
        ).fetchall()
        style = db.execute("select * from profiles where user_id = ?", [server_owner]).fetchone()
        for (session,) in sessions:
            parts = (session or "").split(":")
            if len(parts) != 3 or parts[:2] != ["discord", server]:
                continue
            owner = _discord_channel_owner(db, parts[2])
            for table in ("drafts", "turns"):
                db.execute(
                    f"update {table} set owner_id = ?, session = ? "
                    "where owner_id = ? and session = ?",
                    [owner, f"discord:{parts[2]}", server_owner, session],
                )
            if style is not None:
                db.execute(
                    "insert or ignore into profiles select ?, voice, audience, platforms, "
                    "avoid, updated_at from profiles where user_id = ?",
                    [owner, server_owner],
                )


def _discord_channel_owner(db: sqlite_utils.Database, channel: str) -> int:
    external = f"chat:{channel}"
    row = db.execute(
        "select user_id from identities where platform = 'discord' and external_id = ?",
        [external],
    ).fetchone()
    if row:
        return int(row[0])
    uid = db.table("users").insert({"kind": "group", "display_name": "", "created_at": _now()})
    db.table("identities").insert(
        {"platform": "discord", "external_id": external, "user_id": uid.last_pk}
    )
    return int(uid.last_pk)  # type: ignore[arg-type]


MIGRATIONS: list[Migration] = [m001_initial, m501_discord_channels_own_their_data]


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
