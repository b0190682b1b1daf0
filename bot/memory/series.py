"""Series (a running story or campaign, per owner: a person or a group) and posts (what
was really published, optionally from a draft)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bot.memory.store import Store, now, rows


@dataclass(frozen=True)
class SeriesRecord:
    id: int
    owner_id: int
    name: str
    premise: str
    tone: str
    active: bool
    created_at: str
    ended_at: str | None
    posts: int = 0

    @property
    def ended(self) -> bool:
        return self.ended_at is not None


@dataclass(frozen=True)
class PostRecord:
    id: int
    owner_id: int
    author_id: int
    series_id: int | None
    draft_id: int | None
    text: str
    link: str
    created_at: str


SERIES_SELECT = (
    "select s.*, (select count(*) from posts p where p.series_id = s.id) as n_posts from series s "
)


def name_key(name: str) -> str:
    """How series names are compared: without surrounding quotes, spaces collapsed, and
    case folded in any script (SQLite's lower() folds only ASCII: "Утро" != "утро");
    accents composed or not ("é" or "e" + a combining accent, which look the same, are
    one name: Unicode's canonical caseless match, NFD(casefold(NFD(name))))."""
    spaced = " ".join(name.strip().strip("\"“”'").split())
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", spaced).casefold())


def _series(row: dict[str, Any]) -> SeriesRecord:
    return SeriesRecord(
        id=int(row["id"]),
        owner_id=int(row["owner_id"]),
        name=row["name"],
        premise=row["premise"] or "",
        tone=row["tone"] or "",
        active=bool(row["active"]),
        created_at=row["created_at"],
        ended_at=row["ended_at"],
        posts=int(row.get("n_posts") or 0),
    )


def _post(row: dict[str, Any]) -> PostRecord:
    return PostRecord(
        id=int(row["id"]),
        owner_id=int(row["owner_id"]),
        author_id=int(row["author_id"]),
        series_id=row["series_id"],
        draft_id=row["draft_id"],
        text=row["text"] or "",
        link=row["link"] or "",
        created_at=row["created_at"],
    )


class Series(Store):
    async def add_series(self, owner: int, name: str, premise: str, tone: str) -> SeriesRecord:
        """A new series, made the active one (only one is active per owner)."""

        def do(db: sqlite_utils.Database) -> SeriesRecord:
            with db.conn:
                db.execute("update series set active = 0 where owner_id = ?", [owner])
                row = {
                    "owner_id": owner,
                    "name": name,
                    "premise": premise,
                    "tone": tone,
                    "active": 1,
                    "created_at": now(),
                    "ended_at": None,
                }
                pk = db.table("series").insert(row).last_pk
            return _series(dict(row, id=pk))

        return await self._run(do)

    async def all_series(self, owner: int) -> list[SeriesRecord]:
        def do(db: sqlite_utils.Database) -> list[SeriesRecord]:
            found = rows(db, SERIES_SELECT + "where owner_id = ? order by s.id", owner)
            return [_series(r) for r in found]

        return await self._run(do)

    async def find_series(self, owner: int, name: str) -> SeriesRecord | None:
        """By name (see `name_key`), the newest of that name."""

        def do(db: sqlite_utils.Database) -> SeriesRecord | None:
            found = rows(db, SERIES_SELECT + "where owner_id = ? order by s.id desc", owner)
            same = [r for r in found if name_key(r["name"]) == name_key(name)]
            return _series(same[0]) if same else None

        return await self._run(do)

    async def active_series(self, owner: int) -> SeriesRecord | None:
        def do(db: sqlite_utils.Database) -> SeriesRecord | None:
            found = rows(db, SERIES_SELECT + "where owner_id = ? and active = 1", owner)
            return _series(found[0]) if found else None

        return await self._run(do)

    async def use_series(self, owner: int, series_id: int) -> None:
        """Make it the active one (an ended series is reopened)."""

        def do(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.execute("update series set active = 0 where owner_id = ?", [owner])
                db.execute(
                    "update series set active = 1, ended_at = null where id = ? and owner_id = ?",
                    [series_id, owner],
                )

        await self._run(do)

    async def end_series(self, owner: int, series_id: int) -> None:
        def do(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.execute(
                    "update series set active = 0, ended_at = ? where id = ? and owner_id = ?",
                    [now(), series_id, owner],
                )

        await self._run(do)

    async def add_post(
        self,
        *,
        owner: int,
        author: int,
        series_id: int | None,
        text: str,
        link: str = "",
        draft_id: int | None = None,
    ) -> PostRecord:
        def do(db: sqlite_utils.Database) -> PostRecord:
            row = {
                "owner_id": owner,
                "author_id": author,
                "series_id": series_id,
                "draft_id": draft_id,
                "text": text,
                "link": link,
                "created_at": now(),
            }
            with db.conn:
                pk = db.table("posts").insert(row).last_pk
                if draft_id is not None:
                    db.execute("update drafts set status = 'posted' where id = ?", [draft_id])
            return _post(dict(row, id=pk))

        return await self._run(do)

    async def same_post(
        self, owner: int, series_id: int | None, text: str, link: str
    ) -> int | None:
        """An earlier post with these very words and link (in this series, or in none):
        its number in the series (1 for the first; 0 outside a series), else None. A
        /posted sent twice is one publication, not two."""

        def do(db: sqlite_utils.Database) -> int | None:
            found = db.execute(
                "select id from posts where owner_id = ? and series_id is ? and text = ? "
                "and link = ? order by id limit 1",
                [owner, series_id, text, link],
            ).fetchone()
            if found is None:
                return None
            if series_id is None:
                return 0
            before = db.execute(
                "select count(*) from posts where series_id = ? and id <= ?", [series_id, found[0]]
            ).fetchone()
            return int(before[0])

        return await self._run(do)

    async def recent_posts(
        self, owner: int, series_id: int | None = None, limit: int = 5
    ) -> list[PostRecord]:
        """The newest posts (of one series, or all the owner's), oldest first."""

        def do(db: sqlite_utils.Database) -> list[PostRecord]:
            where, args = "owner_id = ?", [owner]
            if series_id is not None:
                where, args = where + " and series_id = ?", [owner, series_id]
            found = rows(
                db, f"select * from posts where {where} order by id desc limit ?", *args, limit
            )
            return [_post(r) for r in found][::-1]

        return await self._run(do)

    async def post(self, post_id: int) -> PostRecord | None:
        def do(db: sqlite_utils.Database) -> PostRecord | None:
            found = rows(db, "select * from posts where id = ?", post_id)
            return _post(found[0]) if found else None

        return await self._run(do)

    def _export(self, db: sqlite_utils.Database, person: int) -> dict[str, Any]:
        data = super()._export(db, person)
        data["series"] = rows(db, "select * from series where owner_id = ? order by id", person)
        data["posts"] = rows(
            db,
            "select * from posts where owner_id = ? or author_id = ? order by id",
            person,
            person,
        )
        return data

    def _forget(self, db: sqlite_utils.Database, person: int) -> dict[str, int]:
        deleted = db.execute(
            "delete from posts where owner_id = ? or author_id = ? "
            "or series_id in (select id from series where owner_id = ?)",
            [person, person, person],
        ).rowcount
        db.execute("delete from series where owner_id = ?", [person])
        return {"posts": deleted, **super()._forget(db, person)}

    def _merge(self, db: sqlite_utils.Database, keep: int, gone: int) -> None:
        # Both may have had an active series: the kept person's stays the active one.
        kept_active = db.execute(
            "select 1 from series where owner_id = ? and active = 1", [keep]
        ).fetchone()
        if kept_active:
            db.execute("update series set active = 0 where owner_id = ?", [gone])
        # Both may have a series of the same name: the joiner's is renamed "name (2)",
        # or only one of them could ever be named in /series use or /series end.
        names = "select id, name from series where owner_id = ? order by id"
        kept = {name_key(n) for _, n in db.execute(names, [keep])}
        theirs = db.execute(names, [gone]).fetchall()
        taken = kept | {name_key(n) for _, n in theirs}
        for sid, name in theirs:
            if name_key(name) in kept:
                n = 2
                while name_key(f"{name} ({n})") in taken:
                    n += 1
                taken.add(name_key(f"{name} ({n})"))
                db.execute("update series set name = ? where id = ?", [f"{name} ({n})", sid])
        db.execute("update series set owner_id = ? where owner_id = ?", [keep, gone])
        db.execute("update posts set owner_id = ? where owner_id = ?", [keep, gone])
        db.execute("update posts set author_id = ? where author_id = ?", [keep, gone])
        super()._merge(db, keep, gone)
