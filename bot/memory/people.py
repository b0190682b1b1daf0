"""People and groups: identities (platform account -> user), profiles, usage counts."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from bot.memory.records import Profile
from bot.memory.store import Store, now, rows


class People(Store):
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
                    .insert({"kind": kind, "display_name": name, "created_at": now()})
                    .last_pk
                )
                db.table("identities").insert(
                    {"platform": platform, "external_id": external_id, "user_id": uid}
                )
            return int(uid)  # type: ignore[arg-type]

        return await self._run(do)

    async def profile(self, user_id: int) -> Profile:
        def do(db: sqlite_utils.Database) -> Profile:
            found = list(db.table("profiles").rows_where("user_id = ?", [user_id]))
            if not found:
                return Profile()
            r = found[0]
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
            "updated_at": now(),
        }
        await self._run(lambda db: db.table("profiles").upsert(record, pk="user_id"))

    async def bump_usage(self, user_id: int, day: str) -> int:
        """Count one request for `day` and return the day's total."""

        def do(db: sqlite_utils.Database) -> int:
            with db.conn:
                row = db.execute(
                    "insert into usage (user_id, day, count) values (?, ?, 1) "
                    "on conflict(user_id, day) do update set count = count + 1 "
                    "returning count",
                    [user_id, day],
                ).fetchone()
            return int(row[0])

        return await self._run(do)

    def _export(self, db: sqlite_utils.Database, person: int) -> dict[str, Any]:
        data = super()._export(db, person)
        user = rows(db, "select * from users where id = ?", person)
        data["user"] = user[0] if user else None
        data["identities"] = rows(db, "select * from identities where user_id = ?", person)
        data["profile"] = next(
            iter(rows(db, "select * from profiles where user_id = ?", person)), None
        )
        data["usage"] = rows(db, "select * from usage where user_id = ?", person)
        return data

    def _merge(self, db: sqlite_utils.Database, keep: int, gone: int) -> None:
        # The kept person's style wins; theirs is taken only when they have none.
        db.execute("update or ignore profiles set user_id = ? where user_id = ?", [keep, gone])
        db.execute(
            "insert into usage (user_id, day, count) select ?, day, count from usage "
            "where user_id = ? and true "
            "on conflict(user_id, day) do update set count = count + excluded.count",
            [keep, gone],
        )
        db.execute("update identities set user_id = ? where user_id = ?", [keep, gone])
        for table in ("profiles", "usage"):
            db.execute(f"delete from {table} where user_id = ?", [gone])
        super()._merge(db, keep, gone)

    def _forget(self, db: sqlite_utils.Database, person: int) -> dict[str, int]:
        counts = super()._forget(db, person)
        for table in ("profiles", "usage", "identities"):
            db.execute(f"delete from {table} where user_id = ?", [person])
        db.execute("delete from users where id = ?", [person])
        return counts
