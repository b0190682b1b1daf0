"""Memory survives restarts, migrations run once, context is cut to a budget."""

from __future__ import annotations

import sqlite3

from bot.config import Settings
from bot.core import Core
from bot.llm.engine import fit_history
from bot.memory import Memory
from bot.memory.migrations import MIGRATIONS
from bot.skills.common import to_messages
from tests.helpers import ask


async def test_everything_survives_a_restart(settings: Settings) -> None:
    core = await Core.create(settings)
    await ask(core, "/style voice: sunny | platforms: x")
    first = await ask(core, "/caption a tram")
    await core.close()

    core = await Core.create(settings)
    try:
        assert "Voice: sunny" in (await ask(core, "/style")).text
        history = await ask(core, "/history")
        assert all(f"#{d.id}" in history.text for d in first.drafts)
        remix = await ask(core, f"/remix #{first.drafts[0].id}")
        assert remix.drafts[0].parent_id == first.drafts[0].id
        assert remix.drafts[0].platform == "x"  # from the profile's platforms
    finally:
        await core.close()


async def test_migrations_run_once_and_are_recorded(settings: Settings) -> None:
    memory = Memory(settings.db_path)
    assert await memory.open() == [m.__name__ for m in MIGRATIONS]
    await memory.close()
    memory = Memory(settings.db_path)
    assert await memory.open() == []
    await memory.close()
    with sqlite3.connect(settings.db_path) as conn:
        names = [r[0] for r in conn.execute("select name from _migrations")]
        assert names == [m.__name__ for m in MIGRATIONS]
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"


async def test_context_is_cut_to_the_token_budget_newest_first(settings: Settings) -> None:
    memory = Memory(settings.db_path)
    await memory.open()
    try:
        me = await memory.user_for("console", "me", "Me", "person")
        for i in range(50):
            await memory.add_turn(me, me, "s", "user", f"turn {i} " + "x" * 200)
        turns = fit_history(to_messages(await memory.recent_turns(me, "s")), 300)
        assert 1 <= len(turns) < 50
        texts = [str(t.content) for t in turns]
        assert texts[-1].startswith("turn 49 ")  # the newest is kept
        assert [t.split()[1] for t in texts] == sorted(
            (t.split()[1] for t in texts), key=int
        )  # returned oldest first
        assert await memory.recent_turns(me, "other") == []
        # A conversation that fits the budget is kept whole, in order.
        whole = fit_history(to_messages(await memory.recent_turns(me, "s", limit=5)), 300)
        assert [str(t.content).split()[1] for t in whole] == ["45", "46", "47", "48", "49"]
    finally:
        await memory.close()


async def test_one_person_many_identities_are_distinct_until_linked(settings: Settings) -> None:
    memory = Memory(settings.db_path)
    await memory.open()
    try:
        a = await memory.user_for("telegram", "42", "Ann", "person")
        assert await memory.user_for("telegram", "42", "Ann", "person") == a
        assert await memory.user_for("discord", "42", "Ann", "person") != a
    finally:
        await memory.close()


async def test_forget_leaves_no_byte_of_it_in_the_data_dir(core: Core, settings: Settings) -> None:
    """Not in muse.db, and not in the write-ahead log beside it (where VACUUM puts the
    rebuilt file, while the old pages wait in muse.db for a checkpoint)."""
    await ask(core, "/style voice: Quokkafluff warm")
    await ask(core, "/caption a Quokkafluff tram at dawn")
    await ask(core, "tell me about Quokkafluff", chat="c1")
    await ask(core, "/forget confirm")
    for path in settings.data_dir.iterdir():
        if path.is_file():
            assert b"Quokkafluff" not in path.read_bytes(), path.name


async def test_export_holds_the_vectors_of_every_draft_and_post_it_holds(core: Core) -> None:
    """Also of those asked for in a group (which /forget deletes with them)."""
    await ask(core, "/caption a tram at dawn", user="ann", chat="ann")
    await ask(core, "/caption a team offsite", user="ann", chat="team", group=True)
    await ask(core, "/posted our offsite in pictures", user="ann", chat="team", group=True)
    person = await core.memory.find_user("console", "ann")
    assert person is not None
    data = await core.memory.export(person)
    held = {("draft", d["id"]) for d in data["drafts"]} | {("post", p["id"]) for p in data["posts"]}
    vectors = {(e["item_kind"], e["item_id"]) for e in data["embeddings"]}
    assert len(held) == 7 and vectors == held


async def test_an_export_shows_words_to_avoid_in_their_own_script(core: Core) -> None:
    """The words to avoid (and platforms) are stored as a JSON list inside the row: it
    was written with \\u escapes, so a person reading their export saw "[\\"\\u65c5\\"]"
    where they had typed 旅."""
    await ask(core, "/style voice: 温かい | avoid: 旅, путешествие")
    export = (await ask(core, "/export")).attachments[0].data or b""
    assert "旅" in export.decode() and "путешествие" in export.decode()
    assert "Avoid: “旅”, “путешествие”" in (await ask(core, "/style")).text
