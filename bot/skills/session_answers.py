"""The one-line answers of /session when it finds a session it won't act on: one
running here already, the same start with another length, a start answered again after
its session ran out, a topic whose own session has closed while others run."""

from __future__ import annotations

from bot.context import Context
from bot.memory.session_records import SessionRecord
from bot.skills.session_ideas import link_to
from bot.skills.session_render import clock_time, heading


def length_of(session: SessionRecord) -> int:
    return round((session.ends_at - session.started_at).total_seconds() / 60)


def ran_out_text(ctx: Context, session: SessionRecord) -> str:
    """This start, answered again after a restart, opened a session that has ended since
    (Muse was down past its end): not started a second time, unasked."""
    again = f"/session start {session.topic} {length_of(session)}"
    if session.ends_at > ctx.core.clock.now():  # ended early, by its starter or an admin
        return f"{heading(session)} is closed already — /session show {session.id}."
    shown = f" (its summary: /session show {session.id})" if session.idea_count else ""
    until = clock_time(session.ends_at, ctx.core.clock.now())
    return (
        f"{heading(session)} ran out at {until} while I was down{shown} — send {again} "
        "again to run it now."
    )


def other_length_text(ctx: Context, session: SessionRecord) -> str:
    until = clock_time(session.ends_at, ctx.core.clock.now())
    return (
        f"{heading(session)} is already running, until {until} — {link_to(ctx, session)}. "
        f"Its length stays as it is; /session end {session.id} ends it sooner."
    )


def busy_text(ctx: Context, running: SessionRecord) -> str:
    until = clock_time(running.ends_at, ctx.core.clock.now())
    return (
        f"A session is already running here: {heading(running)}, until {until} — "
        f"{link_to(ctx, running)}. Add ideas to it, or end it first with /session end."
    )


def closed_here_text(
    ctx: Context, mine: SessionRecord, running: list[SessionRecord], example: str
) -> str:
    """#1, started here, is closed; where the others run, with the id to act on one."""
    command = example.rsplit(" ", 1)[0]
    others = " ".join(
        f"{heading(s)} runs in {link_to(ctx, s)} — for that one: {command} {s.id}." for s in running
    )
    return f"{heading(mine)} is closed — /session show {mine.id} has its summary. {others}"


def same_topic_text(ctx: Context, running: SessionRecord) -> str:
    until = clock_time(running.ends_at, ctx.core.clock.now())
    return (
        f"{heading(running)} is already running, started by {running.starter_name}, until "
        f"{until} — {link_to(ctx, running)}. Bring your ideas there!"
    )
