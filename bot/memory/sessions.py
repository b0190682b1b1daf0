"""Group brainstorm sessions and the messages they posted (their ideas and votes are in
bot/memory/ideas.py), with each person's share in export, forget and linking. Every check
that must not race (one open session per place) runs in one call on the memory's
thread."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.memory.ideas import IDEA_SQL, Ideas
from bot.memory.session_records import (
    FORMER_MEMBER,
    IdeaRecord,
    SessionRecord,
    anonymise,
    credited,
    idea_record,
    iso_time,
    reassign,
    session_record,
)
from bot.memory.store import rows
from bot.messages import SessionKey


class SessionBusy(Exception):
    """Another session is already open in that place."""

    def __init__(self, existing: SessionRecord | None) -> None:
        super().__init__("a session is already open there")
        self.existing = existing


SESSION_SQL = (
    "select s.*, (select count(*) from ideas i where i.session_id = s.id) as idea_count "
    "from sessions s"
)


def _session(db: sqlite_utils.Database, where: str, *args: Any) -> SessionRecord | None:
    found = rows(db, f"{SESSION_SQL} where {where}", *args)
    return session_record(found[0]) if found else None


class SessionStore(Ideas):
    async def open_session(
        self,
        *,
        owner: int,
        key: SessionKey,
        origin: SessionKey,
        own_space: bool,
        topic: str,
        starter: int,
        starter_name: str,
        started_at: datetime,
        ends_at: datetime,
        start_message: str | None = None,
    ) -> SessionRecord:
        """A new open session where `key` points; SessionBusy if one is open there."""

        def do(db: sqlite_utils.Database) -> SessionRecord:
            record = {
                "owner_id": owner,
                "platform": key.platform,
                "chat_id": key.chat_id,
                "thread_id": key.thread_id,
                "run_key": str(key),
                "origin_chat_id": origin.chat_id,
                "origin_thread_id": origin.thread_id,
                "own_space": int(own_space),
                "opening_id": None,
                "topic": topic,
                "starter_id": starter,
                "starter_name": starter_name,
                "started_at": iso_time(started_at),
                "ends_at": iso_time(ends_at),
                "closed_at": None,
                "status": "open",
                "summary": None,
                "start_message_id": start_message,
            }
            try:
                with db.conn:
                    pk = db.table("sessions").insert(record).last_pk
            except sqlite3.IntegrityError:
                raise SessionBusy(
                    _session(db, "s.run_key = ? and s.status = 'open'", str(key))
                ) from None
            found = _session(db, "s.id = ?", pk)
            assert found is not None
            return found

        return await self._run(do)

    async def session(self, session_id: int) -> SessionRecord | None:
        return await self._run(lambda db: _session(db, "s.id = ?", session_id))

    async def session_at(self, key: SessionKey) -> SessionRecord | None:
        """The open session running in exactly this conversation."""
        return await self._run(
            lambda db: _session(db, "s.run_key = ? and s.status = 'open'", str(key))
        )

    async def last_session_at(self, key: SessionKey) -> SessionRecord | None:
        """The newest session that ran in exactly this conversation, open or closed."""
        return await self._run(
            lambda db: _session(db, "s.run_key = ? order by s.id desc limit 1", str(key))
        )

    async def last_session_started_at(
        self, key: SessionKey, by_message: str | None = None
    ) -> SessionRecord | None:
        """The newest session started from exactly this conversation (it may have run in
        a thread or topic of its own), open or closed; `by_message`: by that message."""
        where = "s.platform = ? and s.origin_chat_id = ? and s.origin_thread_id is ?"
        args = [key.platform, key.chat_id, key.thread_id]
        if by_message is not None:
            where, args = f"{where} and s.start_message_id = ?", [*args, by_message]
        return await self._run(
            lambda db: _session(db, f"{where} order by s.id desc limit 1", *args)
        )

    async def open_sessions_in_chat(self, platform: str, chat_id: str) -> list[SessionRecord]:
        def do(db: sqlite_utils.Database) -> list[SessionRecord]:
            found = rows(
                db,
                f"{SESSION_SQL} where s.platform = ? and s.chat_id = ? and s.status = 'open' "
                "order by s.id",
                platform,
                chat_id,
            )
            return [session_record(r) for r in found]

        return await self._run(do)

    async def sessions_to_resume(self) -> list[SessionRecord]:
        """Open sessions (to re-arm or close) and closed ones whose summary never got
        written (Muse stopped while closing them)."""

        def do(db: sqlite_utils.Database) -> list[SessionRecord]:
            found = rows(
                db,
                f"{SESSION_SQL} where s.status = 'open' "
                "or (s.status = 'closed' and s.summary is null) order by s.ends_at",
            )
            return [session_record(r) for r in found]

        return await self._run(do)

    async def group_sessions(self, owner: int, limit: int = 15) -> list[SessionRecord]:
        def do(db: sqlite_utils.Database) -> list[SessionRecord]:
            found = rows(
                db, f"{SESSION_SQL} where s.owner_id = ? order by s.id desc limit ?", owner, limit
            )
            return [session_record(r) for r in found]

        return await self._run(do)

    async def set_opening(self, session_id: int, message_id: str) -> None:
        await self._run(
            lambda db: db.table("sessions").update(session_id, {"opening_id": message_id})
        )

    async def close_session(self, session_id: int, at: datetime) -> SessionRecord | None:
        """Close an open session; None if it was not open (someone else closed it)."""

        def do(db: sqlite_utils.Database) -> SessionRecord | None:
            with db.conn:
                changed = db.execute(
                    "update sessions set status = 'closed', closed_at = ? "
                    "where id = ? and status = 'open'",
                    [iso_time(at), session_id],
                ).rowcount
            return _session(db, "s.id = ?", session_id) if changed else None

        return await self._run(do)

    async def discard_session(self, session_id: int) -> None:
        """Delete an open session that never showed anything (no opening, no ideas): its
        opening could not be posted, so nobody can see it or should meet it later."""

        def do(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.execute(
                    "delete from sessions where id = ? and status = 'open' and opening_id is "
                    "null and not exists (select 1 from ideas where session_id = ?)",
                    [session_id, session_id],
                )

        await self._run(do)

    async def save_summary(
        self, session_id: int, summary: dict[str, Any], ideas: Sequence[IdeaRecord] = ()
    ) -> dict[str, Any]:
        """Store a summary built from `ideas` as they were read, and return it as stored.
        The model writes for a while after that read: someone who was forgotten meanwhile
        (their ideas are gone) is credited to "a former member", someone who linked
        accounts to their kept person, in the same step as the save — as /forget and
        /link do to the summaries stored before them."""

        def do(db: sqlite_utils.Database) -> dict[str, Any]:
            with db.conn:
                for idea in ideas:
                    if idea.author_id is None:
                        continue
                    now_by = db.execute(
                        "select author_id from ideas where id = ?", [idea.id]
                    ).fetchone()
                    if now_by is None:
                        anonymise(summary, idea.author_id)
                    elif now_by[0] != idea.author_id:
                        reassign(summary, idea.author_id, int(now_by[0]))
                blob = json.dumps(summary, ensure_ascii=False)
                db.table("sessions").update(session_id, {"summary": blob})
            return summary

        return await self._run(do)

    async def add_session_messages(
        self, session: SessionRecord, message_ids: list[str], idea_id: int | None = None
    ) -> None:
        records = [
            {
                "platform": session.key.platform,
                "chat_id": session.key.chat_id,
                "message_id": mid,
                "session_id": session.id,
                "idea_id": idea_id,
            }
            for mid in message_ids
        ]
        if records:
            await self._run(
                lambda db: db.table("session_messages").upsert_all(
                    records, pk=("platform", "chat_id", "message_id")
                )
            )

    async def session_of_message(
        self, key: SessionKey, message_id: str
    ) -> tuple[SessionRecord, int | None] | None:
        """The session (and idea) a message of this chat belongs to, if Muse posted it."""

        def do(db: sqlite_utils.Database) -> tuple[SessionRecord, int | None] | None:
            row = db.execute(
                "select session_id, idea_id from session_messages "
                "where platform = ? and chat_id = ? and message_id = ?",
                [key.platform, key.chat_id, message_id],
            ).fetchone()
            if row is None:
                return None
            session = _session(db, "s.id = ?", row[0])
            return (session, row[1]) if session else None

        return await self._run(do)

    async def session_message_ids(self, session_id: int) -> list[tuple[str, int | None]]:
        """(message id, idea id) of everything the session posted, oldest first."""

        def do(db: sqlite_utils.Database) -> list[tuple[str, int | None]]:
            cur = db.execute(
                "select message_id, idea_id from session_messages where session_id = ? "
                "order by rowid",
                [session_id],
            )
            return [(str(m), i) for m, i in cur]

        return await self._run(do)

    async def traces_in_open_sessions(
        self, person: int
    ) -> tuple[list[IdeaRecord], list[IdeaRecord], list[SessionRecord]]:
        """What `person` left on running sessions' messages: their own ideas (shown with
        their name), others' ideas that show them (a count with their vote, a riff
        credited "riff on #4 by Ben") and the sessions they started (the opening names
        its starter)."""

        def do(
            db: sqlite_utils.Database,
        ) -> tuple[list[IdeaRecord], list[IdeaRecord], list[SessionRecord]]:
            running = "i.session_id in (select id from sessions where status = 'open')"
            mine = rows(db, f"{IDEA_SQL} where i.author_id = ? and {running}", person)
            shown = rows(
                db,
                f"{IDEA_SQL} where {running} and (i.author_id is null or i.author_id != ?) "
                "and (i.id in (select idea_id from votes where voter_id = ?) "
                "     or i.parent_id in (select id from ideas where author_id = ?))",
                person,
                person,
                person,
            )
            started = rows(
                db, f"{SESSION_SQL} where s.starter_id = ? and s.status = 'open'", person
            )
            return (
                [idea_record(r) for r in mine],
                [idea_record(r) for r in shown],
                [session_record(r) for r in started],
            )

        return await self._run(do)

    # -- export / forget ---------------------------------------------------

    def _export(self, db: sqlite_utils.Database, person: int) -> dict[str, Any]:
        data = super()._export(db, person)
        data["session_ideas"] = rows(
            db,
            "select i.id, i.session_id, s.topic as session_topic, i.text, i.parent_id, i.via, "
            "i.author_name, i.created_at from ideas i join sessions s on s.id = i.session_id "
            "where i.author_id = ? order by i.id",
            person,
        )
        data["session_votes"] = rows(
            db,
            "select v.idea_id, i.session_id, v.created_at from votes v "
            "join ideas i on i.id = v.idea_id where v.voter_id = ? order by v.rowid",
            person,
        )
        data["sessions_started"] = rows(
            db,
            "select id, topic, started_at, ends_at, status from sessions where starter_id = ? "
            "order by id",
            person,
        )
        # A stored summary names them (and quotes their ideas) in its top ideas and
        # contributors: what it keeps about them, which /forget rewrites to "a former
        # member", is theirs to see too.
        data["session_summaries"] = [
            {"session_id": sid, "session_topic": topic, "entries": entries}
            for sid, topic, blob in db.execute(
                "select id, topic, summary from sessions where summary is not null order by id"
            ).fetchall()
            if (entries := credited(json.loads(blob), person))
        ]
        return data

    def _forget(self, db: sqlite_utils.Database, person: int) -> dict[str, int]:
        mine = "(select id from ideas where author_id = ?)"
        votes = db.execute("delete from votes where voter_id = ?", [person]).rowcount
        # Others' votes on their ideas go with the ideas; riffs on them stay, detached.
        db.execute(f"delete from votes where idea_id in {mine}", [person])
        db.execute(f"update ideas set parent_id = null where parent_id in {mine}", [person])
        # The message stays in the chat: a reply to it still counts for the session.
        db.execute(f"update session_messages set idea_id = null where idea_id in {mine}", [person])
        ideas = db.execute("delete from ideas where author_id = ?", [person]).rowcount
        db.execute(
            "update sessions set starter_id = null, starter_name = ? where starter_id = ?",
            [FORMER_MEMBER, person],
        )
        for sid, blob in db.execute(
            "select id, summary from sessions where summary is not null"
        ).fetchall():
            summary = json.loads(blob)
            if anonymise(summary, person):
                db.execute(
                    "update sessions set summary = ? where id = ?",
                    [json.dumps(summary, ensure_ascii=False), sid],
                )
        return {"session_ideas": ideas, "session_votes": votes, **super()._forget(db, person)}

    def _unlink(self, db: sqlite_utils.Database, old: int, new: int, platform: str) -> None:
        # A session runs on one platform: what `old` did in one still running there was
        # done by the account split off. It stays that account's: its starter may end
        # it, its vote is taken back by a second press (not given twice), and it is one
        # member in the summary.
        running = "(select id from sessions where status = 'open' and platform = ?)"
        ideas = f"(select id from ideas where session_id in {running})"
        for sql in (
            f"update sessions set starter_id = ? where starter_id = ? and id in {running}",
            f"update ideas set author_id = ? where author_id = ? and session_id in {running}",
            f"update votes set voter_id = ? where voter_id = ? and idea_id in {ideas}",
        ):
            db.execute(sql, [new, old, platform])
        super()._unlink(db, old, new, platform)

    def _merge(self, db: sqlite_utils.Database, keep: int, gone: int) -> None:
        # Ideas, votes (a vote both identities gave counts once) and starters move with
        # the base sweep of user columns; stored summaries name authors by id inside their
        # JSON, so a later /forget of the linked person still finds their entries.
        for sid, blob in db.execute(
            "select id, summary from sessions where summary is not null"
        ).fetchall():
            summary = json.loads(blob)
            if reassign(summary, gone, keep):
                db.execute(
                    "update sessions set summary = ? where id = ?",
                    [json.dumps(summary, ensure_ascii=False), sid],
                )
        super()._merge(db, keep, gone)
