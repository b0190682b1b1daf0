"""Ideas in a session: storing and showing one (its own message, with its buttons),
Muse's seed ideas from the brainstorm prompt, and riffs on an idea."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

from bot.context import Context
from bot.errors import MuseError
from bot.memory.sessions import IdeaRecord, SessionRecord
from bot.messages import Progress
from bot.skills.brainstorm import parse_idea
from bot.skills.common import novel, parse_items, stream_text
from bot.skills.session_render import MUSE, idea_reply

log = logging.getLogger(__name__)

SEEDS = 3
MAX_RIFFS = 3
IDEA_MAX_CHARS = 500
RIFF_RE = re.compile(r"^\s*(?:riff|variation|version)\s*\d*\s*[:.-]\s*", re.I)


async def active_series(ctx: Context) -> str:
    """Hook for issue 9 (series): a line about the group's active series, to steer the
    seed ideas. `bot/skills/series.py` does not exist yet, so there is none."""
    return ""


def clean_idea(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > IDEA_MAX_CHARS:
        text = text[: IDEA_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


async def publish(ctx: Context, session: SessionRecord, idea: IdeaRecord) -> None:
    """Post the idea as its own message with [👍 N] [🔀 Riff], and remember the message
    (a reply to it is an idea; its vote count is edited later)."""
    reply_to = None if session.own_space else session.opening_id
    ids = await ctx.core.post(session.key, idea_reply(idea, True), reply_to=reply_to)
    await ctx.memory.add_session_messages(session, ids, idea.id)


async def seed_ideas(ctx: Context, session: SessionRecord) -> AsyncIterator[Progress]:
    """Muse's own opening ideas, from the brainstorm prompt with the group's /style (and
    its active series); each posted and stored as an idea by Muse. A model failure
    leaves the session without seeds, never without a start."""
    yield Progress(f"💡 Session #{session.id} is open — thinking of {SEEDS} seed ideas…")
    topic = session.topic
    series = await active_series(ctx)
    if series:
        topic = f"{topic} ({series})"
    out: list[str] = []
    try:
        async for _ in stream_text(
            ctx, "brainstorm", {"topic": topic, "count": SEEDS}, with_history=False, out=out
        ):
            pass
    except MuseError as exc:
        log.warning("session %s: seed ideas failed: %s", session.id, type(exc).__name__)
        return
    except Exception:  # the session is open already: it goes on without seeds
        log.exception("session %s: seed ideas failed", session.id)
        return
    hooks = [i.hook for i in (parse_idea(x) for x in parse_items(out[0])) if i]
    for text in novel([clean_idea(h) for h in hooks], [])[:SEEDS]:
        idea = await ctx.memory.add_idea(
            session.id, author=None, author_name=MUSE, text=text, via="seed"
        )
        if idea is None:  # closed meanwhile
            return
        await publish(ctx, session, idea)


def parse_riffs(text: str, source: str, existing: list[str]) -> list[str]:
    items = [clean_idea(RIFF_RE.sub("", item)) for item in parse_items(text)]
    items = [i for i in items if len(i) >= 3 and i.lower() != source.lower()]
    return novel(items, [source, *existing])[:MAX_RIFFS]


async def riff_texts(
    ctx: Context, session: SessionRecord, idea: IdeaRecord, direction: str
) -> list[str]:
    """2–3 variations of an idea (from the model, with the group's style)."""
    existing = [i.text for i in await ctx.memory.ideas(session.id)]
    variables = {
        "topic": session.topic,
        "idea": idea.text,
        "direction": direction or "a fresh twist that keeps its core",
    }
    out: list[str] = []
    async for _ in stream_text(ctx, "riff", variables, with_history=False, out=out):
        pass
    return parse_riffs(out[0], idea.text, existing)
