"""The Memory facade: every domain mixin on one SQLite worker thread."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bot.memory.conversation import Conversation
from bot.memory.drafts import Drafts
from bot.memory.embeddings import Embeddings
from bot.memory.inbox import Inbox
from bot.memory.links import Links
from bot.memory.people import People
from bot.memory.series import Series
from bot.memory.sessions import SessionStore
from bot.memory.store import now


# Order matters for /forget: each mixin deletes its rows, then calls the next. Session
# ideas and votes first; vectors before the drafts and posts they point at; the inbox
# before People, since it finds a person's rows through their identities; People (the
# user row everything points to) last.
class Memory(SessionStore, Embeddings, Series, Drafts, Conversation, Links, Inbox, People):
    """All persistent state, one method per question the core asks."""

    async def export(self, person: int) -> dict[str, Any]:
        """Everything stored about one person: every linked identity, profile, their turns,
        drafts, series and posts (including what they asked for inside groups), the ideas
        and votes they gave in group sessions, and messages still being answered."""

        def do(db: sqlite_utils.Database) -> dict[str, Any]:
            return {"format": "muse-export/1", "exported_at": now(), **self._export(db, person)}

        return await self._run(do)

    async def forget(self, person: int) -> dict[str, int]:
        """Delete everything about one person, for real (rows gone, file vacuumed).

        In WAL mode VACUUM writes the rebuilt file into muse.db-wal, and until a
        checkpoint both muse.db and the log still hold the deleted rows' bytes: a
        TRUNCATE checkpoint copies the clean pages into muse.db and empties the log."""

        def do(db: sqlite_utils.Database) -> dict[str, int]:
            with db.conn:
                counts = self._forget(db, person)
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return counts

        return await self._run(do)

    async def move_chat(self, platform: str, old: str, new: str) -> list[int]:
        """A group chat got a new id (Telegram upgrades a group to a supergroup): its
        memory (style, drafts, series, conversation) and its sessions follow it. The
        messages sessions posted stay in the old chat, so they no longer count as the
        sessions' (nothing would edit or reply to them under the new id). Returns the
        ids of the open sessions that moved, which need posting again; nothing when
        there was nothing left to move (Telegram announces the move twice)."""

        def do(db: sqlite_utils.Database) -> list[int]:
            with db.conn:
                group = self._move_owner(db, platform, f"chat:{old}", f"chat:{new}")
                was, now_ = f"{platform}:{old}", f"{platform}:{new}"
                for table in ("turns", "drafts") if group is not None else ():
                    db.execute(  # "telegram:-42" and its topics' "telegram:-42:7"
                        f"update {table} set session = ? || substr(session, ?) "
                        "where owner_id = ? and (session = ? or substr(session, 1, ?) = ?)",
                        [now_, len(was) + 1, group, was, len(was) + 1, was + ":"],
                    )
                db.execute(
                    "update sessions set origin_chat_id = ? where platform = ? "
                    "and origin_chat_id = ?",
                    [new, platform, old],
                )
                moved = []
                for sid, thread, status in db.execute(
                    "select id, thread_id, status from sessions where platform = ? and chat_id = ?",
                    [platform, old],
                ).fetchall():
                    run_key = f"{platform}:{new}" + (f":{thread}" if thread else "")
                    changed = db.execute(
                        "update or ignore sessions set chat_id = ?, run_key = ?, "
                        "opening_id = null where id = ?",
                        [new, run_key, sid],
                    ).rowcount
                    if changed and status == "open":
                        moved.append(int(sid))
            return moved

        return await self._run(do)

    def _move_owner(
        self, db: sqlite_utils.Database, platform: str, old: str, new: str
    ) -> int | None:
        """The identity `old` becomes `new` (its user, or None if there was no `old`);
        if `new` was used meanwhile, its rows join."""
        find = "select user_id from identities where platform = ? and external_id = ?"
        was = db.execute(find, [platform, old]).fetchone()
        if was is None:
            return None
        now_ = db.execute(find, [platform, new]).fetchone()
        if now_ is not None and now_[0] != was[0]:
            self._merge(db, int(was[0]), int(now_[0]))
            db.execute("delete from users where id = ?", [now_[0]])
        db.execute("delete from identities where platform = ? and external_id = ?", [platform, new])
        db.execute(
            "update identities set external_id = ? where platform = ? and external_id = ?",
            [new, platform, old],
        )
        return int(was[0])
