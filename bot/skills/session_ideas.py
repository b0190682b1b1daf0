"""Ideas in a session: what counts as one (/idea, a reply to a session message, a
message in the session's own thread), storing and showing each as its own message with
its buttons, and Muse's seed ideas from the brainstorm prompt."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from bot.commands import Param, command
from bot.context import Context
from bot.errors import BadInput, MuseError
from bot.memory.ideas import SameIdea
from bot.memory.session_records import IdeaRecord, SessionRecord
from bot.messages import Incoming, Outgoing, Progress, Reply
from bot.novelty import Picker
from bot.skills.brainstorm import parse_idea
from bot.skills.common import novel, parse_items, stream_text, tries
from bot.skills.series import series_context
from bot.skills.session_render import MUSE, heading

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

SEEDS = 3
IDEA_MAX_CHARS = 500
IDEA_CHARS_RE = re.compile(r"\w")
START_EXAMPLE = "/session start names for our Friday stream 20"


def group_only(ctx: Context) -> None:
    if ctx.msg.is_group:
        return
    platform = ctx.msg.session.platform
    if platform == "discord":
        # "Add me to a group" sent a Discord user to a group DM, where Muse can't be.
        raise BadInput(
            "Brainstorm sessions happen in a server's channels — send /session start "
            "<topic> in a channel I'm in."
        )
    hint = " (In the terminal: muse chat --group.)" if platform == "console" else ""
    raise BadInput(
        "Brainstorm sessions happen in groups — add me to one and send "
        f"/session start <topic> there.{hint}"
    )


def link_to(ctx: Context, session: SessionRecord) -> str:
    try:
        link = ctx.core.outbox(session.key.platform).link(session.key, session.opening_id)
    except Exception:
        link = None
    return link or f"look for “{heading(session)}”"


def clean_idea(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > IDEA_MAX_CHARS:
        text = text[: IDEA_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


async def publish(ctx: Context, session: SessionRecord, idea: IdeaRecord) -> None:
    """Post the idea as its own message with [👍 N] [🔀 Riff], and remember the message
    (a reply to it is an idea; its vote count is edited later). Not if it is posted
    already, or being posted (SessionRuntime.show_idea, which also gives one out after
    its session closed its closed buttons)."""
    await ctx.core.sessions.show_idea(session, idea)


async def seed_ideas(ctx: Context, session: SessionRecord) -> AsyncIterator[Progress]:
    """Muse's own opening ideas, from the brainstorm prompt with the group's /style (and
    its active series); each posted and stored as an idea by Muse. A model failure
    leaves the session without seeds, never without a start."""
    yield Progress(
        f"💡 Session #{session.id} is open — thinking of {SEEDS} seed ideas…", notice=True
    )
    # The group's running series (/series) steers the seeds, as it does a brainstorm.
    variables: dict[str, object] = {
        "topic": session.topic,
        "count": SEEDS,
        "series": await series_context(ctx),
    }
    base_model = ctx.llm.style == "completion"
    # As in /brainstorm: the base model's ideas about a few-shot example's topic (guitar
    # lessons, asked for podcast titles) are never shown; the rest keep their order.
    examples = ctx.llm.prompts["brainstorm"].completion
    picker: Picker[str] = ctx.novelty.picker(
        ctx.owner,
        session.topic,
        SEEDS,
        relevance=base_model or ctx.novelty.semantic,
        unlike=examples.subjects() if base_model else [],
        also_unlike=examples.language_subjects(session.topic) if base_model else [],
    )
    # Never a seed the group's sessions already had (last week's seeds again): such
    # repeats are dropped and the model is asked once more, a little warmer.
    try:
        had = await ctx.memory.past_idea_texts(ctx.owner)
        for _ in tries(ctx, variables):
            out: list[str] = []
            async for _ in stream_text(ctx, "brainstorm", variables, with_history=False, out=out):
                pass
            hooks = [clean_idea(i.hook) for i in map(parse_idea, parse_items(out[0])) if i]
            fresh = novel(hooks, had)
            await picker.add([(h, h) for h in fresh])
            had += fresh
            if picker.filled or len(fresh) == len(novel(hooks, [])):
                break  # enough, or none was a repeat: asking again would not help
    except MuseError as exc:
        log.warning("session %s: seed ideas failed: %s", session.id, type(exc).__name__)
        return
    except Exception:  # the session is open already: it goes on without seeds
        log.exception("session %s: seed ideas failed", session.id)
        return
    for text in [c.item for c in picker.chosen()]:
        idea = await ctx.memory.add_idea(
            session.id, author=None, author_name=MUSE, text=text, via="seed"
        )
        if idea is None:  # closed meanwhile
            return
        await publish(ctx, session, idea)


def author_name(msg: Incoming) -> str:
    return msg.user_name or msg.user_handle or "a member"


async def contribute(
    ctx: Context, session: SessionRecord, text: str, via: str, *, quiet: bool = False
) -> AsyncIterator[Outgoing]:
    """Store a member's idea and show it with its buttons. `quiet`: the member did not
    address Muse (chatter in the session's thread), so a refusal is not worth a reply."""
    cut = len(" ".join(text.split())) > IDEA_MAX_CHARS
    text = clean_idea(text)
    problem = None
    if not session.is_open:
        problem = (
            f"Session #{session.id} is closed, so that isn't added as an idea — "
            f"/session show {session.id} has its summary."
        )
    elif len(text) < 3 or not IDEA_CHARS_RE.search(text):
        problem = "That's a bit short for an idea — e.g. /idea Retro Rain Radio"
    if problem:
        if not quiet:
            yield Reply(problem, is_error=True)
        return
    try:
        idea = await ctx.memory.add_idea(
            session.id,
            author=ctx.person,
            author_name=author_name(ctx.msg),
            text=text,
            via=via,
            unique=True,
        )
    except SameIdea as same:
        idea = unshown_own(ctx, same.existing)
        if idea is None:
            if not quiet:
                yield Reply(
                    f"That one is already in as #{same.existing.id} — vote for it with 👍.",
                    is_error=True,
                )
            return
    if idea is None:  # closed a moment ago
        if not quiet:
            yield Reply(f"Session #{session.id} just closed — /session show {session.id}.")
        return
    try:
        await publish(ctx, session, idea)
    except Exception:
        # Muse may no longer post there (its rights changed): an idea nobody can see or
        # vote on is not kept, and its author hears so rather than "something went wrong".
        log.warning("session %s: idea %s could not be posted", session.id, idea.id)
        log.debug("idea post failure", exc_info=True)
        await ctx.memory.withdraw_idea(idea.id)
        raise BadInput(
            "I couldn't post your idea in the session, so it isn't in — check that I may "
            "still send messages there, then send it again."
        ) from None
    if cut:  # never shortened behind the author's back
        yield Reply(f"#{idea.id} was long, so it's in as its first {IDEA_MAX_CHARS} characters.")
    else:
        yield Reply("")  # the idea went out as its own message, with its buttons


def unshown_own(ctx: Context, idea: IdeaRecord) -> IdeaRecord | None:
    """The person's own idea, stored but never shown: a restart cut its posting off and
    this is their message answered again. It is shown now, not called "already in" with
    nothing there to vote on. (Their own sends are answered in turn, so an idea of
    theirs still being posted is never met here.)"""
    return idea if idea.author_id == ctx.person and idea.message_id is None else None


@command(
    "idea",
    "Add an idea to the brainstorm session running here.",
    usage="/idea <your idea>",
    example="/idea Retro Rain Radio",
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
        s = started_here(ctx, running)[-1]
        return f"No session runs right here — {heading(s)} runs in {link_to(ctx, s)}; add it there."
    return f"No session is running here — start one: {START_EXAMPLE}"


def started_here(ctx: Context, running: list[SessionRecord]) -> list[SessionRecord]:
    """Of the sessions running in this chat, those started right here (in a forum, this
    topic: the one its members mean), else all of them."""
    return [s for s in running if s.origin == ctx.msg.session] or running


async def idea_target(core: Core, msg: Incoming) -> tuple[SessionRecord, str] | None:
    """The session a non-command group message contributes to, and how: a reply to one
    of its messages (open or closed), or any message in an open session's own thread."""
    if not msg.is_group or msg.action is not None or not msg.text.strip():
        return None  # a photo alone is not an idea (and may be meant for /caption)
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
