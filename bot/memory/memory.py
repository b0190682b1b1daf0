"""The Memory facade: one SQLite writer thread, async methods for the core."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from bot.memory.migrations import migrate
from bot.memory.records import DraftRecord, Profile, Turn

T = TypeVar("T")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def estimate_tokens(text: str) -> int:
    """Cheap token estimate (~4 chars a token) — good enough for a context budget."""
    return len(text) // 4 + 1


class Memory:
    """All persistent state. sqlite-utils is synchronous, so every call runs on one
    dedicated worker thread: the event loop never blocks and there is one writer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="muse-db")
        self._db: sqlite_utils.Database | None = None

    async def _run(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, fn)

    def _call(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        assert self._db is not None, "Memory.open() was not awaited"
        return fn(self._db)

    async def open(self) -> list[str]:
        def do_open() -> list[str]:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), check_same_thread=False)
            self._db = sqlite_utils.Database(conn)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            return migrate(self._db)

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, do_open)

    async def close(self) -> None:
        if self._db is not None:
            await self._run(lambda db: db.close())
            self._db = None
        self._pool.shutdown(wait=True)

    # -- identities -------------------------------------------------------

    async def find_user(self, platform: str, external_id: str) -> int | None:
        """The user behind a platform identity, without creating one."""

        def do(db: sqlite_utils.Database) -> int | None:
            row = db.execute(
                "select user_id from identities where platform = ? and external_id = ?",
                [platform, external_id],
            ).fetchone()
            return int(row[0]) if row else None

        return await self._run(do)

    async def user_for(self, platform: str, external_id: str, name: str, kind: str) -> int:
        """The user id behind a platform identity; created on first sight."""

        def do(db: sqlite_utils.Database) -> int:
            row = db.execute(
                "select user_id from identities where platform = ? and external_id = ?",
                [platform, external_id],
            ).fetchone()
            if row:
                return int(row[0])
            # Same thread as the lookup above, so no one else can create it in between.
            with db.conn:
                uid = (
                    db.table("users")
                    .insert({"kind": kind, "display_name": name, "created_at": _now()})
                    .last_pk
                )
                db.table("identities").insert(
                    {"platform": platform, "external_id": external_id, "user_id": uid}
                )
            return int(uid)  # type: ignore[arg-type]

        return await self._run(do)

    # -- profiles ---------------------------------------------------------

    async def profile(self, user_id: int) -> Profile:
        def do(db: sqlite_utils.Database) -> Profile:
            rows = list(db.table("profiles").rows_where("user_id = ?", [user_id]))
            if not rows:
                return Profile()
            r = rows[0]
            return Profile(
                voice=r["voice"] or "",
                audience=r["audience"] or "",
                platforms=tuple(json.loads(r["platforms"] or "[]")),
                avoid=tuple(json.loads(r["avoid"] or "[]")),
            )

        return await self._run(do)

    async def save_profile(self, user_id: int, profile: Profile) -> None:
        record = {
            "user_id": user_id,
            "voice": profile.voice,
            "audience": profile.audience,
            "platforms": json.dumps(list(profile.platforms)),
            "avoid": json.dumps(list(profile.avoid)),
            "updated_at": _now(),
        }
        await self._run(lambda db: db.table("profiles").upsert(record, pk="user_id"))

    # -- conversation turns ----------------------------------------------

    async def add_turn(self, owner: int, author: int, session: str, role: str, text: str) -> None:
        record = {
            "owner_id": owner,
            "author_id": author,
            "session": session,
            "role": role,
            "text": text,
            "created_at": _now(),
        }
        await self._run(lambda db: db.table("turns").insert(record))

    async def recent_turns(self, owner: int, session: str, budget_tokens: int) -> list[Turn]:
        """Newest turns first until the budget is spent; returned oldest first."""

        def do(db: sqlite_utils.Database) -> list[Turn]:
            cursor = db.execute(
                "select role, text from turns where owner_id = ? and session = ? "
                "order by id desc limit 200",
                [owner, session],
            )
            picked: list[Turn] = []
            spent = 0
            for role, text in cursor:
                cost = estimate_tokens(text)
                if spent + cost > budget_tokens:
                    break
                spent += cost
                picked.append(Turn(role, text))
            return picked[::-1]

        return await self._run(do)

    # -- drafts -----------------------------------------------------------

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
                        "created_at": _now(),
                    }
                    pk = db.table("drafts").insert(row).last_pk
                    out.append(_draft(dict(row, id=pk)))
            return out

        return await self._run(do)

    async def draft(self, draft_id: int) -> DraftRecord | None:
        def do(db: sqlite_utils.Database) -> DraftRecord | None:
            rows = list(db.table("drafts").rows_where("id = ?", [draft_id]))
            return _draft(rows[0]) if rows else None

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
            rows = db.table("drafts").rows_where(where, args, order_by="id desc", limit=limit)
            return [_draft(r) for r in rows]

        return await self._run(do)

    # -- usage quota ------------------------------------------------------

    async def bump_usage(self, user_id: int, day: str) -> int:
        """Count one request for `day` and return the day's total."""

        def do(db: sqlite_utils.Database) -> int:
            with db.conn:
                db.execute(
                    "insert into usage (user_id, day, count) values (?, ?, 1) "
                    "on conflict(user_id, day) do update set count = count + 1",
                    [user_id, day],
                )
            row = db.execute(
                "select count from usage where user_id = ? and day = ?", [user_id, day]
            ).fetchone()
            return int(row[0])

        return await self._run(do)

    # -- export / forget --------------------------------------------------

    async def export(self, person: int) -> dict[str, Any]:
        """Everything stored about one person: identities, profile, their turns and drafts
        (including what they asked for inside groups)."""

        def do(db: sqlite_utils.Database) -> dict[str, Any]:
            def rows(sql: str, *args: Any) -> list[dict[str, Any]]:
                cur = db.execute(sql, list(args))
                cols = [c[0] for c in cur.description]
                return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

            user = rows("select * from users where id = ?", person)
            return {
                "format": "muse-export/1",
                "exported_at": _now(),
                "user": user[0] if user else None,
                "identities": rows("select * from identities where user_id = ?", person),
                "profile": next(
                    iter(rows("select * from profiles where user_id = ?", person)), None
                ),
                "turns": rows(
                    "select * from turns where owner_id = ? or author_id = ? order by id",
                    person,
                    person,
                ),
                "drafts": rows(
                    "select * from drafts where owner_id = ? or author_id = ? order by id",
                    person,
                    person,
                ),
                "usage": rows("select * from usage where user_id = ?", person),
            }

        return await self._run(do)

    async def forget(self, person: int) -> dict[str, int]:
        """Delete everything about one person, for real (rows gone, file vacuumed)."""

        def do(db: sqlite_utils.Database) -> dict[str, int]:
            counts: dict[str, int] = {}
            with db.conn:
                # Remixes of their drafts made by others keep existing, detached.
                db.execute(
                    "update drafts set parent_id = null where parent_id in "
                    "(select id from drafts where owner_id = ? or author_id = ?)",
                    [person, person],
                )
                for table, where in (
                    ("drafts", "owner_id = ? or author_id = ?"),
                    ("turns", "owner_id = ? or author_id = ?"),
                ):
                    counts[table] = db.execute(
                        f"delete from {table} where {where}", [person, person]
                    ).rowcount
                for table in ("profiles", "usage", "identities"):
                    db.execute(f"delete from {table} where user_id = ?", [person])
                db.execute("delete from users where id = ?", [person])
            db.execute("VACUUM")
            return counts

        return await self._run(do)


def _draft(row: dict[str, Any]) -> DraftRecord:
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
    )
