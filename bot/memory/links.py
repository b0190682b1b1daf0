"""One creator on every platform: one-time link codes join two identities into one
person (a users row); unlinking gives an identity a fresh start of its own."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlite_utils

from bot.memory.store import Store, insert_new, now, rows

CODE_TTL = timedelta(minutes=10)
# No 0/O, 1/I/L: a code is read on one screen and typed on another.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


@dataclass(frozen=True)
class Identity:
    platform: str
    external_id: str


@dataclass(frozen=True)
class LinkResult:
    """`joined` False: the code was wrong, used or expired (`same` True: it was theirs)."""

    joined: bool
    person: int | None = None
    identities: tuple[Identity, ...] = ()
    same: bool = False


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


class Links(Store):
    async def new_link_code(self, person: int) -> str:
        """A fresh single-use code for `person` (their earlier codes stop working)."""
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        expires = (self.clock() + CODE_TTL).isoformat(timespec="seconds")

        def do(db: sqlite_utils.Database) -> None:
            with db.conn:
                self._drop_expired(db)
                db.execute("delete from link_codes where user_id = ?", [person])
                db.table("link_codes").insert(
                    {"code_hash": _hash(code), "user_id": person, "expires_at": expires}
                )

        await self._run(do)
        return code

    def _drop_expired(self, db: sqlite_utils.Database) -> None:
        db.execute(
            "delete from link_codes where expires_at <= ?",
            [self.clock().isoformat(timespec="seconds")],
        )

    async def redeem_link_code(self, code: str, person: int, *, shown: bool = False) -> LinkResult:
        """Join `person` into the one who made `code`, in one transaction: their drafts,
        turns, series, posts, vectors and usage move over (the code maker's style wins;
        theirs is kept only if the maker has none), then `person`'s row is gone.

        `shown`: the code was typed where others read it (a group). Sent back to its own
        person it joins nothing, and it is cancelled: left good, anyone there could send
        it to Muse and join their account to the maker's, reading all of it."""

        def do(db: sqlite_utils.Database) -> LinkResult:
            with db.conn:
                self._drop_expired(db)
                row = db.execute(
                    "select user_id from link_codes where code_hash = ?", [_hash(code)]
                ).fetchone()
                if row is None:
                    return LinkResult(False)
                keep = int(row[0])
                if keep == person:  # sent back where it was made: still good elsewhere
                    if shown:
                        db.execute("delete from link_codes where code_hash = ?", [_hash(code)])
                    return LinkResult(False, keep, self._identities(db, keep), same=True)
                db.execute("delete from link_codes where code_hash = ?", [_hash(code)])
                db.execute("delete from link_codes where user_id = ?", [person])
                self._merge(db, keep, person)
                db.execute("delete from users where id = ?", [person])
                return LinkResult(True, keep, self._identities(db, keep))

        return await self._run(do)

    async def unlink(self, platform: str, external_id: str, name: str) -> int | None:
        """Detach one identity from its person: it becomes a new person with a copy of
        the style (and of today's request count), and the shared past stays with the
        identities that remain. None when the identity is the person's only one (nothing
        to unlink)."""

        def do(db: sqlite_utils.Database) -> int | None:
            with db.conn:
                row = db.execute(
                    "select user_id from identities where platform = ? and external_id = ?",
                    [platform, external_id],
                ).fetchone()
                if row is None or len(self._identities(db, int(row[0]))) < 2:
                    return None
                old = int(row[0])
                new = insert_new(
                    db, "users", {"kind": "person", "display_name": name, "created_at": now()}
                )
                db.execute(
                    "update identities set user_id = ? where platform = ? and external_id = ?",
                    [new, platform, external_id],
                )
                db.execute(
                    "insert into profiles (user_id, voice, audience, platforms, avoid, "
                    "updated_at) select ?, voice, audience, platforms, avoid, ? "
                    "from profiles where user_id = ?",
                    [new, now(), old],
                )
                # Each keeps the day's count: a fresh quota would be one link-and-unlink away.
                db.execute(
                    "insert into usage (user_id, day, count) select ?, day, count from usage "
                    "where user_id = ? and day >= date('now')",
                    [new, old],
                )
                if not db.execute(
                    "select 1 from identities where user_id = ? and platform = ?", [old, platform]
                ).fetchone():
                    self._unlink(db, old, new, platform)
            return new

        return await self._run(do)

    async def identities(self, person: int) -> tuple[Identity, ...]:
        return await self._run(lambda db: self._identities(db, person))

    def _identities(self, db: sqlite_utils.Database, person: int) -> tuple[Identity, ...]:
        found = db.execute(
            "select platform, external_id from identities where user_id = ? "
            "order by platform, external_id",
            [person],
        )
        return tuple(Identity(p, e) for p, e in found)

    def _export(self, db: sqlite_utils.Database, person: int) -> dict[str, Any]:
        data = super()._export(db, person)
        # Only whether a code is pending and until when; the code itself is never kept.
        data["link_codes"] = rows(db, "select expires_at from link_codes where user_id = ?", person)
        return data

    def _forget(self, db: sqlite_utils.Database, person: int) -> dict[str, int]:
        db.execute("delete from link_codes where user_id = ?", [person])
        return super()._forget(db, person)

    def _merge(self, db: sqlite_utils.Database, keep: int, gone: int) -> None:
        db.execute("delete from link_codes where user_id = ?", [gone])
        super()._merge(db, keep, gone)
