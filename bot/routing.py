"""Where a message goes: a command of the registry, a button's action, a session's idea,
a photo to caption, or free chat; the notices about how it was read (a cut, an unknown
network) go in front of its answer. Core.handle keeps the order, policy and failures."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.context import Context
from bot.errors import BadInput
from bot.incoming_text import cleaned, unusable
from bot.memory.session_records import SessionRecord
from bot.messages import Incoming, Outgoing, Reply
from bot.skills import account, session_buttons, session_ideas

if TYPE_CHECKING:
    from bot.core import Core

# As on Telegram, "/brainstorm東京の朝" is /brainstorm and its words (CJK: no spaces), and
# "/caption: a tram" or "/help?" the command (they were chat, the model answering them).
COMMAND_RE = re.compile(
    r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?"
    r"(?:[:,.!?;—–]+|\s+|$|(?=[^\x00-\u024f\u0300-\u036f\u1e00-\u1eff]))(.*)$",
    re.S,
)
SESSION_ACTIONS = frozenset({"vote", "riff", "idea"})


async def context_for(core: Core, msg: Incoming, args: str) -> Context:
    group = f"chat:{msg.session.chat_id}" if msg.is_group else None
    person, owner, profile = await core.memory.people_for(
        msg.session.platform, msg.user_id, msg.user_name, group
    )
    return Context(core, msg, person=person, owner=owner, args=args, profile=profile)


async def route(
    core: Core, msg: Incoming, idea_for: tuple[SessionRecord, str] | None = None
) -> AsyncIterator[Outgoing]:
    from bot.skills import actions, chat

    notices: list[str] = []
    text = cleaned(msg.text, core.settings.max_input_chars, notices)
    if idea_for is not None:
        # A reply to a session's message, or a message in its own thread: an idea.
        ctx = await context_for(core, msg, text)
        stream = session_ideas.message_idea(ctx, *idea_for)
    elif not msg.addressed:
        return
    elif msg.action is not None:
        await account.still_known(core.memory, msg)
        ctx = await context_for(core, msg, "")
        if msg.action.verb in SESSION_ACTIONS:
            stream = session_buttons.on_action(ctx, msg.action)
        else:
            stream = actions.handle(ctx, msg.action)
    else:
        unsupported = [a for a in msg.attachments if a.kind != "image"]
        images = [a for a in msg.attachments if a.kind == "image"]
        if images:
            core.last_image.keep(msg.asker, images[-1])
        match = COMMAND_RE.match(text)
        if match:
            name, args = match.group(1).lower(), match.group(2).strip()
            spec = core.registry.get(name)
            if spec is None:
                raise BadInput(core.registry.unknown(name))
            ctx = await context_for(core, msg, args)
            stream = spec.handler(ctx)
        elif unsupported and not text:
            raise unusable(unsupported[0].kind)
        elif images:
            ctx = await context_for(core, msg, text)
            from bot.skills import caption

            stream = caption.caption(ctx)
        elif not text:
            raise BadInput("Send me some text — or /help to see what I can do.")
        else:
            ctx = await context_for(core, msg, text)
            stream = chat.chat(ctx)
    ctx.notices[:0] = notices
    async for out in stream:
        if isinstance(out, Reply) and ctx.notices:
            said = (*ctx.notices, *out.notices)
            out = replace(out, text="\n".join([*ctx.notices, out.text]), notices=said)
            ctx.notices.clear()
        yield out
