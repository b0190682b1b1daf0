"""People and groups: identities (platform account -> user), profiles, usage counts."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from bot.memory.records import Profile
from bot.memory.store import Store, insert_new, now, rows


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
        return await self._run(lambda db: _user_id(db, platform, external_id, name, kind))

    async def people_for(
        self, platform: str, external_id: str, name: str, group: str | None
    ) -> tuple[int, int, Profile]:
        """(person, owner, owner's profile) for one message, in one trip to the database:
        the owner is the group conversation `group` if given, else the person."""

        def do(db: sqlite_utils.Database) -> tuple[int, int, Profile]:
            person = _user_id(db, platform, external_id, name, "person")
            owner = person if group is None else _user_id(db, platform, group, "", "group")
            return person, owner, _profile(db, owner)

        return await self._run(do)

    async def profile(self, user_id: int) -> Profile:
        return await self._run(lambda db: _profile(db, user_id))

    async def save_profile(self, user_id: int, profile: Profile) -> None:
        """Store a style; a style with every field cleared is no style, so its row goes
        (a row left empty would count as a style when two accounts are linked)."""
        if profile.is_empty:
            await self._run(
                lambda db: _commit(db, "delete from profiles where user_id = ?", user_id)
            )
            return
        record = {
            "user_id": user_id,
            "voice": profile.voice,
            "audience": profile.audience,
            # Readable in an export in any script (旅, not an escaped "\u65c5").
            "platforms": json.dumps(list(profile.platforms), ensure_ascii=False),
            "avoid": json.dumps(list(profile.avoid), ensure_ascii=False),
            "updated_at": now(),
        }
        await self._run(lambda db: db.table("profiles").upsert(record, pk="user_id"))

    async def bump_usage(self, user_id: int, day: str, by: int = 1) -> int:
        """Count `by` requests for `day` (-1 gives one back) and return the day's total."""

        def do(db: sqlite_utils.Database) -> int:
            with db.conn:
                row = db.execute(
                    "insert into usage (user_id, day, count) values (?, ?, max(?, 0)) "
                    "on conflict(user_id, day) do update set count = max(count + ?, 0) "
                    "returning count",
                    [user_id, day, by, by],
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
        # The kept person's style wins; theirs is taken only when they have none (a row
        # with every field cleared, left by an older Muse, is none).
        db.execute(f"delete from profiles where user_id = ? and {EMPTY_PROFILE}", [keep])
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


EMPTY_PROFILE = (
    "coalesce(voice, '') = '' and coalesce(audience, '') = '' "
    "and coalesce(platforms, '[]') = '[]' and coalesce(avoid, '[]') = '[]'"
)


def _commit(db: sqlite_utils.Database, sql: str, *args: Any) -> None:
    with db.conn:
        db.execute(sql, list(args))


def _user_id(
    db: sqlite_utils.Database, platform: str, external_id: str, name: str, kind: str
) -> int:
    row = db.execute(
        "select user_id from identities where platform = ? and external_id = ?",
        [platform, external_id],
    ).fetchone()
    if row:
        return int(row[0])
    # On the memory's one thread, so no one else can create it in between.
    with db.conn:
        uid = insert_new(db, "users", {"kind": kind, "display_name": name, "created_at": now()})
        db.table("identities").insert(
            {"platform": platform, "external_id": external_id, "user_id": uid}
        )
    return uid


def _profile(db: sqlite_utils.Database, user_id: int) -> Profile:
    found = db.execute(
        "select voice, audience, platforms, avoid from profiles where user_id = ?", [user_id]
    ).fetchone()
    if not found:
        return Profile()
    voice, audience, platforms, avoid = found
    return Profile(
        voice=voice or "",
        audience=audience or "",
        platforms=tuple(json.loads(platforms or "[]")),
        avoid=tuple(json.loads(avoid or "[]")),
    )
