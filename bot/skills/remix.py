"""/remix: rewrite a post or draft for another platform or tone, keeping its message."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from bot.commands import Param, command
from bot.context import Context
from bot.errors import BadInput, MuseError
from bot.llm.engine import Answer
from bot.messages import Outgoing, Reply
from bot.novelty import Picker
from bot.platforms import PLATFORMS, Platform, find_platform, repair
from bot.skills.arguments import check_id, platform_last
from bot.skills.caption import TONES
from bot.skills.common import (
    avoided,
    drafts_reply,
    finished_items,
    noted_platform,
    platform_vars,
    resolve_platform,
    split_tone,
    stream_text,
)

# Rewrites a chat server writes per remix; one is shown.
VARIANTS_CHAT = 2
EXAMPLE = (
    "Tell me what to remix: /remix #12 for x, /remix <your text> for linkedin, "
    "or reply to a message with /remix"
)


def same_words(a: str, b: str) -> bool:
    """The same words in the same order, whatever the case, spacing or punctuation: a
    "rewrite" like that is the source again, which under a new number helps nobody."""
    return re.findall(r"\w+", a.lower()) == re.findall(r"\w+", b.lower())


def platform_named(ctx: Context, text: str) -> tuple[str, Platform | None]:
    """The platform the text names at its end (noted_platform), if any. "/remix #2 for
    facebook" was an X remix labelled "(for facebook)", and "/remix <post> for facebook"
    a remix of the words "for facebook" too: as for a caption, a network Muse has no
    rules for is named as such and the remix goes to the creator's default platform
    (told so); the words are the text without it."""
    text, platform = noted_platform(ctx, text)
    if platform is not None:
        return text, platform
    kept, default = resolve_platform(ctx, text)
    return (kept, default) if kept != text else (text, None)


@command(
    "remix",
    "Rewrite a post or draft for another platform or tone, keeping its message.",
    usage="/remix <text or #draft> [for <platform>] [tone <tone>]",
    example="/remix #41 for linkedin tone professional",
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
    text = platform_last(text)
    check_id(text, "/remix #12 for x")
    ref = re.match(r"^#(\d{1,9})\b(.*)$", text, re.S)
    if ref:
        draft = await ctx.own_draft(int(ref.group(1)))
        # "/remix #2: make it shorter": the colon is no part of the instruction (it
        # labelled the draft "(: make it shorter)").
        source, parent_id, rest = draft.text, draft.id, ref.group(2).strip(" \t\n:,;-–—")
        default = PLATFORMS.get(draft.platform)
        rest, platform = platform_named(ctx, rest)
        platform = platform or default
    elif ctx.msg.reply_to_text and ctx.msg.reply_to_text.strip():
        # "/remix make it punchier for linkedin" as a reply: the replied message is the
        # source, or the one draft of Muse's it shows (several: which one?).
        found = await ctx.replied_drafts()
        if len(found) > 1:
            # Each suggestion carries what was asked ("make it punchier for linkedin"):
            # sent as is, it must not lose the instruction and platform.
            asked = " ".join((ctx.option("text") or ctx.args).split())
            options = " · ".join(f"/remix #{d.id} {asked}".rstrip() for d in found)
            yield Reply(f"Which one should I remix? {options}")
            return
        rest, platform = platform_named(ctx, text)
        if found:
            source, parent_id = found[0].text, found[0].id
            platform = platform or PLATFORMS.get(found[0].platform)
        else:
            source = ctx.msg.reply_to_text.strip()
    else:
        source, platform = platform_named(ctx, text)
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
    """Rewrite `source` for `platform`. A chat server writes two rewrites and the pick
    keeps the one most faithful to the source yet unlike earlier drafts (the draft being
    remixed aside); it tries once more only when the answer held nothing usable (e.g. one
    long sentence cut at the token cap). The small base model (completion style) writes
    one at a time and sometimes copies a few-shot example instead: a rewrite unrelated to
    the source is retried, and if none is faithful the creator gets their own text fitted
    to the platform, told so, rather than someone else's post."""
    base_model = ctx.llm.style == "completion"
    count = 1 if base_model else VARIANTS_CHAT
    variables: dict[str, object] = {
        **platform_vars(platform, drafts=count),
        "source": source,
        "count": count,
        "instructions": instructions or "keep the message, make it feel native to the platform",
    }
    exclude = [("draft", parent_id)] if parent_id else []
    relevance = base_model or ctx.novelty.semantic
    picker: Picker[str] = ctx.novelty.picker(ctx.owner, source, 1, exclude, relevance=relevance)
    for attempt in range(3 if base_model else 2):
        if attempt:
            variables["_temperature"] = min(1.2, ctx.settings.llm.temperature + 0.2 * attempt)
        out: list[str] = []
        answers: list[Answer] = []
        async for progress in stream_text(ctx, "remix", variables, out=out, answers=answers):
            yield progress
        items = finished_items(out[0], answers[0])[:count]
        # The base model sometimes hands its source back word for word: no rewrite. It
        # is never told the words to avoid (its prompt has the voice only): one that
        # uses one is written again too.
        items = [
            t
            for t in items
            if t.strip() and not same_words(t, source) and not avoided(t, ctx.profile.avoid)
        ]
        await picker.add([(repair(t, platform), t) for t in items])
        chosen = picker.chosen()
        # A close one is marked, not retried: remixes of one source are alike by design.
        # The base model retries an unfaithful one; a chat model only an empty answer.
        usable = [c for c in chosen if c.on_topic] if base_model else chosen
        if picker.complete or usable:
            break
    chosen = picker.chosen()
    note, label = "", instructions[:40]
    if chosen and (chosen[0].on_topic or not base_model):
        text, note = chosen[0].text, chosen[0].note
    elif base_model:
        text, label = repair(source, platform), ""  # their own words, in no asked tone
        if parent_id is not None and same_words(text, source):
            # The draft as it was: a copy under a new number helps nobody.
            raise MuseError(
                "remix fell back to its unchanged source",
                f"The offline model couldn't rewrite #{parent_id} this time — try again.",
            )
        ctx.notices.append(
            "(The offline model couldn't rewrite this faithfully, so here is your text "
            f"fitted to the rules of {platform.name}.)"
        )
    else:
        raise MuseError("model gave an empty remix", "I couldn't remix that this time — try again.")
    records = await ctx.save_drafts(
        "remix", platform.key, instructions or source[:200], [(text, label)], parent_id
    )
    if chosen and text == chosen[0].text:
        await picker.remember([("draft", records[0].id)])
    else:
        await ctx.novelty.remember(ctx.owner, [("draft", records[0].id)], [text])
    origin = f" from #{parent_id}" if parent_id else ""
    reply = drafts_reply(ctx, f"Remix{origin} for {platform.name}", records, notes=[note])
    await ctx.remember(ctx.msg.text or f"/remix {source[:200]}", reply.text)
    yield reply
