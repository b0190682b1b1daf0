"""Conversation turns: what was said, per owner (a person or a group) and session."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bot.memory.records import Turn
from bot.memory.store import Store, new_id, now, rows

# Enough turns for any context budget; the model layer trims them to its token budget.
RECENT_TURNS = 60


class Conversation(Store):
    async def add_turn(
        self, owner: int, author: int, session: str, role: str, text: str, *, cut: bool = False
    ) -> int:
        """Store one turn; its id. `cut`: an answer that stopped at the token cap."""
        return await self.add_turns(owner, author, session, [(role, text)], cut=cut)

    async def add_turns(
        self,
        owner: int,
        author: int,
        session: str,
        turns: list[tuple[str, str]],
        *,
        cut: bool = False,
    ) -> int:
        """Several turns (role, text) in one transaction — a question and its answer —
        and the last one's id; `cut` marks the last one as stopped at the token cap."""
        at = now()
        records = [
            (owner, author, session, role, text, at, int(cut and i == len(turns) - 1))
            for i, (role, text) in enumerate(turns)
        ]

        def do(db: sqlite_utils.Database) -> int:
            # The table is kept by conversation and has no rowid (migration m701): each
            # turn is given a new id in the statement that writes it, so two processes
            # writing at once can't take the same number.
            with db.conn:
                db.conn.executemany(
                    "insert into turns (id, owner_id, author_id, session, role, text, "
                    "created_at, cut) values "
                    f"({new_id('turns')}, ?, ?, ?, ?, ?, ?, ?)",
                    records,
                )
                # Still inside the write transaction: the newest id is the last one written.
                row = db.execute("select max(id) from turns").fetchone()
            return int(row[0])

        return await self._run(do)

    async def recent_turns(
        self, owner: int, session: str, limit: int = RECENT_TURNS, *, before: int | None = None
    ) -> list[Turn]:
        """The newest `limit` turns of one conversation (older than turn `before`, if
        given), oldest first."""

        def do(db: sqlite_utils.Database) -> list[Turn]:
            cursor = db.execute(
                "select id, role, text, cut from turns where owner_id = ? and session = ? "
                "and id < ? order by id desc limit ?",
                [owner, session, before if before is not None else 2**62, limit],
            )
            return [Turn(role, text, id, bool(cut)) for id, role, text, cut in cursor][::-1]

        return await self._run(do)

    async def last_answer(
        self, owner: int, session: str, turn_id: int | None = None
    ) -> Turn | None:
        """This conversation's latest answer, or its answer `turn_id` (None if that is
        not one of its answers: ids in buttons are checked, never trusted)."""

        def do(db: sqlite_utils.Database) -> Turn | None:
            row = db.execute(
                "select id, role, text, cut from turns where owner_id = ? and session = ? "
                "and role = 'assistant' and (? is null or id = ?) order by id desc limit 1",
                [owner, session, turn_id, turn_id],
            ).fetchone()
            return Turn(row[1], row[2], row[0], bool(row[3])) if row else None

        return await self._run(do)

    async def latest_cut_answer(
        self, owner: int, session: str, within: int, *, to: int | None = None
    ) -> Turn | None:
        """The newest answer still cut among this conversation's last `within` answers;
        with `to`, that person's own first, if one is (in a group, the newest cut answer
        may be another member's)."""

        def do(db: sqlite_utils.Database) -> Turn | None:
            found = db.execute(
                "select id, role, text, cut, author_id from turns where owner_id = ? "
                "and session = ? and role = 'assistant' order by id desc limit ?",
                [owner, session, within],
            ).fetchall()
            cut = [r for r in found if r[3]]
            row = next((r for r in cut if r[4] == to), None) or next(iter(cut), None)
            return Turn(row[1], row[2], row[0], True) if row else None

        return await self._run(do)

    async def update_answer(self, turn_id: int, text: str, *, cut: bool) -> None:
        """An answer continued: its whole text now, and whether it is still cut."""

        def do(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.execute(
                    "update turns set text = ?, cut = ? where id = ?", [text, int(cut), turn_id]
                )

        await self._run(do)

    def _export(self, db: sqlite_utils.Database, person: int) -> dict[str, Any]:
        data = super()._export(db, person)
        data["turns"] = rows(
            db,
            "select * from turns where owner_id = ? or author_id = ? order by id",
            person,
            person,
        )
        return data

    def _merge(self, db: sqlite_utils.Database, keep: int, gone: int) -> None:
        db.execute("update turns set owner_id = ? where owner_id = ?", [keep, gone])
        db.execute("update turns set author_id = ? where author_id = ?", [keep, gone])
        super()._merge(db, keep, gone)

    def _forget(self, db: sqlite_utils.Database, person: int) -> dict[str, int]:
        deleted = db.execute(
            "delete from turns where owner_id = ? or author_id = ?", [person, person]
        ).rowcount
        return {"turns": deleted, **super()._forget(db, person)}
