"""The base of the memory: one SQLite connection on one worker thread, so the event
loop never blocks and there is one writer. Each domain (people, conversation,
drafts, ...) is a mixin on top of it that adds its methods and its part of
`/export` and `/forget` (cooperatively, through `super()`)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import sqlite_utils

from bot.errors import Forgotten
from bot.memory.migrations import MIGRATIONS, migrate

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def rows(db: sqlite_utils.Database, sql: str, *args: Any) -> list[dict[str, Any]]:
    """A query's rows as dicts (column name -> value)."""
    cur = db.execute(sql, list(args))
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def new_id(table: str) -> str:
    """SQL for an id `table` never had, to write in the INSERT itself (atomic, also with
    another process writing): past the highest there is and the highest ever deleted
    (migration m801). An id in an old message or button then names that row or none."""
    return (
        f"(select max(coalesce((select max(id) from {table}), 0), coalesce((select last_id "
        f"from _deleted_ids where name = '{table}'), 0)) + 1)"
    )


def insert_new(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> int:
    """Insert `row` under a new_id() of `table`; that id."""
    columns = ", ".join(f"[{c}]" for c in row)
    marks = ", ".join("?" for _ in row)
    sql = f"insert into [{table}] (id, {columns}) values ({new_id(table)}, {marks})"
    return int(db.execute(sql, list(row.values())).lastrowid or 0)


class StorageError(Exception):
    """The database can't be used as it is: one line saying why and what to do."""


def readonly_uri(path: Path) -> str:
    """A URI that opens the database without writing anything: `mode=ro` when it has a
    write-ahead log (a running or killed Muse left one: its last commits are there);
    otherwise `immutable`, which unlike `mode=ro` creates no -wal/-shm files beside it."""
    wal = path.with_name(path.name + "-wal")
    flag = "mode=ro" if wal.exists() else "immutable=1"
    return f"file:{quote(str(path.absolute()))}?{flag}"


def check_database(path: Path) -> None:
    """Refuse, without writing a byte, a file this Muse must not touch: a damaged one, or
    one a newer Muse has migrated (this version can't know what its changes mean).

    Read-only, see `readonly_uri`."""
    where = f"the database {path}"
    try:
        conn = sqlite3.connect(readonly_uri(path), uri=True)
        try:
            problem = " ".join(str(conn.execute("PRAGMA quick_check(1)").fetchone()[0]).split())
            if problem != "ok":
                raise StorageError(f"{where} is damaged ({problem}). {UNTOUCHED}")
            tables = {row[0] for row in conn.execute("select name from sqlite_master")}
            done = (
                {row[0] for row in conn.execute("select name from _migrations")}
                if "_migrations" in tables
                else set()
            )
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:  # can't open or read it: not its content
        raise StorageError(f"can't read {where}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{where} is damaged ({exc}). {UNTOUCHED}") from None
    unknown = sorted(done - {m.__name__ for m in MIGRATIONS})
    if unknown:
        raise StorageError(
            f"{where} was written by a newer Muse (its changes {', '.join(unknown)} are "
            "unknown here): upgrade Muse, or set MUSE_DATA_DIR to another folder. "
            "Muse left the file untouched."
        )


UNTOUCHED = (
    "Muse left the file untouched: restore a copy made with `muse backup`, or move the "
    "file away to start afresh."
)


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="muse-db")
        self._db: sqlite_utils.Database | None = None
        # Replaceable in tests (e.g. to let a link code expire without waiting).
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def _run(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, fn)

    def _call(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        assert self._db is not None, "Memory.open() was not awaited"
        try:
            return fn(self._db)
        except sqlite3.IntegrityError as exc:
            # A row pointing at a person (or their draft) that is gone: deleted by
            # `muse forget` in another process while this one was answering them.
            if "FOREIGN KEY" in str(exc):
                raise Forgotten(str(exc)) from exc
            raise

    async def open(self) -> list[str]:
        def do_open() -> list[str]:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.path.stat().st_size > 0:
                check_database(self.path)  # before anything could write to it
            try:
                conn = sqlite3.connect(str(self.path), check_same_thread=False)
                self._db = sqlite_utils.Database(conn)
                # Another process (a backup, `muse export`) may hold a lock for a moment:
                # wait for it rather than fail with "database is locked".
                self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                # Readers never block the writer, nor the writer the readers.
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA foreign_keys=ON")
                # WAL + NORMAL: a commit survives a crash or kill of Muse (only an OS crash
                # or power cut can lose the last ones), without an fsync per commit.
                self._db.execute("PRAGMA synchronous=NORMAL")
                return migrate(self._db)
            except sqlite3.Error as exc:
                raise StorageError(f"can't use the database {self.path}: {exc}") from None

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, do_open)

    async def close(self) -> None:
        if self._db is not None:
            await self._run(lambda db: db.close())
            self._db = None
        self._pool.shutdown(wait=True)

    # Each mixin adds its rows about `person` and calls super(); see Memory.export/forget.
    def _export(self, db: sqlite_utils.Database, person: int) -> dict[str, Any]:
        return {}

    def _forget(self, db: sqlite_utils.Database, person: int) -> dict[str, int]:
        """Delete the mixin's rows about `person` *before* calling super(): the chain
        ends with the person's own user row, which everything else points to."""
        return {}

    def _unlink(self, db: sqlite_utils.Database, old: int, new: int, platform: str) -> None:
        """User `new` was split off `old` (/unlink) with `old`'s only account on `platform`.
        The past stays with `old`; each mixin gives `new` what is still under way there,
        which only that account can have done (a running session on that platform), then
        calls super()."""

    def _merge(self, db: sqlite_utils.Database, keep: int, gone: int) -> None:
        """Give everything of user `gone` to user `keep` (linking two identities). Each
        mixin moves its own rows, then calls super(); this end of the chain moves what
        no mixin claimed, in any table with a user column, so nothing is left pointing at
        the user row about to be deleted (a row that would clash with one of `keep`'s
        under a unique key is a duplicate and goes)."""
        for table in db.table_names():
            if table.startswith("_") or table == "users":
                continue
            columns = {c.name for c in db.table(table).columns}
            for column in sorted(columns & USER_COLUMNS):
                db.execute(
                    f"update or ignore [{table}] set [{column}] = ? where [{column}] = ?",
                    [keep, gone],
                )
                db.execute(f"delete from [{table}] where [{column}] = ?", [gone])


# Columns that hold a users.id, in any domain's table.
USER_COLUMNS = frozenset(
    {"user_id", "owner_id", "author_id", "person_id", "voter_id", "starter_id", "creator_id"}
)
