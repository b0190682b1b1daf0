"""How a brainstorm session reads: the opening, each idea with its buttons, the
shortlist, the summary, the list. Pure functions of stored data, so an edit, a restart
or a /forget re-renders them the same way."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.memory.session_records import FORMER_MEMBER, IdeaRecord, SessionRecord
from bot.messages import Action, Button, Reply

MUSE = "Muse"
SHORTLIST_SIZE = 5


def clock_time(when: datetime, now: datetime) -> str:
    """'18:40 UTC', with the day when it isn't today's."""
    if when.date() == now.date():
        return when.strftime("%H:%M UTC")
    return when.strftime("%a %d %b %H:%M UTC")


def duration(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    if not hours:
        return f"{mins} min"
    return f"{hours} h" + (f" {mins} min" if mins else "")


def heading(session: SessionRecord) -> str:
    return f"💡 Session #{session.id} · {session.topic}"


def votes_text(n: int) -> str:
    return f"{n} vote" if n == 1 else f"{n} votes"


def ranked(ideas: Sequence[IdeaRecord]) -> list[IdeaRecord]:
    """Most votes first; ties: the earlier idea first."""
    return sorted(ideas, key=lambda i: (-i.votes, i.id))


def credit(idea: IdeaRecord) -> str:
    if idea.parent_id is None:
        return idea.author_name
    by = f" by {idea.parent_author}" if idea.parent_author else ""
    return f"{idea.author_name} · riff on #{idea.parent_id}{by}"


def idea_line(idea: IdeaRecord) -> str:
    return f"#{idea.id} {idea.text} — {credit(idea)}"


def idea_reply(idea: IdeaRecord, is_open: bool) -> Reply:
    """An idea as its own message: [👍 N] [🔀 Riff] while open, [👍 N · closed] after."""
    row: tuple[Button, ...]
    if is_open:
        row = (
            Button(f"👍 {idea.votes}", Action("vote", idea.id)),
            Button("🔀 Riff", Action("riff", idea.id)),
        )
    else:
        row = (Button(f"👍 {idea.votes} · closed", Action("vote", idea.id)),)
    return Reply(idea_line(idea), buttons=(row,))


def how_to_add() -> str:
    # Plain messages in a session's own thread count too, but only where the platform
    # delivers them to Muse (privacy mode, intents): not promised here.
    return "Add ideas: /idea <your idea>, a reply to any of my session messages, or 💡 Add idea."


def opening_reply(session: SessionRecord, now: datetime) -> Reply:
    minutes = round((session.ends_at - session.started_at).total_seconds() / 60)
    text = (
        f"{heading(session)}\n"
        f"Until {clock_time(session.ends_at, now)} ({duration(minutes)}), "
        f"started by {session.starter_name}.\n"
        f"{how_to_add()} Vote with 👍 — press again to take it back; "
        "🔀 Riff asks me for variations. /session shortlist shows the top so far."
    )
    return Reply(text, buttons=((Button("💡 Add idea", Action("idea", session.id)),),))


def opening_closed(session: SessionRecord) -> Reply:
    return Reply(f"{heading(session)} — closed. The summary is below; /session show {session.id}")


def shortlist_text(session: SessionRecord, ideas: Sequence[IdeaRecord], now: datetime) -> str:
    state = f"open until {clock_time(session.ends_at, now)}" if session.is_open else "closed"
    total = sum(i.votes for i in ideas)
    lines = [f"{heading(session)} — shortlist ({state}, {len(ideas)} ideas, {votes_text(total)})"]
    if not ideas:
        lines.append("No ideas yet — add one with /idea <your idea>.")
    for place, idea in enumerate(ranked(ideas)[:SHORTLIST_SIZE], 1):
        lines.append(f"{place}. #{idea.id} {idea.text} — {votes_text(idea.votes)} · {credit(idea)}")
    return "\n".join(lines)


def _author(entry: dict[str, Any]) -> str:
    return str(entry.get("author") or FORMER_MEMBER)


def summary_text(session: SessionRecord, summary: dict[str, Any]) -> str:
    """The stored summary: the part computed from data, then the model's part. A
    session nobody added to (it ran out while Muse was down) says so in one line."""
    if not summary.get("ideas"):
        return f"{heading(session)} — closed with no ideas."
    lines = [
        f"{heading(session)} — closed · {summary.get('ideas', 0)} ideas, "
        f"{votes_text(int(summary.get('votes', 0)))}"
    ]
    top = summary.get("top") or []
    if top:
        lines.append("Top ideas:")
        for place, entry in enumerate(top, 1):
            lines.append(
                f"{place}. #{entry['id']} {entry['text']} — "
                f"{votes_text(int(entry['votes']))} · {_author(entry)}"
            )
    else:
        lines.append("No ideas were added.")
    contributors = summary.get("contributors") or []
    if contributors:
        lines.append("Ideas by: " + " · ".join(f"{_author(c)} {c['ideas']}" for c in contributors))
    for key, label in (
        ("themes", "Themes"),
        ("decision", "Suggested decision"),
        ("open", "Open questions"),
    ):
        if summary.get(key):
            lines.append(f"{label}: {summary[key]}")
    if summary.get("model_failed"):
        lines.append("(I couldn't write the themes this time — the numbers above are complete.)")
    return "\n".join(lines)


def list_line(session: SessionRecord, now: datetime) -> str:
    if session.is_open:
        state = f"open until {clock_time(session.ends_at, now)}"
    else:
        closed = session.closed_at or session.ends_at
        state = "closed " + closed.strftime("%d %b %Y")
    line = f"#{session.id} {session.topic} · {state} · {session.idea_count} ideas"
    top = (session.summary or {}).get("top") or []
    if top:
        best = top[0]
        line += f" · top: {best['text']} ({votes_text(int(best['votes']))})"
    return line
