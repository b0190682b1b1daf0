"""One creator does everything Muse can store, with a marker word in all they send; then
their export is checked against a dump of every table, and after /forget (or `muse
forget --yes`) every table, the database file, its write-ahead log and the log are
scanned for what is left. Another creator, in the same chats, must be untouched."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.memory.store import USER_COLUMNS
from bot.messages import Action, Attachment, Incoming, SessionKey
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.outbox import RecordingOutbox
from tests.helpers import muse_cli
from tests.session_kit import SEEDS, SUMMARY, Group
from tests.test_link import CODE_RE
from tests.test_recovery import cut_off, next_start

ZEB = "zebulonquartz"  # in everything the creator sends
OLA = "oxblossomtide"  # in everything the other creator sends
Row = dict[str, Any]


@dataclass
class Scene:
    settings: Settings
    zeb: set[int]  # the creator's user ids (one, once linked)
    ola: set[int]  # the other creator's (one per app: they never linked)


@pytest.fixture
def settings(muse_env: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # Quotas on, so the usage counters are stored too.
    monkeypatch.setenv("MUSE_TELEGRAM__DAILY_QUOTA", "500")
    monkeypatch.setenv("MUSE_DISCORD__DAILY_QUOTA", "500")
    return load_settings()


def dm(who: str, text: str = "", mid: int = 0, **kw: Any) -> Incoming:
    name = {"111": f"Zeb {ZEB}", "222": f"Ola {OLA}"}[who]
    return Incoming(SessionKey("telegram", who), who, text=text, user_name=name,
                    message_id=str(mid), **kw)  # fmt: skip


async def everything(settings: Settings) -> Scene:
    """Zeb (telegram 111, linked to discord 2001) and Ola (telegram 222, discord 2003) do
    all there is; a message of Zeb's is left pending by a stop, and one was answered
    after a restart."""
    await cut_off(settings, dm("111", f"SLOW {ZEB} answered after the restart", 1))
    await next_start(settings)
    core = await Core.create(settings)
    core.clock = FakeClock()
    model = core.llm.model
    assert isinstance(model, ScriptedChatModel)
    mids = itertools.count(100)

    async def say(who: str, text: str = "", **kw: Any) -> str:
        return (await core.respond(dm(who, text, next(mids), **kw)))[-1].text

    photo = Attachment("image", data=b"\xff\xd8" + b"\x01" * 512, mime="image/jpeg")
    for who, mark in (("111", ZEB), ("222", OLA)):
        await say(who, f"/style voice: {mark} calm | audience: {mark} fans | avoid: {mark}ish")
        await say(who, f"/caption a {mark} lighthouse for instagram", attachments=(photo,))
        await say(who, f"/brainstorm {mark} bakery 3")
        await say(who, f"/remix {mark} words to remix for linkedin")
        await say(who, f"/series new {mark} Mornings | a {mark} dawn ride")
        await say(who, f"/posted {mark} final words https://example.com/{mark}")
        await say(who, "/next")
        await say(who, "/novelty")
        await say(who, f"tell me about {mark} mornings")
    zeb = await core.memory.find_user("telegram", "111")
    assert zeb is not None
    first = (await core.memory.export(zeb))["drafts"][0]["id"]
    for verb, arg in (("pick", ""), ("more", ""), ("shorter", ""), ("platform", "x")):
        await say("111", action=Action(verb, first, arg))  # type: ignore[arg-type]
    code = CODE_RE.search(await say("111", "/link"))
    assert code

    box = RecordingOutbox("discord")
    core.attach("discord", box)
    names = {"2001": f"Zed {ZEB}", "2002": "Ana", "2003": f"Ola {OLA}"}
    group = Group(core, box, chat="g1", names=names)
    assert "Linked ✓" in await group.line("2001", f"/link {code.group(1)}")
    for who, mark in (("2001", ZEB), ("2003", OLA)):
        await group.say(who, f"/caption a {mark} team photo")
        await group.say(who, f"what about {mark} for the team")
    model.enqueue(SEEDS)
    opened = len(box.posts)
    await group.say("2002", "/session start names for our stream 20")
    thread = box.posts[opened].key
    await group.say("2001", f"/idea {ZEB} radio", thread=thread)  # idea #4
    await group.say("2001", f"{ZEB} night shift", thread=thread, addressed=False)  # #5
    await group.say("2003", f"/idea {OLA} radio", thread=thread)  # #6
    await group.press("2001", Action("vote", 6), thread=thread)
    await group.press("2003", Action("vote", 4), thread=thread)
    await group.press("2003", Action("vote", 1), thread=thread)
    model.enqueue(f"1. {ZEB} radio FM\n2. Rainy {ZEB} radio")
    await group.say("2001", f"/riff #4 {ZEB} more retro", thread=thread)
    model.enqueue(SUMMARY)
    await group.say("2002", "/session end", thread=thread)
    ola = {await core.memory.find_user(*i) for i in (("telegram", "222"), ("discord", "2003"))}
    await core.close()
    await cut_off(settings, dm("111", f"SLOW {ZEB} still waiting", 2))
    return Scene(settings, {zeb}, {o for o in ola if o is not None})


def dump(path: Path) -> dict[str, list[Row]]:
    """Every row of every table, as stored."""
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        return {t: [dict(r) for r in db.execute(f"select * from [{t}]")] for t in tables}


def mentions(row: Row, ids: set[int], accounts: set[tuple[str, str]], mark: str) -> bool:
    """Does a row hold the mark, point at one of the user ids (in a user column or in a
    stored summary), or come from one of the accounts?"""
    if any(row.get(c) in ids for c in USER_COLUMNS):
        return True
    if (row.get("platform"), row.get("sender_id") or row.get("external_id")) in accounts:
        return True
    if row.get("summary") and any(
        e.get("author_id") in ids
        for part in ("top", "contributors")
        for e in json.loads(row["summary"])[part]
    ):
        return True
    return any(isinstance(v, str) and mark in v for v in row.values())


def rows_of(
    tables: dict[str, list[Row]], ids: set[int], accounts: set[tuple[str, str]], mark: str
) -> dict[str, list[Row]]:
    """Each table's rows about someone, and the vectors of their drafts and posts (a
    draft asked for in a group is the group's, its vector too, but it is theirs)."""
    found = {t: [r for r in rs if mentions(r, ids, accounts, mark)] for t, rs in tables.items()}
    items = {("draft", r["id"]) for r in found["drafts"]} | {
        ("post", r["id"]) for r in found["posts"]
    }
    found["embeddings"] = [
        r
        for r in tables["embeddings"]
        if (r["item_kind"], r["item_id"]) in items or mentions(r, ids, accounts, mark)
    ]
    return found


def leaves(value: Any) -> set[str]:
    """Every string in an export (and inside the JSON strings it holds)."""
    if isinstance(value, dict):
        return {s for v in value.values() for s in leaves(v)}
    if isinstance(value, list):
        return {s for v in value for s in leaves(v)}
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            return {value} | leaves(json.loads(value))
        except ValueError:
            pass
    return {str(value)}


ACCOUNTS = {("telegram", "111"), ("discord", "2001")}
# What stays after /forget, as README promises: a group's own memory. Muse's seed
# and riff ideas in a session (riffs on the creator's idea included), and a stored
# summary, where the creator's entries now credit "a former member".
GROUPS_OWN = {"ideas": lambda r: r["author_id"] is None, "sessions": lambda r: True}


def export_misses(data: dict[str, Any], tables: dict[str, list[Row]], zeb: set[int]) -> list[Any]:
    """The creator's rows the export lacks: each text with the mark, each vector, and
    each entry of a stored summary that credits them."""
    shown, missing = leaves(data), []
    vectors = {(e["item_kind"], e["item_id"], e["vector"]) for e in data["embeddings"]}
    summaries = [e for s in data.get("session_summaries", []) for e in s["entries"]]
    for table, found in rows_of(tables, zeb, ACCOUNTS, ZEB).items():
        for row in found:
            if table == "ideas" and row["author_id"] is None:
                continue  # Muse's own idea in a group's session (a riff on theirs)
            if table == "embeddings":
                vector = base64.b64encode(row["vector"]).decode()
                if (row["item_kind"], row["item_id"], vector) not in vectors:
                    missing.append((table, row["item_kind"], row["item_id"]))
            elif table == "sessions":  # what a stored summary keeps about them
                for part in ("top", "contributors"):
                    for entry in json.loads(row["summary"] or "{}").get(part, []):
                        if entry.get("author_id") in zeb and entry not in summaries:
                            missing.append((table, entry))
            else:
                for column, value in row.items():
                    if isinstance(value, str) and ZEB in value and value not in shown:
                        missing.append((table, column, value[:60]))
    return missing


async def test_the_export_holds_every_row_that_mentions_the_creator(settings: Settings) -> None:
    scene = await everything(settings)
    tables = dump(settings.db_path)
    out = muse_cli("export", "--platform", "discord", "--user", "2001")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert export_misses(data, tables, scene.zeb) == []
    # Every kind of row is really there (the scenario did store each).
    for key in ("drafts", "turns", "series", "posts", "embeddings", "inbox", "usage"):
        assert data[key], key
    assert len(data["session_ideas"]) == 2 and len(data["session_votes"]) == 1
    assert data["session_summaries"][0]["entries"]
    assert len(data["embeddings"]) == len(data["drafts"]) + len(data["posts"])
    assert OLA not in json.dumps(data, ensure_ascii=False)


def theirs_left(tables: dict[str, list[Row]], zeb: set[int]) -> list[Any]:
    return [
        (table, row)
        for table, found in rows_of(tables, zeb, ACCOUNTS, ZEB).items()
        for row in found
        if not (table in GROUPS_OWN and GROUPS_OWN[table](row))
    ]


def others(tables: dict[str, list[Row]], ola: set[int]) -> dict[str, list[Row]]:
    """Ola's rows, but for the votes she gave Zeb's ideas (they go with the ideas) and
    the session summaries (checked apart)."""
    accounts = {("telegram", "222"), ("discord", "2003")}
    found = rows_of(tables, ola, accounts, OLA)
    return {t: rs for t, rs in found.items() if t not in ("sessions", "votes")}


@pytest.mark.parametrize("how", ["chat", "cli"])
async def test_after_forget_nothing_of_the_creator_is_left_and_others_are_untouched(
    settings: Settings, how: str
) -> None:
    scene = await everything(settings)
    before = dump(settings.db_path)
    gone = {
        value
        for table, row in theirs_left(before, scene.zeb)
        for value in row.values()
        if isinstance(value, str) and ZEB in value
    }
    if how == "cli":
        done = muse_cli("forget", "--platform", "telegram", "--user", "111", "--yes")
        assert done.returncode == 0, done.stderr
    else:
        core = await Core.create(settings)
        await core.start()  # answers the message left waiting first
        replies = await core.respond(dm("111", "/forget confirm", 900))
        assert "I no longer know you" in replies[-1].text
        await core.close()
    after = dump(settings.db_path)

    assert theirs_left(after, scene.zeb) == []
    summary = json.loads(after["sessions"][0]["summary"])
    assert {e["author"] for e in summary["contributors"]} == {
        "a former member",
        "Muse",
        f"Ola {OLA}",
    }
    # Not in the file's free pages, its write-ahead log, nor the log either.
    kept = {  # what the group keeps (its own memory, see GROUPS_OWN) may quote them
        v for t in GROUPS_OWN for r in after[t] for v in leaves(r) if ZEB in v
    }
    for path in settings.data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            left = [g for g in gone if g.encode() in content and not any(g in k for k in kept)]
            assert left == [], path.name
    assert others(after, scene.ola) == others(before, scene.ola)


def zeb_in_a_group(core: Core) -> Group:
    """Zeb, in a Discord server channel Muse answers in."""
    box = RecordingOutbox("discord")
    core.attach("discord", box)
    return Group(core, box, chat="g1", names={"2001": f"Zed {ZEB}"})


async def test_a_vector_computed_while_the_creator_was_forgotten_is_not_kept(
    server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`muse forget` in another process deletes a post between its saving and its
    vector's (the embeddings server is slow): the vector must not outlive the post."""
    monkeypatch.setenv("MUSE_EMBEDDINGS__PROVIDER", "openai")
    core = await Core.create(load_settings())
    try:
        group = zeb_in_a_group(core)
        server.hold()
        posting = asyncio.create_task(group.say("2001", f"/posted {ZEB} launch day"))
        await server.wait_for_requests(1, embeddings=True)
        zeb = await core.memory.find_user("discord", "2001")
        assert zeb is not None and (await core.memory.export(zeb))["posts"]
        await core.memory.forget(zeb)  # as `muse forget --yes` does, from outside
        server.release()
        await posting
        with sqlite3.connect(core.settings.db_path) as db:
            left = db.execute(
                "select item_kind, item_id from embeddings e where not exists "
                "(select 1 from posts p where e.item_kind = 'post' and p.id = e.item_id) "
                "and not exists "
                "(select 1 from drafts d where e.item_kind = 'draft' and d.id = e.item_id)"
            ).fetchall()
        assert left == []
    finally:
        await core.close()


async def test_what_an_answer_stores_after_its_asker_was_forgotten_is_not_kept(
    server: FakeOpenAI,
) -> None:
    """`muse forget` from another process while the model is still writing a caption Zeb
    asked for in a group: the drafts and conversation turn that answer stores after it
    are his, and must not stay behind under a user that no longer exists."""
    core = await Core.create(load_settings())
    try:
        group = zeb_in_a_group(core)
        server.hold()
        asking = asyncio.create_task(group.say("2001", f"/caption a {ZEB} team photo"))
        await server.wait_for_requests(1)
        zeb = await core.memory.find_user("discord", "2001")
        assert zeb is not None
        await core.memory.forget(zeb)  # as `muse forget --yes` does, from outside
        server.release()
        told = (await asking)[-1]
        assert told.is_error and "deleted while I was writing this" in told.text
        tables = dump(core.settings.db_path)
        users = {u["id"] for u in tables["users"]}
        left = [
            (t, r) for t in ("drafts", "turns", "posts") for r in tables[t]
            if r["author_id"] not in users
        ]  # fmt: skip
        assert left == []
    finally:
        await core.close()
