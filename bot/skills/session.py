"""Group brainstorm sessions: /session start|shortlist|end|list|show, /idea, /riff, the
vote / riff / add-idea buttons, and messages that count as ideas (a reply to a session
message; any message in a session's own thread or topic)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.commands import Param, Sub, command
from bot.context import Context
from bot.errors import BadInput, MuseError, NotFound
from bot.memory.sessions import IdeaRecord, SessionBusy, SessionRecord
from bot.messages import Action, Incoming, Outgoing, Progress, Reply
from bot.skills.session_close import close_session
from bot.skills.session_ideas import clean_idea, publish, riff_texts, seed_ideas
from bot.skills.session_render import (
    MUSE,
    clock_time,
    heading,
    list_line,
    opening_reply,
    shortlist_text,
    summary_text,
    votes_text,
)

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

DEFAULT_MINUTES = 30
MIN_MINUTES, MAX_MINUTES = 5, 1440
TOPIC_MAX_CHARS = 200
DURATION_RE = re.compile(r"(?:^|\s)(\d{1,4})\s*(m|mins?|minutes?|h|hrs?|hours?)?\s*$", re.I)
ID_RE = re.compile(r"^#?(\d{1,9})\b\s*(.*)$", re.S)
IDEA_CHARS_RE = re.compile(r"\w")

START_EXAMPLE = "/session start names for our Friday stream 20"
SUBS = (
    Sub(
        "start",
        "Start a group brainstorm: ideas, votes, and a summary at the end.",
        "/session start <topic> [minutes, 5-1440]",
        params=(
            Param("topic", "What the group brainstorms", required=True, rest=True),
            Param("minutes", "How long it runs (5-1440, default 30)"),
        ),
    ),
    Sub(
        "shortlist",
        "The session's top ideas so far, by votes, with their authors.",
        "/session shortlist [id]",
        params=(Param("id", "A session id (default: the one running here)"),),
    ),
    Sub(
        "end",
        "End the session now and post its summary (its starter or a group admin).",
        "/session end [id]",
        params=(Param("id", "A session id (default: the one running here)"),),
    ),
    Sub("list", "This group's sessions, newest first.", "/session list"),
    Sub(
        "show",
        "A session's summary and top ideas.",
        "/session show <id>",
        params=(Param("id", "The session id, from /session list", required=True),),
    ),
)


def group_only(ctx: Context) -> None:
    if ctx.msg.is_group:
        return
    hint = " (In the terminal: muse chat --group.)" if ctx.msg.session.platform == "console" else ""
    raise BadInput(
        "Brainstorm sessions happen in groups — add me to one and send "
        f"/session start <topic> there.{hint}"
    )


def refusal(text: str) -> Reply:
    """A button press turned down: a short pop-up, nothing changed."""
    return Reply(text, toast=True, is_error=True, private=True)


def parse_start(text: str) -> tuple[str, int | None]:
    """'names for our stream 20' -> ('names for our stream', 20); '… 2h' -> 120. A bare
    number above the maximum stays in the topic (a year: 'best of 2024')."""
    text = text.strip()
    match = DURATION_RE.search(text)
    if not match:
        return text, None
    minutes = _minutes(match)
    if match.group(2) is None and minutes > MAX_MINUTES:
        return text, None
    return text[: match.start()].strip(), minutes


def _minutes(match: re.Match[str]) -> int:
    n = int(match.group(1))
    unit = (match.group(2) or "m").lower()
    return n * 60 if unit.startswith("h") else n


def session_id_of(text: str, example: str) -> int:
    match = ID_RE.match(text.strip())
    if not match or match.group(2).strip():
        raise BadInput(f"Which session? e.g. {example} — /session list has their ids.")
    return int(match.group(1))


def link_to(ctx: Context, session: SessionRecord) -> str:
    try:
        link = ctx.core.outbox(session.key.platform).link(session.key, session.opening_id)
    except Exception:
        link = None
    return link or f"look for “{heading(session)}”"


# -- /session ----------------------------------------------------------------


@command(
    "session",
    "Group brainstorm sessions: start one, see the shortlist, end it, list and show them.",
    usage="/session start|shortlist|end|list|show …",
    subs=SUBS,
)
async def session_command(ctx: Context) -> AsyncIterator[Outgoing]:
    group_only(ctx)
    sub, _, rest = ctx.args.strip().partition(" ")
    sub, rest = sub.lower(), rest.strip()
    handlers = {"start": start, "shortlist": shortlist, "end": end, "list": listing, "show": show}
    if sub not in handlers:
        lead = f"I don't know /session {sub}. " if sub else ""
        usage = "\n".join(f"{s.usage} — {s.summary}" for s in SUBS)
        if sub:
            raise BadInput(f"{lead}Try:\n{usage}")
        yield Reply(usage)
        return
    async for out in handlers[sub](ctx, rest):
        yield out


async def start(ctx: Context, rest: str) -> AsyncIterator[Outgoing]:
    topic, minutes = parse_start(rest)
    if ctx.option("topic"):
        topic = ctx.option("topic")  # type: ignore[assignment]
    if ctx.option("minutes"):
        raw = ctx.option("minutes") or ""
        if not raw.isdigit():
            raise BadInput(f"Minutes must be a whole number from {MIN_MINUTES} to {MAX_MINUTES}.")
        minutes = int(raw)
    topic = " ".join(topic.split())[:TOPIC_MAX_CHARS]
    if not topic:
        raise BadInput(f"What should we brainstorm? e.g. {START_EXAMPLE}")
    minutes = DEFAULT_MINUTES if minutes is None else minutes
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise BadInput(
            f"A session runs {MIN_MINUTES} to {MAX_MINUTES} minutes (24 h), e.g. {START_EXAMPLE}"
        )
    here = ctx.msg.session
    running = await ctx.memory.session_at(here)
    if running:
        yield Reply(busy_text(ctx, running))
        return
    outbox = ctx.core.outbox(here.platform)
    try:
        thread = await outbox.open_thread(here, f"💡 {topic}"[:100])
    except Exception:
        log.warning("opening a thread for a session failed in %s", here)
        log.debug("open_thread failure", exc_info=True)
        thread = None
    now = ctx.core.clock.now()
    try:
        session = await ctx.memory.open_session(
            owner=ctx.owner,
            key=thread or here,
            origin=here,
            own_space=thread is not None,
            topic=topic,
            starter=ctx.person,
            starter_name=author_name(ctx.msg),
            started_at=now,
            ends_at=now + timedelta(minutes=minutes),
        )
    except SessionBusy as busy:
        if busy.existing is None:
            raise
        yield Reply(busy_text(ctx, busy.existing))
        return
    ids = await ctx.core.post(session.key, opening_reply(session, now, minutes))
    if ids:
        await ctx.memory.set_opening(session.id, ids[0])
        await ctx.memory.add_session_messages(session, ids)
        session = replace(session, opening_id=ids[0])
    ctx.core.sessions.timers.arm(session)
    async for progress in seed_ideas(ctx, session):
        yield progress
    if session.own_space:
        yield Reply(
            f"{heading(session)} — until {clock_time(session.ends_at, now)}, in its own "
            f"thread: {link_to(ctx, session)}. Bring your ideas there!"
        )
    else:
        yield Reply("")  # the opening and the seeds went out as the session's own messages


def busy_text(ctx: Context, running: SessionRecord) -> str:
    until = clock_time(running.ends_at, ctx.core.clock.now())
    return (
        f"A session is already running here: {heading(running)}, until {until} — "
        f"{link_to(ctx, running)}. Add ideas to it, or end it first with /session end."
    )


async def resolve(ctx: Context, rest: str, example: str) -> SessionRecord:
    """The session a command means: the id given (in this group), else the one running
    here, else the only one running in this chat."""
    ident = ctx.option("id") or rest
    if ident:
        wanted = session_id_of(ident, example)
        found = await ctx.memory.session(wanted)
        if found is None or found.owner_id != ctx.owner:
            raise NotFound(f"I can't find session #{wanted} in this group — see /session list.")
        return found
    here = await ctx.memory.session_at(ctx.msg.session)
    if here:
        return here
    running = await ctx.memory.open_sessions_in_chat(
        ctx.msg.session.platform, ctx.msg.session.chat_id
    )
    if len(running) == 1:
        return running[0]
    if running:
        ids = ", ".join(f"#{s.id}" for s in running)
        raise BadInput(f"Several sessions are running in this group ({ids}) — say which: {example}")
    raise BadInput(f"No session is running here — start one: {START_EXAMPLE}")


async def shortlist(ctx: Context, rest: str) -> AsyncIterator[Outgoing]:
    session = await resolve(ctx, rest, "/session shortlist 3")
    ideas = await ctx.memory.ideas(session.id)
    yield Reply(shortlist_text(session, ideas, ctx.core.clock.now()))


async def may_end(ctx: Context, session: SessionRecord) -> bool:
    if ctx.person == session.starter_id or ctx.core.policy.is_admin(ctx.msg):
        return True
    try:
        return await ctx.core.outbox(ctx.msg.session.platform).is_admin(
            ctx.msg.session, ctx.msg.user_id
        )
    except Exception:
        log.warning("is_admin failed in %s", ctx.msg.session)
        return False


async def end(ctx: Context, rest: str) -> AsyncIterator[Outgoing]:
    session = await resolve(ctx, rest, "/session end 3")
    if not session.is_open:
        yield Reply(f"Session #{session.id} is already closed — /session show {session.id}.")
        return
    if not await may_end(ctx, session):
        until = clock_time(session.ends_at, ctx.core.clock.now())
        raise BadInput(
            f"Only {session.starter_name}, who started session #{session.id}, or a group admin "
            f"can end it early — it ends on its own at {until}."
        )
    yield Progress(f"Closing session #{session.id} and writing its summary…")
    closed = await close_session(ctx.core, session.id)
    if closed is None:
        yield Reply(f"Session #{session.id} is already closed — /session show {session.id}.")
    elif ctx.msg.session == session.key:
        yield Reply("")  # the summary was posted here
    else:
        yield Reply(f"{heading(session)} is closed — its summary: {link_to(ctx, session)}")


async def listing(ctx: Context, rest: str) -> AsyncIterator[Outgoing]:
    sessions = await ctx.memory.group_sessions(ctx.owner)
    if not sessions:
        yield Reply(f"No sessions in this group yet — start one: {START_EXAMPLE}")
        return
    now = ctx.core.clock.now()
    lines = ["Sessions in this group (newest first):", *(list_line(s, now) for s in sessions)]
    lines.append("/session show <id> brings one back.")
    yield Reply("\n".join(lines))


async def show(ctx: Context, rest: str) -> AsyncIterator[Outgoing]:
    if not (ctx.option("id") or rest):
        raise BadInput("Which session? e.g. /session show 3 — /session list has their ids.")
    session = await resolve(ctx, rest, "/session show 3")
    if session.is_open:
        ideas = await ctx.memory.ideas(session.id)
        yield Reply(shortlist_text(session, ideas, ctx.core.clock.now()))
    elif session.summary is None:
        yield Reply(f"{heading(session)} is closing — its summary is on its way.")
    else:
        yield Reply(summary_text(session, session.summary))


# -- ideas -------------------------------------------------------------------


def author_name(msg: Incoming) -> str:
    return msg.user_name or msg.user_handle or "a member"


async def contribute(
    ctx: Context, session: SessionRecord, text: str, via: str, *, quiet: bool = False
) -> AsyncIterator[Outgoing]:
    """Store a member's idea and show it with its buttons. `quiet`: the member did not
    address Muse (chatter in the session's thread), so a refusal is not worth a reply."""
    text = clean_idea(text)
    problem = None
    if not session.is_open:
        problem = (
            f"Session #{session.id} is closed, so that isn't added as an idea — "
            f"/session show {session.id} has its summary."
        )
    elif len(text) < 3 or not IDEA_CHARS_RE.search(text):
        problem = "That's a bit short for an idea — e.g. /idea Retro Rain Radio"
    else:
        same = [i for i in await ctx.memory.ideas(session.id) if i.text.lower() == text.lower()]
        if same:
            problem = f"That one is already in as #{same[0].id} — vote for it with 👍."
    if problem:
        if not quiet:
            yield Reply(problem, is_error=True)
        return
    idea = await ctx.memory.add_idea(
        session.id, author=ctx.person, author_name=author_name(ctx.msg), text=text, via=via
    )
    if idea is None:  # closed a moment ago
        if not quiet:
            yield Reply(f"Session #{session.id} just closed — /session show {session.id}.")
        return
    await publish(ctx, session, idea)
    yield Reply("")  # the idea went out as its own message, with its buttons


@command(
    "idea",
    "Add an idea to the brainstorm session running here.",
    usage="/idea <your idea>",
    params=(Param("text", "Your idea", required=True, rest=True),),
)
async def idea_command(ctx: Context) -> AsyncIterator[Outgoing]:
    group_only(ctx)
    text = ctx.option("text") or ctx.args
    if not text.strip():
        raise BadInput("What's your idea? e.g. /idea Retro Rain Radio")
    session = await ctx.memory.session_at(ctx.msg.session)
    if session is None and ctx.msg.reply_to_id:
        found = await ctx.memory.session_of_message(ctx.msg.session, ctx.msg.reply_to_id)
        session = found[0] if found else None
    if session is None:
        # A closed session's place (its thread) says it's closed.
        last = await ctx.memory.last_session_at(ctx.msg.session)
        session = last if last and last.own_space else None
    if session is None:
        raise BadInput(await elsewhere(ctx))
    async for out in contribute(ctx, session, text, "command"):
        yield out


async def elsewhere(ctx: Context) -> str:
    """Why an idea can't go in here: where the group's session runs, or that none does."""
    running = await ctx.memory.open_sessions_in_chat(
        ctx.msg.session.platform, ctx.msg.session.chat_id
    )
    if running:
        s = running[-1]
        return f"No session runs right here — {heading(s)} runs in {link_to(ctx, s)}; add it there."
    return f"No session is running here — start one: {START_EXAMPLE}"


async def idea_target(core: Core, msg: Incoming) -> tuple[SessionRecord, str] | None:
    """The session a non-command group message contributes to, and how: a reply to one
    of its messages (open or closed), or any message in an open session's own thread."""
    if not msg.is_group or msg.action is not None:
        return None
    if msg.reply_to_id:
        found = await core.memory.session_of_message(msg.session, msg.reply_to_id)
        if found:
            return found[0], "reply"
    session = await core.memory.session_at(msg.session)
    if session is not None and session.own_space:
        return session, "thread"
    return None


async def message_idea(ctx: Context, session: SessionRecord, via: str) -> AsyncIterator[Outgoing]:
    async for out in contribute(ctx, session, ctx.args, via, quiet=not ctx.msg.addressed):
        yield out


# -- riffs and buttons -------------------------------------------------------


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
    params=(
        Param("idea", "The idea's id, e.g. #7", required=True),
        Param("direction", "Which way to take it, e.g. make it sound like a radio show", rest=True),
    ),
)
async def riff_command(ctx: Context) -> AsyncIterator[Outgoing]:
    group_only(ctx)
    direction = ctx.args
    idea_id: int | None = None
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
    yield Progress(f"🔀 Riffing on #{idea.id}…")
    texts = await riff_texts(ctx, session, idea, direction)
    if not texts:
        raise MuseError(
            "no riffs parsed",
            f"I couldn't find a fresh variation this time — try a direction, e.g. /riff #{idea.id} "
            "shorter and punchier.",
        )
    posted = 0
    for text in texts:
        new = await ctx.memory.add_idea(
            session.id, author=None, author_name=MUSE, text=text, via="riff", parent_id=idea.id
        )
        if new is None:
            break
        await publish(ctx, session, new)
        posted += 1
    if button:
        yield Reply(f"🔀 {posted} riffs on #{idea.id} are in.", toast=True)
    else:
        yield Reply("")


async def vote(ctx: Context, idea_id: int) -> AsyncIterator[Outgoing]:
    checked = await checked_idea(ctx, idea_id)
    if isinstance(checked, str):
        yield refusal(checked)
        return
    idea, session = checked
    result = await ctx.memory.toggle_vote(idea.id, ctx.person)
    if result is None:
        yield refusal(f"Session #{session.id} is closed — its votes are final.")
        return
    voted, count = result
    ctx.core.sessions.edits.touch(session.id, idea.id)
    if voted:
        yield Reply(f"👍 Voted for #{idea.id} — {votes_text(count)} now.", toast=True)
    else:
        yield Reply(f"Vote on #{idea.id} taken back — {votes_text(count)} now.", toast=True)


async def add_idea_button(ctx: Context, session_id: int) -> AsyncIterator[Outgoing]:
    session = await ctx.memory.session(session_id)
    if session is None or not session.runs_in_chat(ctx.msg.session):
        yield refusal("That session isn't running in this chat.")
    elif not session.is_open:
        yield refusal(f"Session #{session.id} is closed — no more ideas.")
    else:
        yield Reply(
            "Send /idea <your idea>, or reply to any of my messages in this session with it.",
            toast=True,
        )


async def on_action(ctx: Context, action: Action) -> AsyncIterator[Outgoing]:
    """The vote, riff and add-idea buttons; ids are checked against this chat."""
    if not ctx.msg.is_group:
        yield refusal("That button belongs to a group session.")
        return
    if action.verb == "vote":
        stream = vote(ctx, action.draft_id)
    elif action.verb == "riff":
        stream = riff(ctx, action.draft_id, "", button=True)
    else:
        stream = add_idea_button(ctx, action.draft_id)
    async for out in stream:
        yield out
