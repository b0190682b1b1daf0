"""Closing a session (by /session end or its timer): no more ideas or votes, a summary
— a part computed from the data, never invented, and a part by the model — stored with
the session and posted where it ran."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.errors import MuseError
from bot.memory.session_records import IdeaRecord, SessionRecord
from bot.messages import Reply
from bot.outbox import NoOutbox
from bot.skills.common import on_topic, profile_text
from bot.skills.session_render import MUSE, SHORTLIST_SIZE, heading, ranked, summary_text

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

# The model reads the best ideas only: a bounded prompt, whatever the session's size.
MODEL_IDEAS = 15
MODEL_IDEA_CHARS = 150
FIELD_CHARS = 400
FIELD_RE = re.compile(
    r"^\W*(themes?|(?:suggested\s+)?decision|open(?:\s+questions?)?)\W*?\s*:\s*(.*)$", re.I
)


async def close_session(core: Core, session_id: int) -> SessionRecord | None:
    """Close it now; None if it was not open any more (someone else closed it, or is
    closing it)."""
    if not core.sessions.first_to_close(session_id):
        return None
    try:
        session = await core.memory.close_session(session_id, core.clock.now())
    except BaseException:
        core.sessions.not_closed(session_id)  # still open: a later /session end may try
        raise
    if session is None:
        return None
    core.sessions.timers.cancel(session_id)
    await finish(core, session)
    return await core.memory.session(session_id)


async def finish(core: Core, session: SessionRecord) -> None:
    """The closing work after the status changed (also resumed at start if interrupted)."""
    ideas = await core.memory.ideas(session.id)
    summary = await build_summary(core, session, ideas)
    summary = await core.memory.save_summary(session.id, summary, ideas)
    await _post_summary(core, session, summary)
    await core.sessions.edits.closed(session)


def contributors(ideas: Sequence[IdeaRecord]) -> list[dict[str, Any]]:
    """Who gave how many ideas: members by count (ties: who came first), Muse last."""
    counts: dict[int, dict[str, Any]] = {}
    muse = 0
    for idea in ideas:
        if idea.author_id is None:
            muse += 1
            continue
        entry = counts.setdefault(
            idea.author_id, {"author_id": idea.author_id, "author": idea.author_name, "ideas": 0}
        )
        entry["ideas"] += 1
        entry["author"] = idea.author_name  # the newest name they used
    members = sorted(counts.values(), key=lambda e: -e["ideas"])  # stable: first come first
    if muse:
        members.append({"author_id": None, "author": MUSE, "ideas": muse, "muse": True})
    return members


def data_part(ideas: Sequence[IdeaRecord]) -> dict[str, Any]:
    return {
        "ideas": len(ideas),
        "votes": sum(i.votes for i in ideas),
        "top": [
            {
                "id": i.id,
                "text": i.text,
                "votes": i.votes,
                "author_id": i.author_id,
                "author": i.author_name,
            }
            for i in ranked(ideas)[:SHORTLIST_SIZE]
        ],
        "contributors": contributors(ideas),
    }


def parse_model_part(text: str) -> dict[str, str]:
    """'Themes: … / Decision: … / Open questions: …', leniently; anything else is themes."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = FIELD_RE.match(line.strip().replace("**", ""))
        if not match:
            continue
        name, value = match.group(1).lower(), match.group(2).strip()
        key = "themes" if name.startswith("theme") else "decision"
        key = "open" if name.startswith("open") else key
        if value and key not in found:
            found[key] = value[:FIELD_CHARS]
    if not found and text.strip():
        found["themes"] = " ".join(text.split())[:FIELD_CHARS]
    return found


async def build_summary(
    core: Core, session: SessionRecord, ideas: Sequence[IdeaRecord]
) -> dict[str, Any]:
    summary = data_part(ideas)
    if not ideas:
        return summary
    profile = await core.memory.profile(session.owner_id)
    best = ranked(ideas)
    top = best[0] if best[0].votes else None
    # Ideas without their authors: the model's part never names anyone.
    # One line ("a (3); b (2)"): the few-shot form keeps every value on its own line.
    listed = "; ".join(f"{short(i.text)} ({i.votes})" for i in best[:MODEL_IDEAS])
    variables = {
        "topic": session.topic,
        "ideas": listed,
        "top": short(top.text) if top else "(no votes yet)",
        "profile": profile_text(profile),
        "voice": profile.voice or "natural, friendly",
        "audience": profile.audience or "everyone",
    }
    try:
        text = await core.llm.complete("summary", variables)
    except MuseError as exc:
        log.warning("session %s: summary model part failed: %s", session.id, type(exc).__name__)
        summary["model_failed"] = True
        return summary
    except Exception:  # a bug must not cost the group its summary: the data part stands
        log.exception("session %s: summary model part failed", session.id)
        summary["model_failed"] = True
        return summary
    examples = core.llm.prompts["summary"].completion.examples
    summary.update(grounded(parse_model_part(text), session.topic, ideas, top, examples))
    return summary


def short(text: str) -> str:
    return " ".join(text.split())[:MODEL_IDEA_CHARS]


def grounded(
    part: dict[str, str],
    topic: str,
    ideas: Sequence[IdeaRecord],
    top: IdeaRecord | None,
    examples: str,
) -> dict[str, str]:
    """The model's part, minus what a small model copied from its few-shot examples or
    wrote off topic; a decision must be about the most voted idea (else the data's own
    suggestion stands in: that idea)."""
    pool = " ".join([topic, *(i.text for i in ideas)])
    kept: dict[str, str] = {}
    for key, value in part.items():
        if value.lower() in examples.lower():
            continue
        if key == "themes" and not on_topic(value, pool):
            continue
        if key == "decision" and not on_topic(value, top.text if top else pool):
            continue
        kept[key] = value
    if "decision" not in kept and top is not None:
        kept["decision"] = f"go with “{top.text}”, the most voted"
    return kept


async def _post_summary(core: Core, session: SessionRecord, summary: dict[str, Any]) -> None:
    try:
        outbox = core.outbox(session.key.platform)
    except NoOutbox:
        return
    reply_to = None if session.own_space else session.opening_id
    text = summary_text(session, summary)
    try:
        # Not kept as one of the session's messages: a reply to the summary ("nice
        # one!") is talk about a session that is over, not an idea turned away as too
        # late (nor, where a new session runs now, an idea for that one).
        ids = await outbox.post(session.key, Reply(text), reply_to=reply_to)
    except Exception:
        log.warning("session %s: posting the summary failed", session.id)
        log.debug("post failure", exc_info=True)
        ids = []
    if not session.own_space or session.origin == session.key:
        return
    try:
        if not ids or not summary.get("ideas"):
            # Its thread or topic is gone (an admin deleted it) or closed to Muse: the
            # summary goes where the session was started, not nowhere behind a dead link.
            # With no ideas it is one line: that line itself, not a link to it.
            await outbox.post(session.origin, Reply(text))
            return
        link = outbox.link(session.key, ids[0])
        top = [t for t in summary.get("top") or [] if t["votes"]]
        best = f" Top idea: {top[0]['text']} ({top[0]['votes']} 👍)." if top else ""
        where = f" Summary: {link}" if link else ""
        await outbox.post(session.origin, Reply(f"{heading(session)} — closed.{best}{where}"))
    except Exception:
        log.warning("session %s: posting where it was started failed", session.id)
        log.debug("post failure", exc_info=True)
