"""Group brainstorm sessions: /session start|shortlist|end|list|show. Ideas come in
through session_ideas (/idea, replies, the session's own thread), riffs through
session_riff, votes through session_buttons."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

from bot.commands import Param, Sub, command, did_you_mean
from bot.context import Context
from bot.errors import BadInput, NotFound
from bot.memory.session_records import SessionRecord
from bot.memory.sessions import SessionBusy
from bot.messages import Outgoing, Progress, Reply
from bot.outbox import NoOutbox
from bot.skills.arguments import first_word
from bot.skills.session_answers import (
    busy_text,
    closed_here_text,
    length_of,
    other_length_text,
    ran_out_text,
    same_topic_text,
)
from bot.skills.session_close import close_session
from bot.skills.session_ideas import (
    START_EXAMPLE,
    author_name,
    group_only,
    link_to,
    seed_ideas,
    started_here,
)
from bot.skills.session_render import (
    clock_time,
    heading,
    list_line,
    opening_reply,
    shortlist_text,
    summary_text,
)

log = logging.getLogger(__name__)

DEFAULT_MINUTES = 30
MIN_MINUTES, MAX_MINUTES = 5, 1440
TOPIC_MAX_CHARS = 200
DURATION_RE = re.compile(
    r"(?:^|\s)(\d{1,4}(?:[.,]\d{1,2})?)\s*(m|mins?|minutes?|h|hrs?|hours?)?\s*$", re.I
)
ID_RE = re.compile(r"^#?(\d{1,9})\b\s*(.*)$", re.S)
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


def parse_start(text: str) -> tuple[str, int | None]:
    """'names for our stream 20' -> ('names for our stream', 20); '… 2h' -> 120, '… 1.5h'
    -> 90. A bare number above the maximum, or with a decimal point, stays in the topic
    (a year: 'best of 2024'; a version: 'plan 2.0')."""
    text = text.strip()
    match = DURATION_RE.search(text)
    if not match:
        return text, None
    minutes = _minutes(match)
    bare = match.group(2) is None
    if bare and (minutes > MAX_MINUTES or not match.group(1).isdigit()):
        return text, None  # "best of 2024", "plan 2.0": part of the topic
    return text[: match.start()].strip(), minutes


def _minutes(match: re.Match[str]) -> int:
    n = float(match.group(1).replace(",", "."))  # "1.5h", "1,5 h"
    unit = (match.group(2) or "m").lower()
    return round(n * 60 if unit.startswith("h") else n)


def session_id_of(text: str, example: str) -> int:
    match = ID_RE.match(text.strip())
    if not match or match.group(2).strip():
        raise BadInput(f"Which session? e.g. {example} — /session list has their ids.")
    return int(match.group(1))


# -- /session ----------------------------------------------------------------


@command(
    "session",
    "Group brainstorm sessions: start one, see the shortlist, end it, list and show them.",
    usage="/session start|shortlist|end|list|show …",
    example="/session start names for our Friday stream 20",
    subs=SUBS,
)
async def session_command(ctx: Context) -> AsyncIterator[Outgoing]:
    group_only(ctx)
    sub, rest = first_word(ctx.args)
    sub, rest = sub.lower(), rest.strip()
    handlers = {"start": start, "shortlist": shortlist, "end": end, "list": listing, "show": show}
    if sub not in handlers:
        meant = did_you_mean(sub, handlers, "/session")
        lead = f"I don't know /session {sub}. {meant}" if sub else ""
        usage = "\n".join(f"{s.usage} — {s.summary}" for s in SUBS)
        if sub:
            raise BadInput(f"{lead}Try:\n{usage}")
        yield Reply(usage)
        return
    async for out in handlers[sub](ctx, rest):
        yield out


async def start(ctx: Context, rest: str) -> AsyncIterator[Outgoing]:
    typed = ctx.option("topic")  # taken as typed: the minutes have an option of their own
    topic, minutes = (typed, None) if typed else parse_start(rest)
    if ctx.option("minutes"):
        raw = ctx.option("minutes") or ""
        if not raw.isdecimal():  # "٢٠" as in the text form; not "²" (int("²") fails)
            raise BadInput(f"Minutes must be a whole number from {MIN_MINUTES} to {MAX_MINUTES}.")
        minutes = int(raw)
    topic = " ".join(topic.split())[:TOPIC_MAX_CHARS]
    if not topic:
        raise BadInput(f"What should we brainstorm? e.g. {START_EXAMPLE}")
    read_from_topic = minutes is not None and not ctx.option("minutes")
    asked = minutes
    minutes = DEFAULT_MINUTES if minutes is None else minutes
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        # "names for season 2": the number may belong to the topic. Saying how to keep
        # it there beats a bare range.
        keep = rest.strip()
        hint = (
            f" If it's part of the topic, end with the minutes: /session start {keep} "
            f"{DEFAULT_MINUTES}"
            if read_from_topic and keep.split()[-1].isdigit()
            else f" e.g. {START_EXAMPLE}"
        )
        raise BadInput(f"A session runs {MIN_MINUTES} to {MAX_MINUTES} minutes (24 h).{hint}")
    session = await started_already(ctx, topic)
    if session and (not session.is_open or session.ends_at <= ctx.core.clock.now()):
        yield Reply(ran_out_text(ctx, session))  # this very start, answered again late
        return
    if session and session.opening_id and asked and asked != length_of(session):
        # Not the same request answered again (that has the same minutes): asked to
        # run it for another length, the starter hears it keeps its end, not it silently.
        yield Reply(other_length_text(ctx, session))
        return
    if session and session.opening_id and session.idea_count and not session.own_space:
        session = None  # all of it is out already, right here: the usual answer
    if session is None:
        opened = await open_unless_running(ctx, topic, minutes)
        if isinstance(opened, Reply):
            yield opened
            return
        session = opened
    now = ctx.core.clock.now()
    if session.opening_id is None:
        ids = await post_opening(ctx, session)
        if ids:
            await ctx.memory.set_opening(session.id, ids[0])
            await ctx.memory.add_session_messages(session, ids)
            session = replace(session, opening_id=ids[0])
    ctx.core.sessions.timers.arm(session)
    if session.idea_count == 0:
        async for progress in seed_ideas(ctx, session):
            yield progress
    if session.own_space:
        yield Reply(
            f"{heading(session)} — until {clock_time(session.ends_at, now)}, in its own "
            f"thread: {link_to(ctx, session)}. Bring your ideas there!"
        )
    else:
        yield Reply("")  # the opening and the seeds went out as the session's own messages


async def started_already(ctx: Context, topic: str) -> SessionRecord | None:
    """This person's own session on this topic, started here and still open: the same
    request again (answered again after a restart cut its answer off, or sent twice). It
    is carried on (its opening and seeds if they never went out), never opened twice;
    found by the message that started it even if it has closed since."""
    here = ctx.msg.session
    if ctx.msg.message_id:
        same = await ctx.memory.last_session_started_at(here, by_message=ctx.msg.message_id)
        if same is not None:
            return same
    for s in await ctx.memory.open_sessions_in_chat(here.platform, here.chat_id):
        if s.origin == here and s.starter_id == ctx.person and s.topic == topic:
            return s
    return None


async def open_unless_running(ctx: Context, topic: str, minutes: int) -> SessionRecord | Reply:
    """A new session, unless one runs right here, or one on this topic runs in this
    chat: two members starting the same topic at once get one session in one thread
    (as two sending the same idea get one idea), the second told where it runs. Starts
    in one chat take turns for this check and the opening of the thread."""
    here = ctx.msg.session
    async with ctx.core.sessions.starting.hold(f"{here.platform}:{here.chat_id}"):
        running = await ctx.memory.session_at(here)
        if running:
            return Reply(busy_text(ctx, running))
        for s in await ctx.memory.open_sessions_in_chat(here.platform, here.chat_id):
            if s.topic.casefold() == topic.casefold():
                return Reply(same_topic_text(ctx, s))
        return await open_new(ctx, topic, minutes)


async def open_new(ctx: Context, topic: str, minutes: int) -> SessionRecord | Reply:
    """A new session (in a thread of its own where the platform allows it), or the
    answer when one got opened here meanwhile."""
    here = ctx.msg.session
    try:
        outbox = ctx.core.outbox(here.platform)
    except NoOutbox:
        raise BadInput("Sessions can't run here: I can't post in this chat on my own.") from None
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
            start_message=ctx.msg.message_id,
        )
    except SessionBusy as busy:
        if busy.existing is None:
            raise
        return Reply(busy_text(ctx, busy.existing))
    return session


async def post_opening(ctx: Context, session: SessionRecord) -> list[str]:
    """The opening's message ids. Refused (Muse may not post there): the session is
    deleted, or it would stay open unseen, with no timer, and block every later start
    here ("a session is already running"); the starter is told in one line."""
    try:
        return await ctx.core.post(session.key, opening_reply(session, ctx.core.clock.now()))
    except Exception:
        log.warning("session %s: its opening could not be posted", session.id)
        log.debug("opening post failure", exc_info=True)
        await ctx.memory.discard_session(session.id)
        raise BadInput(
            "I couldn't post the session here, so it didn't start — check that I may send "
            "messages in this chat (and its threads), then try again."
        ) from None


async def resolve(
    ctx: Context, rest: str, example: str, *, closed_here: bool = False
) -> SessionRecord:
    """The session a command means: the id given (in this group), else the one running
    here, else — in a session's own thread — that session, closed or not, else the only
    one running in this chat (or the only one started right here), else (`closed_here`)
    the last one that ran right here."""
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
    # Closed by its timer, or by someone else a moment ago: its place says so, rather
    # than "no session is running here — start one".
    last = await ctx.memory.last_session_at(ctx.msg.session)
    if last is not None and last.own_space:
        return last
    in_chat = await ctx.memory.open_sessions_in_chat(
        ctx.msg.session.platform, ctx.msg.session.chat_id
    )
    running = started_here(ctx, in_chat)
    if in_chat and not any(s.origin == ctx.msg.session for s in in_chat):
        # In a forum topic whose own session has closed, the command still means that
        # one: never (an admin's /session end) another topic's running session.
        mine = await ctx.memory.last_session_started_at(ctx.msg.session)
        if mine is not None and not mine.is_open:
            raise BadInput(closed_here_text(ctx, mine, running, example))
    if len(running) == 1:
        return running[0]
    if running:
        ids = ", ".join(f"#{s.id}" for s in running)
        raise BadInput(f"Several sessions are running in this group ({ids}) — say which: {example}")
    if last is not None and closed_here:
        return last
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
    # Two people ending it at once: the second hears it is closed already.
    session = await resolve(ctx, rest, "/session end 3", closed_here=True)
    if not session.is_open:
        yield Reply(f"Session #{session.id} is already closed — /session show {session.id}.")
        return
    if not await may_end(ctx, session):
        until = clock_time(session.ends_at, ctx.core.clock.now())
        if session.starter_id is None:  # "Only a former member, who…" read as anyone's
            raise BadInput(
                f"Session #{session.id}'s starter asked me to forget them, so only a group "
                f"admin can end it early — it ends on its own at {until}."
            )
        raise BadInput(
            f"Only {session.starter_name}, who started session #{session.id}, or a group admin "
            f"can end it early — it ends on its own at {until}."
        )
    yield Progress(f"Closing session #{session.id} and writing its summary…", notice=True)
    closed = await close_session(ctx.core, session.id)
    if closed is None:
        yield Reply(f"Session #{session.id} is already closed — /session show {session.id}.")
    elif ctx.msg.session in (session.key, session.origin):
        yield Reply("")  # the summary was posted here, or this chat told where it is
    else:
        yield Reply(f"{heading(session)} is closed — /session show {session.id} shows its summary.")


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
