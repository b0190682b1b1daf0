"""A group chat that got a new id (Telegram upgrades a basic group to a supergroup when
it turns on Topics, goes public or grows past 200 members): its memory follows it, and
a session running there carries on in the new chat. Its old messages stay in the old
chat, where nothing can be sent, edited or replied any more, so the opening and the
ideas so far are posted again, with their buttons, for the group to go on voting."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.memory.session_records import SessionRecord
from bot.outbox import NoOutbox
from bot.skills.session_render import idea_reply, opening_reply

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

MOVED = "This group is now a supergroup: the session carries on here, its ideas so far below."


async def chat_moved(core: Core, platform: str, old: str, new: str) -> None:
    """Move what belongs to chat `old` to chat `new` (safe to call twice)."""
    for session_id in await core.memory.move_chat(platform, old, new):
        session = await core.memory.session(session_id)
        if session is None or not session.is_open:
            continue
        try:
            await _post_again(core, session)
        except NoOutbox:
            return
        except Exception:  # the session itself moved; its timer still ends it
            log.exception("session %s: posting it in its new chat failed", session_id)


async def _post_again(core: Core, session: SessionRecord) -> None:
    opening = opening_reply(session, core.clock.now())
    ids = await core.post(session.key, replace(opening, text=f"{opening.text}\n{MOVED}"))
    if not ids:
        return
    await core.memory.set_opening(session.id, ids[0])
    await core.memory.add_session_messages(session, ids)
    reply_to = None if session.own_space else ids[0]
    for idea in await core.memory.ideas(session.id):
        shown = await core.post(session.key, idea_reply(idea, True), reply_to=reply_to)
        await core.memory.add_session_messages(session, shown, idea.id)
