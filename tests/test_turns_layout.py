"""Turns are kept by conversation (migration m701): an older database keeps every turn,
ids go on from where they were, and writers never share a number."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest
import sqlite_utils

from bot.config import Settings
from bot.memory import Memory
from bot.memory.migrations import MIGRATIONS, m701_turns_kept_by_conversation


def an_older_database(settings: Settings) -> dict[str, list[tuple[int, str]]]:
    """A database as the Muse before m701 left it: two people whose turns arrived
    interleaved. Each session's (id, text), in order."""
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(sqlite3.connect(str(settings.db_path)))
    db.table("_migrations").create({"name": str, "applied_at": str}, pk="name")
    for migration in MIGRATIONS:
        if migration is not m701_turns_kept_by_conversation:
            migration(db)
            db.table("_migrations").insert({"name": migration.__name__, "applied_at": ""})
    for uid in (1, 2):
        db.table("users").insert({"id": uid, "kind": "person", "display_name": f"p{uid}"})
        db.table("identities").insert(
            {"platform": "telegram", "external_id": str(uid), "user_id": uid}
        )
    sessions: dict[str, list[tuple[int, str]]] = {"telegram:1": [], "telegram:2": []}
    for i in range(40):
        uid = 1 + i % 2
        session = f"telegram:{uid}"
        text = f"turn {i} of person {uid}"
        row = db.table("turns").insert(
            {
                "owner_id": uid,
                "author_id": uid,
                "session": session,
                "role": "user" if i % 4 < 2 else "assistant",
                "text": text,
                "created_at": "",
            }
        )
        sessions[session].append((int(row.last_pk), text))  # type: ignore[arg-type]
    db.conn.commit()
    db.conn.close()
    return sessions


async def test_an_older_database_keeps_every_turn_and_numbers_on_after_them(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    before = an_older_database(settings)
    memory = Memory(settings.db_path)
    with caplog.at_level(logging.INFO, logger="bot.memory.migrations"):
        assert await memory.open() == ["m701_turns_kept_by_conversation"]
    # The one slower start says why.
    assert "updating the database: m701_turns_kept_by_conversation" in caplog.text
    try:
        for uid in (1, 2):
            turns = await memory.recent_turns(uid, f"telegram:{uid}")
            assert [(t.id, t.text) for t in turns] == before[f"telegram:{uid}"]
        newest = max(i for turns in before.values() for i, _ in turns)

        answer = await memory.add_turns(1, 1, "telegram:1", [("user", "hi"), ("assistant", "yo")])
        assert answer == newest + 2
        turns = await memory.recent_turns(1, "telegram:1")
        assert [t.text for t in turns[-3:]] == [before["telegram:1"][-1][1], "hi", "yo"]
        assert [t.id for t in turns] == sorted(t.id for t in turns)

        # /continue rewrites an answer found by its id alone.
        await memory.update_answer(answer, "yo, and more", cut=False)
        last = await memory.last_answer(1, "telegram:1")
        assert last is not None and (last.id, last.text) == (answer, "yo, and more")

        # The person's export holds every turn of theirs, in the order they were said.
        exported = await memory.export(1)
        texts = [t["text"] for t in exported["turns"]]
        assert texts == [text for _, text in before["telegram:1"]] + ["hi", "yo, and more"]
    finally:
        await memory.close()


async def test_two_processes_writing_at_once_never_share_a_turn_number(
    settings: Settings,
) -> None:
    # A second Memory on the same file is what `muse run` beside another process is:
    # each has its own connection and thread.
    one, other = Memory(settings.db_path), Memory(settings.db_path)
    await one.open()
    await other.open()
    try:
        a = await one.user_for("telegram", "1", "A", "person")
        b = await other.user_for("discord", "2", "B", "person")

        async def talk(memory: Memory, who: int, session: str) -> list[int]:
            return [
                await memory.add_turns(who, who, session, [("user", f"q{i}"), ("assistant", "a")])
                for i in range(60)
            ]

        ids_a, ids_b = await asyncio.gather(talk(one, a, "telegram:1"), talk(other, b, "discord:2"))
        assert not set(ids_a) & set(ids_b)
        for memory, who, session in ((one, a, "telegram:1"), (other, b, "discord:2")):
            turns = await memory.recent_turns(who, session, limit=200)
            assert len(turns) == 120
            assert [t.text for t in turns[::2]] == [f"q{i}" for i in range(60)]
    finally:
        await one.close()
        await other.close()
