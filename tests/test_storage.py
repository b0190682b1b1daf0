"""The database file: a damaged one, or one written by a newer Muse, stops the start with
one clear line and is never touched; `muse backup` copies it safely."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.config import Settings
from bot.memory import Memory
from bot.memory.migrations import MIGRATIONS
from tests.helpers import muse_cli

COMMANDS = (["chat"], ["run", "telegram"])


def snapshot(data: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the database (with any -wal/-shm beside it): bytes and mtime."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in data.glob("muse.db*")}


def a_real_database(settings: Settings, turns: int = 300) -> None:
    """A database as Muse writes it: one person and `turns` messages."""

    async def fill() -> None:
        memory = Memory(settings.db_path)
        await memory.open()
        person = await memory.user_for("telegram", "111", "Alice", "person")
        for i in range(turns):
            await memory.add_turn(person, person, "telegram:111", "user", f"idea {i} " * 20)
        await memory.close()

    asyncio.run(fill())


def one_clear_line(run: object) -> str:
    stderr = run.stderr.strip()  # type: ignore[attr-defined]
    assert run.returncode == 2, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("muse: ")
    return stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_file_that_is_no_database_stops_the_start_untouched(
    settings: Settings, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSE_TELEGRAM__TOKEN", "123456:never-used")
    settings.data_dir.mkdir(parents=True)
    settings.db_path.write_bytes(b"my holiday notes, not a database\n" * 500)
    before = snapshot(settings.data_dir)
    line = one_clear_line(muse_cli(*command))
    assert f"the database {settings.db_path} is damaged (file is not a database)" in line
    assert "muse backup" in line and "untouched" in line
    assert snapshot(settings.data_dir) == before


def test_a_damaged_page_stops_the_start_untouched(settings: Settings) -> None:
    a_real_database(settings)
    data = bytearray(settings.db_path.read_bytes())
    assert len(data) > 8 * 4096
    data[5 * 4096 : 6 * 4096 : 7] = b"\xa5" * len(range(5 * 4096, 6 * 4096, 7))
    settings.db_path.write_bytes(data)
    before = snapshot(settings.data_dir)
    line = one_clear_line(muse_cli("chat"))
    assert "is damaged (" in line
    assert snapshot(settings.data_dir) == before


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_database_from_a_newer_muse_stops_the_start_untouched(
    settings: Settings, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSE_TELEGRAM__TOKEN", "123456:never-used")
    a_real_database(settings, turns=3)
    with sqlite3.connect(settings.db_path) as db:
        db.execute("insert into _migrations values ('m999_from_the_future', '2031-01-01')")
    db.close()
    before = snapshot(settings.data_dir)
    line = one_clear_line(muse_cli(*command))
    assert "was written by a newer Muse" in line and "m999_from_the_future" in line
    assert "upgrade Muse" in line
    assert snapshot(settings.data_dir) == before


def test_a_database_left_by_a_killed_muse_opens_with_its_last_commits(
    settings: Settings,
) -> None:
    # A killed process leaves its write-ahead log beside the file: the check reads it
    # read-only, and the start then finds everything committed before the kill.
    a_real_database(settings, turns=3)
    writer = sqlite3.connect(settings.db_path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # keep the commit in the log
    with writer:
        writer.execute(
            "insert into turns (id, owner_id, author_id, session, role, text, created_at) "
            "values ((select max(id) + 1 from turns), 1, 1, 'telegram:111', 'user', "
            "'said just before the kill', '')"
        )
    copies = {p.name: p.read_bytes() for p in settings.data_dir.glob("muse.db*")}
    writer.close()
    for name, data in copies.items():  # the files as the killed process left them
        (settings.data_dir / name).write_bytes(data)
    assert (settings.data_dir / "muse.db-wal").stat().st_size > 0

    async def reopen() -> list[str]:
        memory = Memory(settings.db_path)
        assert await memory.open() == []
        turns = await memory.recent_turns(1, "telegram:111")
        await memory.close()
        return [t.text for t in turns]

    assert asyncio.run(reopen())[-1] == "said just before the kill"


def test_migrations_are_known_by_name_once() -> None:
    names = [m.__name__ for m in MIGRATIONS]
    assert len(set(names)) == len(names)


def test_backup_says_in_one_line_what_is_wrong(settings: Settings, tmp_path: Path) -> None:
    nothing = muse_cli("backup", str(tmp_path / "copy.db"))
    assert nothing.returncode == 1
    assert nothing.stderr.strip() == (
        f"muse: there is no database at {settings.db_path} yet: nothing to back up"
    )
    a_real_database(settings, turns=3)
    nowhere = muse_cli("backup", str(tmp_path / "missing" / "copy.db"))
    assert nowhere.returncode == 1
    assert (
        nowhere.stderr.strip() == f"muse: can't write the backup: no folder {tmp_path / 'missing'}"
    )
    itself = muse_cli("backup", str(settings.db_path))
    assert itself.returncode == 1 and "another file" in itself.stderr
    assert not list(tmp_path.glob("*.part")) and not list(settings.data_dir.glob("*.part"))


def test_backup_replaces_an_older_copy_with_a_checked_one(
    settings: Settings, tmp_path: Path
) -> None:
    a_real_database(settings, turns=5)
    target = tmp_path / "muse-backup.db"
    target.write_bytes(b"last week's copy")
    done = muse_cli("backup", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"Backed up to {target} (1 users, 0 drafts, 5 turns;")
    assert done.stdout.strip().endswith("integrity ok.")
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        assert copy.execute("select count(*) from turns").fetchone()[0] == 5
    copy.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "muse-backup.db"]
