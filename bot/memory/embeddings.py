"""Sentence vectors of drafts and posts, one per item and embedding model, stored as
float32 bytes next to the rows they describe (sqlite-vec is not available everywhere;
an owner has thousands of rows at most, so numpy over them is fast enough)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlite_utils

from bot.memory.store import Store, now, rows


@dataclass(frozen=True)
class Known:
    """An owner's earlier items under one model: (kind, id) keys, their texts and one
    vector per row of `matrix`."""

    keys: tuple[tuple[str, int], ...]
    texts: tuple[str, ...]
    matrix: np.ndarray
    # Each row's draft kind ("caption", "idea", …), or "post".
    kinds: tuple[str, ...] = ()

    @classmethod
    def empty(cls, dim: int = 0) -> Known:
        return cls((), (), np.zeros((0, dim), dtype=np.float32))


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


# Items without a vector yet, newest first: drafts (ideas by their hook and angle, see
# bot.novelty.embed_text) and posts with words.
MISSING_SQL = """
select 'draft' as kind, d.id, d.kind as draft_kind, d.text from drafts d
 where d.owner_id = :owner and not exists (select 1 from embeddings e where
   e.item_kind = 'draft' and e.item_id = d.id and e.model = :model)
union all
select 'post', p.id, 'post', p.text from posts p
 where p.owner_id = :owner and p.text != '' and not exists (select 1 from embeddings e
   where e.item_kind = 'post' and e.item_id = p.id and e.model = :model)
order by 2 desc limit :limit
"""


# A person's vectors: of their own chats, and of the drafts and posts they asked for in
# groups (five times the person's id).
OF_PERSON = (
    "owner_id = ? "
    "or (item_kind = 'draft' and item_id in "
    "    (select id from drafts where owner_id = ? or author_id = ?)) "
    "or (item_kind = 'post' and item_id in "
    "    (select id from posts where owner_id = ? or author_id = ?))"
)


class Embeddings(Store):
    async def save_vectors(
        self,
        owner: int,
        model: str,
        items: Sequence[tuple[str, int]],
        vectors: np.ndarray,
    ) -> None:
        """Store one vector per (kind, id) item; an item already embedded keeps its own,
        and one deleted meanwhile gets none: a `muse forget` from another process can
        land while its vector is being computed, and nothing else would remove it."""

        def do(db: sqlite_utils.Database) -> None:
            stamp = now()
            with db.conn:
                db.conn.executemany(
                    "insert or ignore into embeddings "
                    "(owner_id, item_kind, item_id, model, vector, created_at) "
                    "select :owner, :kind, :id, :model, :vector, :at "
                    "where (:kind = 'draft' and exists (select 1 from drafts where id = :id)) "
                    "or (:kind = 'post' and exists (select 1 from posts where id = :id))",
                    [
                        dict(
                            owner=owner,
                            kind=kind,
                            id=item_id,
                            model=model,
                            vector=to_blob(vec),
                            at=stamp,
                        )
                        for (kind, item_id), vec in zip(items, vectors, strict=True)
                    ],
                )

        await self._run(do)

    async def known_vectors(self, owner: int, model: str, limit: int = 500) -> Known:
        """The owner's newest `limit` embedded drafts and posts, with their texts."""

        def do(db: sqlite_utils.Database) -> Known:
            found = db.execute(
                "select e.item_kind, e.item_id, e.vector, coalesce(d.text, p.text, ''), "
                "coalesce(d.kind, 'post') "
                "from embeddings e "
                "left join drafts d on e.item_kind = 'draft' and d.id = e.item_id "
                "left join posts p on e.item_kind = 'post' and p.id = e.item_id "
                "where e.owner_id = ? and e.model = ? and (d.id is not null or p.id is not null) "
                "order by e.id desc limit ?",
                [owner, model, limit],
            ).fetchall()
            if not found:
                return Known.empty()
            return Known(
                keys=tuple((str(k), int(i)) for k, i, _, _, _ in found),
                texts=tuple(str(t) for _, _, _, t, _ in found),
                matrix=np.stack([from_blob(v) for _, _, v, _, _ in found]),
                kinds=tuple(str(kind) for *_, kind in found),
            )

        return await self._run(do)

    async def missing_vectors(
        self, owner: int, model: str, limit: int = 50
    ) -> list[tuple[str, int, str, str]]:
        """(item kind, id, draft kind, text) of the owner's items not yet embedded."""

        def do(db: sqlite_utils.Database) -> list[tuple[str, int, str, str]]:
            found = db.execute(
                MISSING_SQL, {"owner": owner, "model": model, "limit": limit}
            ).fetchall()
            return [(str(k), int(i), str(dk), str(t)) for k, i, dk, t in found]

        return await self._run(do)

    def _export(self, db: sqlite_utils.Database, person: int) -> dict[str, Any]:
        data = super()._export(db, person)
        # The vectors of every draft and post the export holds (also those they asked
        # for in groups, which /forget deletes with them), not only their own chats'.
        found = rows(
            db,
            f"select item_kind, item_id, model, vector, created_at from embeddings "
            f"where {OF_PERSON} order by id",
            *[person] * 5,
        )
        for row in found:  # derived data, but theirs: float32 little-endian, base64
            row["vector"] = base64.b64encode(row["vector"]).decode()
        data["embeddings"] = found
        return data

    def _forget(self, db: sqlite_utils.Database, person: int) -> dict[str, int]:
        # Also the vectors of what they wrote inside groups (those rows go too).
        db.execute(f"delete from embeddings where {OF_PERSON}", [person] * 5)
        return super()._forget(db, person)

    def _merge(self, db: sqlite_utils.Database, keep: int, gone: int) -> None:
        db.execute("update embeddings set owner_id = ? where owner_id = ?", [keep, gone])
        super()._merge(db, keep, gone)
