"""A brainstorm session's ideas and votes. An idea or a vote is only taken while its
session is open, checked in the same call on the memory's thread, so nothing lands on a
session that closed a moment before."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bot.memory.session_records import IdeaRecord, idea_record
from bot.memory.store import Store, insert_new, now, rows

IDEA_SQL = """
select i.*, (select count(*) from votes v where v.idea_id = i.id) as votes,
       p.author_name as parent_author,
       (select m.message_id from session_messages m where m.idea_id = i.id
        and m.chat_id = (select s.chat_id from sessions s where s.id = i.session_id)
        order by m.rowid desc limit 1) as message_id
from ideas i left join ideas p on p.id = i.parent_id
"""


class SameIdea(Exception):
    """The session already has this idea (same words, any case): `existing`."""

    def __init__(self, existing: IdeaRecord) -> None:
        super().__init__(f"already in as #{existing.id}")
        self.existing = existing


def _is_open(db: sqlite_utils.Database, session_id: int) -> bool:
    row = db.execute("select status from sessions where id = ?", [session_id]).fetchone()
    return bool(row and row[0] == "open")


def _idea(db: sqlite_utils.Database, idea_id: Any) -> IdeaRecord | None:
    found = rows(db, f"{IDEA_SQL} where i.id = ?", idea_id)
    return idea_record(found[0]) if found else None


class Ideas(Store):
    async def add_idea(
        self,
        session_id: int,
        *,
        author: int | None,
        author_name: str,
        text: str,
        via: str,
        parent_id: int | None = None,
        unique: bool = False,
    ) -> IdeaRecord | None:
        """Store an idea; None if the session is no longer open. `unique`: SameIdea if
        the session has it already — checked in this same call, so two members sending
        the same idea at the same moment get one idea, not two that split the votes."""

        def do(db: sqlite_utils.Database) -> IdeaRecord | None:
            with db.conn:
                if not _is_open(db, session_id):
                    return None
                if unique:
                    same = db.execute(
                        "select id, text from ideas where session_id = ? order by id", [session_id]
                    )
                    for idea_id, other in same.fetchall():
                        if other.lower() == text.lower():
                            raise SameIdea(_idea(db, idea_id))  # type: ignore[arg-type]
                pk = insert_new(
                    db,
                    "ideas",
                    {
                        "session_id": session_id,
                        "author_id": author,
                        "author_name": author_name,
                        "text": text,
                        "parent_id": parent_id,
                        "via": via,
                        "created_at": now(),
                    },
                )
            return _idea(db, pk)

        return await self._run(do)

    async def withdraw_idea(self, idea_id: int) -> None:
        """Delete an idea nobody could see (its message was refused), so the same idea
        sent again is taken, not answered "already in" with nothing there to vote on."""

        def do(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.execute("delete from votes where idea_id = ?", [idea_id])
                db.execute("delete from ideas where id = ?", [idea_id])

        await self._run(do)

    async def idea(self, idea_id: int) -> IdeaRecord | None:
        return await self._run(lambda db: _idea(db, idea_id))

    async def ideas(self, session_id: int) -> list[IdeaRecord]:
        """A session's ideas, oldest first, with their vote counts."""

        def do(db: sqlite_utils.Database) -> list[IdeaRecord]:
            found = rows(db, f"{IDEA_SQL} where i.session_id = ? order by i.id", session_id)
            return [idea_record(r) for r in found]

        return await self._run(do)

    async def past_idea_texts(self, owner: int, limit: int = 200) -> list[str]:
        """The texts of the newest ideas in the owner's (a group's) sessions."""

        def do(db: sqlite_utils.Database) -> list[str]:
            cur = db.execute(
                "select i.text from ideas i join sessions s on s.id = i.session_id "
                "where s.owner_id = ? order by i.id desc limit ?",
                [owner, limit],
            )
            return [str(t) for (t,) in cur]

        return await self._run(do)

    async def toggle_vote(self, idea_id: int, voter: int) -> tuple[bool, int] | None:
        """Vote, or take the vote back if there is one: (voted now, the idea's votes).
        None if the idea is gone or its session is closed."""

        def do(db: sqlite_utils.Database) -> tuple[bool, int] | None:
            with db.conn:
                row = db.execute("select session_id from ideas where id = ?", [idea_id]).fetchone()
                if row is None or not _is_open(db, row[0]):
                    return None
                taken_back = db.execute(
                    "delete from votes where idea_id = ? and voter_id = ?", [idea_id, voter]
                ).rowcount
                if not taken_back:
                    db.table("votes").insert(
                        {"idea_id": idea_id, "voter_id": voter, "created_at": now()}
                    )
                count = db.execute(
                    "select count(*) from votes where idea_id = ?", [idea_id]
                ).fetchone()[0]
            return (not taken_back, int(count))

        return await self._run(do)

    async def vote_total(self, session_id: int) -> int:
        def do(db: sqlite_utils.Database) -> int:
            row = db.execute(
                "select count(*) from votes v join ideas i on i.id = v.idea_id "
                "where i.session_id = ?",
                [session_id],
            ).fetchone()
            return int(row[0])

        return await self._run(do)
