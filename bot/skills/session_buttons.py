"""The session buttons: 👍 (vote, or take the vote back), 🔀 Riff and 💡 Add idea.
Each press carries an id only, checked against the chat it comes from."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.context import Context
from bot.messages import Action, Outgoing, Reply
from bot.skills.session_render import votes_text
from bot.skills.session_riff import checked_idea, refusal, riff


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
