"""/remix: rewrite a post or draft for another platform or tone, keeping its message."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from bot.commands import Param, command
from bot.context import Context
from bot.errors import BadInput, MuseError
from bot.llm.engine import Answer
from bot.messages import Outgoing
from bot.platforms import PLATFORMS, Platform, find_platform, repair
from bot.skills.caption import TONES
from bot.skills.common import (
    drafts_reply,
    finished_items,
    on_topic,
    platform_vars,
    resolve_platform,
    split_platform,
    split_tone,
    stream_text,
)

EXAMPLE = (
    "Tell me what to remix: /remix #12 for x, /remix <your text> for linkedin, "
    "or reply to a message with /remix"
)


@command(
    "remix",
    "Rewrite a post or draft for another platform or tone, keeping its message.",
    usage="/remix <text or #draft> [for <platform>] [tone <tone>]",
    params=(
        Param("text", "The text to remix, or #id of one of your drafts", required=True, rest=True),
        Param("platform", "Target platform", choices=tuple(PLATFORMS)),
        Param("tone", "New tone", choices=TONES),
    ),
)
async def remix(ctx: Context) -> AsyncIterator[Outgoing]:
    text, tone = split_tone(ctx.option("text") or ctx.args)
    tone = ctx.option("tone") or tone
    parent_id = None
    ref = re.match(r"^#(\d{1,9})\b(.*)$", text, re.S)
    if ref:
        draft = await ctx.own_draft(int(ref.group(1)))
        source, parent_id, rest = draft.text, draft.id, ref.group(2).strip()
        default = PLATFORMS.get(draft.platform)
        rest, platform = split_platform(rest)
        platform = platform or default
    elif ctx.msg.reply_to_text and ctx.msg.reply_to_text.strip():
        # "/remix make it punchier for linkedin" as a reply: the replied message is the source.
        source = ctx.msg.reply_to_text.strip()
        rest, platform = split_platform(text)
    else:
        source, platform = split_platform(text)
        rest = ""
    option = ctx.option("platform")
    if option:
        platform = find_platform(option) or platform
    if platform is None:
        _, platform = resolve_platform(ctx, "")
    if not source.strip():
        raise BadInput(EXAMPLE)
    instructions = ", ".join(p for p in (rest, f"tone: {tone}" if tone else "") if p)
    async for out in remix_text(ctx, source, platform, instructions, parent_id=parent_id):
        yield out


async def remix_text(
    ctx: Context,
    source: str,
    platform: Platform,
    instructions: str = "",
    *,
    parent_id: int | None = None,
) -> AsyncIterator[Outgoing]:
    """Rewrite `source` for `platform`. The small base model (completion style) sometimes
    copies a few-shot example instead: a rewrite that shares no content word with the
    source is retried, and if none is faithful the creator gets their own text fitted
    to the platform, told so, rather than someone else's post."""
    base_model = ctx.llm.style == "completion"
    variables: dict[str, object] = {
        **platform_vars(platform),
        "source": source,
        "instructions": instructions or "keep the message, make it feel native to the platform",
    }
    text = ""
    # A chat model's second try is for an answer with nothing usable (e.g. one long
    # sentence cut at the token cap).
    for attempt in range(3 if base_model else 2):
        if attempt:
            variables["_temperature"] = min(1.2, ctx.settings.llm.temperature + 0.2 * attempt)
        out: list[str] = []
        answers: list[Answer] = []
        async for progress in stream_text(ctx, "remix", variables, out=out, answers=answers):
            yield progress
        items = finished_items(out[0], answers[0])
        text = items[0] if items else ""
        if text and (not base_model or on_topic(text, source, min_shared=2)):
            break
    else:
        if base_model:
            text = source
            ctx.notices.append(
                "(The offline model couldn't rewrite this faithfully, so here is your text "
                f"fitted to {platform.name}'s rules.)"
            )
    if not text:
        raise MuseError("model gave an empty remix", "I couldn't remix that this time — try again.")
    text = repair(text, platform)
    records = await ctx.save_drafts(
        "remix", platform.key, instructions or source[:200], [(text, instructions[:40])], parent_id
    )
    origin = f" from #{parent_id}" if parent_id else ""
    reply = drafts_reply(ctx, f"Remix{origin} for {platform.name}", records)
    await ctx.remember(ctx.msg.text or f"/remix {source[:200]}", reply.text)
    yield reply
