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

import sqlite_utils

from bot.memory.migrations import migrate

T = TypeVar("T")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def rows(db: sqlite_utils.Database, sql: str, *args: Any) -> list[dict[str, Any]]:
    """A query's rows as dicts (column name -> value)."""
    cur = db.execute(sql, list(args))
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


class Store:
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
            # WAL + NORMAL: a commit survives a crash or kill of Muse (only an OS crash or
            # power cut can lose the last ones), without an fsync per commit.
            self._db.execute("PRAGMA synchronous=NORMAL")
            return migrate(self._db)

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
