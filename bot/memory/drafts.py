"""Drafts: every candidate Muse showed, with its lineage (parent) and the creator's pick."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bot.memory.records import DraftRecord
from bot.memory.store import Store, insert_new, now, rows


class Drafts(Store):
    async def add_drafts(
        self,
        *,
        owner: int,
        author: int,
        session: str,
        kind: str,
        platform: str,
        request: str,
        items: list[tuple[str, str]],
        parent_id: int | None = None,
    ) -> list[DraftRecord]:
        """Store candidates (text, label) and return them with their new ids."""

        def do(db: sqlite_utils.Database) -> list[DraftRecord]:
            out = []
            with db.conn:
                for text, label in items:
                    row = {
                        "owner_id": owner,
                        "author_id": author,
                        "session": session,
                        "kind": kind,
                        "platform": platform,
                        "label": label,
                        "text": text,
                        "request": request,
                        "parent_id": parent_id,
                        "status": "new",
                        "created_at": now(),
                    }
                    pk = insert_new(db, "drafts", row)
                    out.append(draft_record(dict(row, id=pk)))
            return out

        return await self._run(do)

    async def draft(self, draft_id: int) -> DraftRecord | None:
        def do(db: sqlite_utils.Database) -> DraftRecord | None:
            found = list(db.table("drafts").rows_where("id = ?", [draft_id]))
            return draft_record(found[0]) if found else None

        return await self._run(do)

    async def set_status(self, draft_id: int, status: str) -> None:
        await self._run(lambda db: db.table("drafts").update(draft_id, {"status": status}))

    async def drafts(
        self, owner: int, limit: int = 10, kind: str | None = None
    ) -> list[DraftRecord]:
        def do(db: sqlite_utils.Database) -> list[DraftRecord]:
            where, args = "owner_id = ?", [owner]
            if kind:
                where, args = where + " and kind = ?", [owner, kind]  # type: ignore[list-item]
            found = db.table("drafts").rows_where(where, args, order_by="id desc", limit=limit)
            return [draft_record(r) for r in found]

        return await self._run(do)

    def _export(self, db: sqlite_utils.Database, person: int) -> dict[str, Any]:
        data = super()._export(db, person)
        data["drafts"] = rows(
            db,
            "select * from drafts where owner_id = ? or author_id = ? order by id",
            person,
            person,
        )
        return data

    def _merge(self, db: sqlite_utils.Database, keep: int, gone: int) -> None:
        db.execute("update drafts set owner_id = ? where owner_id = ?", [keep, gone])
        db.execute("update drafts set author_id = ? where author_id = ?", [keep, gone])
        super()._merge(db, keep, gone)

    def _forget(self, db: sqlite_utils.Database, person: int) -> dict[str, int]:
        # Remixes of their drafts made by others keep existing, detached.
        db.execute(
            "update drafts set parent_id = null where parent_id in "
            "(select id from drafts where owner_id = ? or author_id = ?)",
            [person, person],
        )
        deleted = db.execute(
            "delete from drafts where owner_id = ? or author_id = ?", [person, person]
        ).rowcount
        return {"drafts": deleted, **super()._forget(db, person)}


def draft_record(row: dict[str, Any]) -> DraftRecord:
    return DraftRecord(
        id=int(row["id"]),
        owner_id=int(row["owner_id"]),
        author_id=int(row["author_id"]),
        kind=row["kind"],
        platform=row["platform"] or "",
        label=row["label"] or "",
        text=row["text"],
        request=row["request"] or "",
        parent_id=row["parent_id"],
        status=row["status"],
        created_at=row["created_at"],
        session=row["session"] or "",
    )
