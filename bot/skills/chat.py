"""Free text: a conversation that remembers the recent turns and the creator's style."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.context import Context
from bot.messages import Outgoing, Reply
from bot.skills.common import stream_text


async def chat(ctx: Context) -> AsyncIterator[Outgoing]:
    out: list[str] = []
    async for progress in stream_text(ctx, "chat", {"message": ctx.args}, out=out):
        yield progress
    answer = out[0].strip() or "I'm listening — tell me more about the post you have in mind."
    await ctx.remember(ctx.args, answer)
    yield Reply(answer)
