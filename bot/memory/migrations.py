"""Schema changes as small functions, applied once each and recorded in `_migrations`.

Append new ones at the end of migrations_more.py; never edit one that has shipped."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

from bot.memory.migrations_more import MORE

Migration = Callable[[sqlite_utils.Database], None]

log = logging.getLogger(__name__)


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


def m101_sessions(db: sqlite_utils.Database) -> None:
    """Group brainstorm sessions: the session, its ideas, votes, and every message it posted
    (so a reply to any of them is an idea). Timers are `ends_at` rows."""
    db.table("sessions").create(
        {
            "id": int,
            "owner_id": int,  # the group
            "platform": str,
            "chat_id": str,  # where it runs (its own thread/topic, or where it was started)
            "thread_id": str,
            "run_key": str,  # str(SessionKey) of where it runs: one open session per key
            "origin_chat_id": str,  # where /session start was sent
            "origin_thread_id": str,
            "own_space": int,  # 1: it has its own thread/topic
            "opening_id": str,  # the opening message (in place, posts reply to it)
            "topic": str,
            "starter_id": int,  # null once the starter used /forget
            "starter_name": str,
            "started_at": str,  # ISO 8601, UTC
            "ends_at": str,
            "closed_at": str,
            "status": str,  # open | closed
            "summary": str,  # JSON: data part (ids, counts, author ids) + model part
        },
        pk="id",
        foreign_keys=[("owner_id", "users", "id"), ("starter_id", "users", "id")],
    )
    db.execute(
        "create unique index sessions_one_open_per_place on sessions(run_key) where status = 'open'"
    )
    db.table("sessions").create_index(["owner_id", "id"])
    db.table("sessions").create_index(["status", "ends_at"])
    db.table("ideas").create(
        {
            "id": int,
            "session_id": int,
            "author_id": int,  # null: Muse's own idea (a seed or a riff)
            "author_name": str,  # the name shown at the time
            "text": str,
            "parent_id": int,  # riffs: the idea they vary
            "via": str,  # seed | command | reply | thread | riff
            "created_at": str,
        },
        pk="id",
        foreign_keys=[
            ("session_id", "sessions", "id"),
            ("author_id", "users", "id"),
            ("parent_id", "ideas", "id"),
        ],
    )
    db.table("ideas").create_index(["session_id", "id"])
    db.table("ideas").create_index(["author_id"])
    db.table("votes").create(
        {"idea_id": int, "voter_id": int, "created_at": str},
        pk=("idea_id", "voter_id"),
        foreign_keys=[("idea_id", "ideas", "id"), ("voter_id", "users", "id")],
    )
    db.table("votes").create_index(["voter_id"])
    db.table("session_messages").create(
        {
            "platform": str,
            "chat_id": str,
            "message_id": str,
            "session_id": int,
            "idea_id": int,  # the idea this message shows (with its vote button), if any
        },
        pk=("platform", "chat_id", "message_id"),
        foreign_keys=[("session_id", "sessions", "id"), ("idea_id", "ideas", "id")],
    )
    db.table("session_messages").create_index(["session_id"])
    db.table("session_messages").create_index(["idea_id"])


def m301_turns_cut(db: sqlite_utils.Database) -> None:
    """An answer that stopped at the model's token cap, so /continue can go on with it."""
    db.table("turns").add_column("cut", int, not_null_default=0)


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


def m701_turns_kept_by_conversation(db: sqlite_utils.Database) -> None:
    """Store turns in order of (owner, session, id) instead of arrival. Every answer reads
    its conversation's newest turns; in arrival order, with many people writing, each of
    them lies on a page of its own, so one context read touched up to 60 pages. Kept by
    conversation they sit side by side on one or two (1M turns, 100k people: 25 → 11 µs
    a read from the OS cache; from a cold disk, 1–2 reads instead of one per turn), and
    the table is no bigger. Such a table has no rowid to number new rows: Memory gives
    each turn max(id) + 1, as SQLite did, and `idx_turns_id` finds a turn by its id."""
    db.execute("drop table if exists turns_by_conversation")  # left by a start cut short
    db.execute(
        """create table turns_by_conversation (
            id integer not null,
            owner_id integer not null references users(id),
            author_id integer,
            session text not null,
            role text,
            text text,
            created_at text,
            cut integer not null default 0,
            primary key (owner_id, session, id)
        ) without rowid"""
    )
    db.execute(
        "insert into turns_by_conversation "
        "select id, owner_id, author_id, coalesce(session, ''), role, text, created_at, cut "
        "from turns order by owner_id, session, id"
    )
    db.execute("drop table turns")
    db.execute("alter table turns_by_conversation rename to turns")
    db.execute("create unique index idx_turns_id on turns (id)")


# Tables whose ids people see or press (drafts, ideas, answers to continue) or that the
# rest points at (users): numbers never handed out twice (see bot/memory/store.py new_id).
NEVER_REUSED = ("users", "drafts", "ideas", "turns")


def m801_ids_never_reused(db: sqlite_utils.Database) -> None:
    """Remember the highest id deleted from each NEVER_REUSED table. SQLite numbers a new
    row max(id) + 1, so after /forget deleted the newest drafts, the next ones took their
    numbers and the buttons still under the forgotten ones acted on strangers' drafts."""
    db.execute("create table _deleted_ids (name text primary key, last_id integer not null)")
    for table in NEVER_REUSED:
        db.execute(
            f"create trigger {table}_deleted_ids after delete on {table} begin "
            f"insert into _deleted_ids (name, last_id) values ('{table}', old.id) "
            "on conflict (name) do update set last_id = max(last_id, excluded.last_id); end"
        )


def m802_inbox_reply_to_muse(db: sqlite_utils.Database) -> None:
    """Whether a waiting message replies to one of Muse's own: only then do the #ids in
    the replied text name drafts, also when the message is answered after a restart."""
    db.table("inbox").add_column("reply_to_muse", int, not_null_default=0)


MIGRATIONS: list[Migration] = [
    m001_initial,
    m101_sessions,
    m201_link_codes,
    m202_series_and_posts,
    m203_embeddings,
    m301_turns_cut,
    m501_discord_channels_own_their_data,
    m601_inbox,
    m701_turns_kept_by_conversation,
    m801_ids_never_reused,
    m802_inbox_reply_to_muse,
    *MORE,
]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations in order; returns the names applied now."""
    table = db.table("_migrations")
    if not table.exists():
        db.table("_migrations").create({"name": str, "applied_at": str}, pk="name")
    done = {row["name"] for row in db.table("_migrations").rows}
    pending = [m.__name__ for m in MIGRATIONS if m.__name__ not in done]
    if pending and done:  # an existing database: say why this start may take longer
        log.info("updating the database: %s", ", ".join(pending))
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
