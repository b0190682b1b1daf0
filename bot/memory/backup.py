"""`muse backup FILE`: a consistent copy of the database while Muse keeps running.

SQLite's online backup API copies the pages under one read transaction: with the
database in WAL mode that is a snapshot of one moment, and the running bot's writes go
on meanwhile (readers and the writer don't block each other). The copy is written next
to its target and renamed into place only once it has passed an integrity check, so a
failed backup never leaves a half-written file where a good one was."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.memory.store import BUSY_TIMEOUT_MS, StorageError, readonly_uri


@dataclass(frozen=True)
class BackupReport:
    target: Path
    size: int
    counts: dict[str, int]  # rows per main table in the copy

    def summary(self) -> str:
        what = ", ".join(f"{n} {table}" for table, n in self.counts.items())
        return f"Backed up to {self.target} ({what}; {self.size / 1e6:.1f} MB), integrity ok."


COUNTED = ("users", "drafts", "turns")


def backup(source: Path, target: Path) -> BackupReport:
    """Copy the database at `source` to `target` (replacing it); raises StorageError."""
    if not source.is_file():
        raise StorageError(f"there is no database at {source} yet: nothing to back up")
    target = target.expanduser().absolute()
    if target.exists() and target.resolve() == source.resolve():
        raise StorageError("the backup must go to another file than the database itself")
    if not target.parent.is_dir():
        raise StorageError(f"can't write the backup: no folder {target.parent}")
    if not os.access(target.parent, os.W_OK):  # also a read-only mount, for root too
        raise StorageError(f"can't write the backup: the folder {target.parent} is read-only")
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        counts = _copy(source, part)
        os.replace(part, target)
    except sqlite3.Error as exc:
        raise StorageError(f"the backup failed: {exc}") from None
    except OSError as exc:
        raise StorageError(f"can't write the backup {target}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):  # nothing was written, or it can't be removed
            part.unlink(missing_ok=True)
    return BackupReport(target, target.stat().st_size, counts)


def _copy(source: Path, part: Path) -> dict[str, int]:
    src = sqlite3.connect(readonly_uri(source), uri=True)
    dst = sqlite3.connect(part)
    try:
        src.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # All pages in one step: one read transaction, so one consistent moment.
        src.backup(dst)
        # The copy is one self-contained file (no -wal beside it to forget).
        dst.execute("PRAGMA journal_mode=DELETE")
        problem = " ".join(str(dst.execute("PRAGMA integrity_check(1)").fetchone()[0]).split())
        if problem != "ok":
            raise StorageError(
                f"the copy failed its integrity check ({problem}): the database itself "
                "may be damaged"
            )
        tables = {row[0] for row in dst.execute("select name from sqlite_master")}
        return {
            t: int(dst.execute(f"select count(*) from {t}").fetchone()[0])
            for t in COUNTED
            if t in tables
        }
    finally:
        dst.close()
        src.close()
