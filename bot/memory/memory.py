"""The Memory facade: every domain mixin on one SQLite worker thread."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bot.memory.conversation import Conversation
from bot.memory.drafts import Drafts
from bot.memory.inbox import Inbox
from bot.memory.people import People
from bot.memory.sessions import SessionStore
from bot.memory.store import now


# Order matters for /forget: each mixin deletes its rows, then calls the next; People
# (the user row everything points to) comes last.
class Memory(SessionStore, Drafts, Conversation, Inbox, People):
    """All persistent state, one method per question the core asks."""

    async def export(self, person: int) -> dict[str, Any]:
        """Everything stored about one person: identities, profile, their turns and drafts
        (including what they asked for inside groups), the ideas and votes they gave in
        group sessions."""

        def do(db: sqlite_utils.Database) -> dict[str, Any]:
            return {"format": "muse-export/1", "exported_at": now(), **self._export(db, person)}

        return await self._run(do)

    async def forget(self, person: int) -> dict[str, int]:
        """Delete everything about one person, for real (rows gone, file vacuumed)."""

        def do(db: sqlite_utils.Database) -> dict[str, int]:
            with db.conn:
                counts = self._forget(db, person)
            db.execute("VACUUM")
            return counts

        return await self._run(do)
