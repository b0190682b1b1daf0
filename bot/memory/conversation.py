"""Conversation turns: what was said, per owner (a person or a group) and session."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bot.memory.records import Turn
from bot.memory.store import Store, now, rows

# Enough turns for any context budget; the model layer trims them to its token budget.
RECENT_TURNS = 60


class Conversation(Store):
    async def add_turn(self, owner: int, author: int, session: str, role: str, text: str) -> None:
        await self.add_turns(owner, author, session, [(role, text)])

    async def add_turns(
        self, owner: int, author: int, session: str, turns: list[tuple[str, str]]
    ) -> None:
        """Several turns (role, text) in one transaction: a question and its answer."""
        at = now()
        records = [
            {
                "owner_id": owner,
                "author_id": author,
                "session": session,
                "role": role,
                "text": text,
                "created_at": at,
            }
            for role, text in turns
        ]
        await self._run(lambda db: db.table("turns").insert_all(records))

    async def recent_turns(self, owner: int, session: str, limit: int = RECENT_TURNS) -> list[Turn]:
        """The newest `limit` turns of one conversation, oldest first."""

        def do(db: sqlite_utils.Database) -> list[Turn]:
            cursor = db.execute(
                "select role, text from turns where owner_id = ? and session = ? "
                "order by id desc limit ?",
                [owner, session, limit],
            )
            return [Turn(role, text) for role, text in cursor][::-1]

        return await self._run(do)

    def _export(self, db: sqlite_utils.Database, person: int) -> dict[str, Any]:
        data = super()._export(db, person)
        data["turns"] = rows(
            db,
            "select * from turns where owner_id = ? or author_id = ? order by id",
            person,
            person,
        )
        return data

    def _forget(self, db: sqlite_utils.Database, person: int) -> dict[str, int]:
        deleted = db.execute(
            "delete from turns where owner_id = ? or author_id = ?", [person, person]
        ).rowcount
        return {"turns": deleted, **super()._forget(db, person)}
