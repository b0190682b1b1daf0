"""`muse backup` while `muse run telegram` is answering a stream of messages: the copy is
one consistent moment of the live database, and answering never stops."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.config import Settings
from tests.helpers import muse_cli, muse_run
from tests.telegram.conftest import final
from tests.telegram.fake_bot_api import FakeBotAPI

ALICE = 111


async def ask(fake: FakeBotAPI, n: int) -> None:
    await fake.push_message(f"note {n} about the tram")
    await final(fake, ALICE, f"Noted: note {n} about the tram", within=60)


def user_turns(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        found = [r[0] for r in db.execute("select text from turns where role='user' order by id")]
    db.close()
    return found


async def test_backup_while_answering_is_a_consistent_copy(
    fake: FakeBotAPI, settings: Settings, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    asked = 0
    async with muse_run("telegram") as run:
        for _ in range(5):
            await ask(fake, asked)
            asked += 1
        backup = asyncio.create_task(asyncio.to_thread(muse_cli, "backup", str(copy)))
        while not backup.done():  # messages keep coming (and being answered) meanwhile
            await ask(fake, asked)
            asked += 1
        result = await backup
        await ask(fake, asked)  # and after
        asked += 1
    assert run.returncode == 0, run.stderr[-2000:]
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout

    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.close()
    live, copied = user_turns(settings.db_path), user_turns(copy)
    assert len(live) == asked
    # One moment of the live database: everything up to some message, nothing after it.
    assert copied == live[: len(copied)]
    assert len(copied) >= 5
