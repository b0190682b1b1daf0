"""Riffs: 2–3 variations by Muse on a session idea (from the model, with the group's
style), each stored as an idea of its own that links to the original and credits its
author. Every id is checked against the chat it is used in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from bot.commands import Param, command
from bot.context import Context
from bot.errors import BadInput, Forgotten, MuseError, NotFound
from bot.memory.ideas import SameIdea
from bot.memory.session_records import IdeaRecord, SessionRecord
from bot.messages import Outgoing, Progress, Reply
from bot.skills.arguments import check_id
from bot.skills.common import novel, on_topic, parse_items, plural, stream_text, tries
from bot.skills.session_ideas import clean_idea, group_only, link_to, publish
from bot.skills.session_render import MUSE

MIN_RIFFS, MAX_RIFFS = 2, 3
ID_RE = re.compile(r"^#?(\d{1,9})\b\s*(.*)$", re.S)
RIFF_RE = re.compile(r"^\s*(?:riff|variation|version)\s*\d*\s*[:.-]\s*", re.I)


def refusal(text: str) -> Reply:
    """A button press turned down: a short pop-up, nothing changed."""
    return Reply(text, toast=True, is_error=True, private=True)


def parse_riffs(text: str, source: str, existing: list[str]) -> list[str]:
    items = [clean_idea(RIFF_RE.sub("", item)) for item in parse_items(text)]
    items = [i for i in items if len(i) >= 3 and i.lower() != source.lower()]
    return novel(items, [source, *existing])[:MAX_RIFFS]


async def riff_texts(
    ctx: Context, session: SessionRecord, idea: IdeaRecord, direction: str
) -> list[str]:
    """2–3 variations of an idea (from the model, with the group's style). A variation
    must keep something of the idea (a small model drifts); one more, warmer try if
    fewer than two do, and drifted ones only fill up to two."""
    existing = [i.text for i in await ctx.memory.ideas(session.id)]
    variables: dict[str, Any] = {
        "topic": session.topic,
        "idea": idea.text,
        "direction": direction or "a fresh twist that keeps its core",
    }
    kept: list[str] = []
    loose: list[str] = []
    for _ in tries(ctx, variables):
        out: list[str] = []
        async for _ in stream_text(ctx, "riff", variables, with_history=False, out=out):
            pass
        for text in parse_riffs(out[0], idea.text, [*existing, *kept, *loose]):
            (kept if on_topic(text, idea.text) else loose).append(text)
        if len(kept) >= MIN_RIFFS:
            break
    return [*kept, *loose[: max(0, MIN_RIFFS - len(kept))]][:MAX_RIFFS]


async def checked_idea(ctx: Context, idea_id: int) -> tuple[IdeaRecord, SessionRecord] | str:
    """The idea and its open session, if this chat may act on it; else why not."""
    idea = await ctx.memory.idea(idea_id)
    session = await ctx.memory.session(idea.session_id) if idea else None
    if idea is None or session is None or not session.runs_in_chat(ctx.msg.session):
        return "That idea isn't part of a session in this chat."
    if not session.is_open:
        return f"Session #{session.id} is closed — its votes and ideas are final."
    return idea, session


@command(
    "riff",
    "Muse riffs 2-3 variations on a session idea, credited to its author.",
    usage="/riff #id [direction]",
    example="/riff #32 make it sound like a radio show",
    params=(
        Param("idea", "The idea's id, e.g. #7", required=True),
        Param("direction", "Which way to take it, e.g. make it sound like a radio show", rest=True),
    ),
)
async def riff_command(ctx: Context) -> AsyncIterator[Outgoing]:
    group_only(ctx)
    direction = ctx.args
    idea_id: int | None = None
    check_id(ctx.option("idea") or ctx.args, "/riff #7", bare=True)
    if ctx.option("idea"):
        match = ID_RE.match(ctx.option("idea") or "")
        idea_id = int(match.group(1)) if match else None
        direction = ctx.option("direction") or ""
    elif match := ID_RE.match(ctx.args.strip()):
        idea_id, direction = int(match.group(1)), match.group(2)
    elif ctx.msg.reply_to_id:  # "/riff make it louder" as a reply to an idea
        found = await ctx.memory.session_of_message(ctx.msg.session, ctx.msg.reply_to_id)
        idea_id = found[1] if found else None
    if idea_id is None:
        raise BadInput("Which idea? e.g. /riff #7 make it sound like a radio show")
    async for out in riff(ctx, idea_id, direction.strip(), button=False):
        yield out


async def riff(
    ctx: Context, idea_id: int, direction: str, *, button: bool
) -> AsyncIterator[Outgoing]:
    checked = await checked_idea(ctx, idea_id)
    if isinstance(checked, str):
        if button:
            yield refusal(checked)
            return
        raise NotFound(checked)
    idea, session = checked
    yield Progress(f"🔀 Riffing on #{idea.id}…", notice=True)
    texts = await riff_texts(ctx, session, idea, direction)
    if not texts:
        raise MuseError(
            "no riffs parsed",
            f"I couldn't find a fresh variation this time — try a direction, e.g. /riff #{idea.id} "
            "shorter and punchier.",
        )
    posted = same = 0
    for text in texts:
        try:
            new = await ctx.memory.add_idea(
                session.id,
                author=None,
                author_name=MUSE,
                text=text,
                via="riff",
                parent_id=idea.id,
                unique=True,
            )
        except SameIdea:
            # Another 🔀 on this idea, answered at the same moment, got the same variation
            # from the model: one copy, not two that split the votes.
            same += 1
            continue
        except Forgotten:
            if await ctx.memory.idea(idea.id) is not None:
                raise
            # Its author sent /forget while the model wrote: the idea went with them,
            # and the asker (who was not forgotten) is told that, not "you were deleted".
            gone = f"#{idea.id} was withdrawn while I wrote riffs on it — none were added."
            yield refusal(gone) if button else Reply(gone, is_error=True)
            return
        if new is None:
            break
        await publish(ctx, session, new)
        posted += 1
    if not posted and same == len(texts):
        already = f"🔀 The riffs on #{idea.id} are in already — vote for the ones you like."
        yield Reply(already, toast=button)
        return
    if not posted:  # closed while the model wrote them
        closed = f"Session #{session.id} just closed — its ideas are final."
        yield refusal(closed) if button else Reply(closed, is_error=True)
        return
    done = f"🔀 {plural(posted, 'riff')} on #{idea.id} {'is' if posted == 1 else 'are'} in"
    if button:
        yield Reply(f"{done}.", toast=True)
    elif ctx.msg.session != session.key:
        # Asked in the channel, not the session's own thread: say where they went.
        yield Reply(f"{done} the session's thread: {link_to(ctx, session)}")
    else:
        yield Reply("")  # they went out as the session's own messages, right here
