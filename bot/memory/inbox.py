"""The inbox: every message Muse was asked, from its arrival until its answer is delivered.

A row is written before any work starts and deleted once the adapter has delivered the
whole answer, so after a crash or a SIGKILL the rows left over are exactly the messages
that never got one; the next start answers them or says they were interrupted.

Privacy: a row holds only what answering again needs (the text, the button, the names
for access checks) and lives only while the answer is on its way; photos are never kept
(their messages get the "interrupted" line instead of an answer)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlite_utils

from bot.memory.store import Store, now, rows
from bot.messages import Action, Incoming, SessionKey

# A row's life: "new" (arrived, being worked on), "delivering" (the first part of the
# answer was handed to the adapter: answering again could repeat it), "recovering" (a
# later start is dealing with it).
NEW, DELIVERING, RECOVERING = "new", "delivering", "recovering"
# `receive` of a message that a recovery is already answering: do nothing.
DUPLICATE = 0


class Received(NamedTuple):
    """A message recorded: its row, and whether an earlier run had it already (the
    platform handed it over again after a restart), and if so the day that run counted
    it against the quota, if it got that far."""

    id: int
    again: bool = False
    counted: str = ""  # the day an earlier run counted it against the quota, if it did


@dataclass(frozen=True)
class Pending:
    """A message left unanswered by an earlier run, as it was when that run stopped."""

    id: int
    platform: str
    chat_id: str
    thread_id: str | None
    sender_id: str
    sender_name: str
    sender_handle: str
    is_group: bool
    message_id: str
    text: str
    reply_to_text: str | None
    reply_to_id: str | None
    reply_to_muse: bool
    options: tuple[tuple[str, str], ...]
    action: str
    media: int  # attachments it had (never stored)
    state: str
    attempts: int  # how many times Muse had started on it
    received_at: str
    counted: str = ""  # the UTC day it was counted against the sender's quota, if it was

    @property
    def key(self) -> SessionKey:
        return SessionKey(self.platform, self.chat_id, self.thread_id)

    def age_s(self) -> float:
        received = datetime.fromisoformat(self.received_at)
        return (datetime.now(UTC) - received).total_seconds()

    def incoming(self) -> Incoming | None:
        """The message again, or None if it can't be rebuilt (its photo wasn't kept)."""
        action = Action.decode(self.action) if self.action else None
        if self.media or (self.action and action is None):
            return None
        return Incoming(
            self.key,
            self.sender_id,
            text=self.text,
            user_name=self.sender_name,
            user_handle=self.sender_handle,
            is_group=self.is_group,
            message_id=self.message_id,
            reply_to_text=self.reply_to_text,
            reply_to_id=self.reply_to_id,
            reply_to_muse=self.reply_to_muse,
            action=action,
            options=self.options,
        )


def _record(msg: Incoming, run: str) -> dict[str, Any]:
    assert msg.message_id is not None
    return {
        "run": run,
        "platform": msg.session.platform,
        "chat_id": msg.session.chat_id,
        "thread_id": msg.session.thread_id,
        "sender_id": msg.user_id,
        "sender_name": msg.user_name,
        "sender_handle": msg.user_handle,
        "is_group": int(msg.is_group),
        "message_id": msg.message_id,
        "text": msg.text,
        "reply_to_text": msg.reply_to_text,
        "reply_to_id": msg.reply_to_id,
        "reply_to_muse": int(msg.reply_to_muse),
        "options": json.dumps(msg.options, ensure_ascii=False) if msg.options else None,
        "action": msg.action.encode() if msg.action else "",
        "media": len(msg.attachments),
        "state": NEW,
        "attempts": 1,
        "received_at": now(),
    }


def _pending(row: dict[str, Any]) -> Pending:
    return Pending(
        id=row["id"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        sender_id=row["sender_id"],
        sender_name=row["sender_name"] or "",
        sender_handle=row["sender_handle"] or "",
        is_group=bool(row["is_group"]),
        message_id=row["message_id"],
        text=row["text"] or "",
        reply_to_text=row["reply_to_text"],
        reply_to_id=row["reply_to_id"],
        reply_to_muse=bool(row["reply_to_muse"]),
        options=tuple(tuple(o) for o in json.loads(row["options"] or "[]")),  # type: ignore[misc]
        action=row["action"] or "",
        media=row["media"] or 0,
        state=row["state"],
        attempts=row["attempts"],
        received_at=row["received_at"],
        counted=row["counted"] or "",
    )


class Inbox(Store):
    async def inbox_receive(self, msg: Incoming, run: str) -> Received:
        """Record a message before work on it starts; its row id, or DUPLICATE when a
        recovery is answering this very message, or will (a platform that delivered it
        again after the restart)."""
        record = _record(msg, run)

        def do(db: sqlite_utils.Database) -> Received:
            same = rows(
                db,
                "select id, run, state, counted from inbox where platform = ? and chat_id = ? "
                "and message_id = ? and action = ? order by id",
                record["platform"],
                record["chat_id"],
                record["message_id"],
                record["action"],
            )
            with db.conn:
                for row in same:
                    if row["state"] != NEW:
                        # A recovery answers it (this run's), or will (an earlier run's:
                        # part of its answer was out, so it gets the line, once).
                        return Received(DUPLICATE)
                    if row["run"] != run and row["state"] == NEW:
                        # Delivered again before the recovery got to it: answer it live.
                        db.execute(
                            "update inbox set run = ?, attempts = attempts + 1 where id = ?",
                            [run, row["id"]],
                        )
                        return Received(int(row["id"]), True, row["counted"] or "")
                return Received(int(db.table("inbox").insert(record).last_pk))  # type: ignore[arg-type]

        return await self._run(do)

    async def inbox_delivering(self, entry: int) -> None:
        await self._run(
            lambda db: _commit(
                db, "update inbox set state = ? where id = ? and state = ?", DELIVERING, entry, NEW
            )
        )

    async def inbox_counted(self, entry: int, day: str) -> None:
        """The message was counted against its sender's quota on `day` ("": given back)."""
        await self._run(
            lambda db: _commit(db, "update inbox set counted = ? where id = ?", day or None, entry)
        )

    async def inbox_done(self, entry: int) -> None:
        """The answer is delivered (or dealt with): forget the message."""
        await self._run(lambda db: _commit(db, "delete from inbox where id = ?", entry))

    async def inbox_unclaimed(self, run: str) -> list[Pending]:
        """What earlier runs left unanswered, on any platform, read without claiming it:
        the conversations a new start must keep for their recovery (Core.create)."""
        return await self._run(
            lambda db: [
                _pending(row)
                for row in rows(db, "select * from inbox where run != ? order by id", run)
            ]
        )

    async def inbox_leftovers(self, run: str, platforms: list[str]) -> list[Pending]:
        """Claim the messages earlier runs left unanswered on these platforms, oldest
        first, as they were (state and attempts before this claim)."""

        def do(db: sqlite_utils.Database) -> list[Pending]:
            marks = ",".join("?" * len(platforms))
            found = rows(
                db,
                f"select * from inbox where run != ? and platform in ({marks}) order by id",
                run,
                *platforms,
            )
            with db.conn:
                for row in found:
                    db.execute(
                        "update inbox set run = ?, state = ?, attempts = attempts + 1 where id = ?",
                        [run, RECOVERING, row["id"]],
                    )
            return [_pending(row) for row in found]

        if not platforms:
            return []
        return await self._run(do)

    def _export(self, db: sqlite_utils.Database, person: int) -> dict[str, Any]:
        data = super()._export(db, person)
        data["inbox"] = rows(db, f"select * from inbox where {_OF_PERSON} order by id", person)
        return data

    def _forget(self, db: sqlite_utils.Database, person: int) -> dict[str, int]:
        db.execute(f"delete from inbox where {_OF_PERSON}", [person])
        return super()._forget(db, person)


# The rows sent by any of a person's identities.
_OF_PERSON = (
    "(platform, sender_id) in (select platform, external_id from identities where user_id = ?)"
)


def _commit(db: sqlite_utils.Database, sql: str, *args: Any) -> None:
    with db.conn:
        db.execute(sql, list(args))
