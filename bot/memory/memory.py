"""The Memory facade: every domain mixin on one SQLite worker thread."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bot.memory.conversation import Conversation
from bot.memory.drafts import Drafts
from bot.memory.embeddings import Embeddings
from bot.memory.inbox import Inbox
from bot.memory.links import Links
from bot.memory.people import People
from bot.memory.series import Series
from bot.memory.sessions import SessionStore
from bot.memory.store import now


# Order matters for /forget: each mixin deletes its rows, then calls the next. Session
# ideas and votes first; vectors before the drafts and posts they point at; the inbox
# before People, since it finds a person's rows through their identities; People (the
# user row everything points to) last.
class Memory(SessionStore, Embeddings, Series, Drafts, Conversation, Links, Inbox, People):
    """All persistent state, one method per question the core asks."""

    async def export(self, person: int) -> dict[str, Any]:
        """Everything stored about one person: every linked identity, profile, their turns,
        drafts, series and posts (including what they asked for inside groups), the ideas
        and votes they gave in group sessions, and messages still being answered."""

        def do(db: sqlite_utils.Database) -> dict[str, Any]:
            return {"format": "muse-export/1", "exported_at": now(), **self._export(db, person)}

        return await self._run(do)

    async def forget(self, person: int) -> dict[str, int]:
        """Delete everything about one person, for real (rows gone, file vacuumed).

        In WAL mode VACUUM writes the rebuilt file into muse.db-wal, and until a
        checkpoint both muse.db and the log still hold the deleted rows' bytes: a
        TRUNCATE checkpoint copies the clean pages into muse.db and empties the log."""

        def do(db: sqlite_utils.Database) -> dict[str, int]:
            with db.conn:
                counts = self._forget(db, person)
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return counts

        return await self._run(do)
