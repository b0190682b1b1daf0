"""The schema changes that came after bot/memory/migrations.py was full: the same
mechanism, continued. `MORE` is applied after that file's own migrations, in order (its
MIGRATIONS lists them), and the same rules hold: each one is a small function named
m<number>_<what> (numbers go on from the last), applied once and recorded by that name in
`_migrations`; append new ones at the end, never edit one that has shipped."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def m803_inbox_counted(db: sqlite_utils.Database) -> None:
    """The UTC day a waiting message was counted against its sender's daily quota (NULL:
    it was not, e.g. a free command or an admin's): when the next start can only tell
    them to send it again, that request is given back — and only then."""
    db.table("inbox").add_column("counted", str)


def m804_authors_exist(db: sqlite_utils.Database) -> None:
    """A draft, turn or post asked for in a group is the group's (owner) but names its
    author, with no foreign key: one written after `muse forget` deleted that person (their
    answer was still being written) stayed, theirs and unreachable. Refused now, as a row
    pointing at any deleted user is (bot.errors.Forgotten: the answer goes with them)."""
    for table in ("drafts", "turns", "posts"):
        db.execute(
            f"create trigger {table}_author_exists before insert on {table} when "
            "new.author_id is not null and not exists (select 1 from users where id = "
            "new.author_id) begin select raise(abort, 'FOREIGN KEY constraint failed'); end"
        )


def m805_session_start_message(db: sqlite_utils.Database) -> None:
    """The id of the message that started a session: answered again after a restart,
    that very /session start finds its session (closed, if it ran out while Muse was
    down) rather than starting a second one on the same topic."""
    db.table("sessions").add_column("start_message_id", str)


MORE: list[Callable[[sqlite_utils.Database], None]] = [
    m803_inbox_counted,
    m804_authors_exist,
    m805_session_start_message,
]
