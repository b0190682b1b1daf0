"""/caption: three captions in clearly different tones, within the platform's rules."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from bot.commands import Param, command
from bot.context import Context
from bot.errors import BadInput, MuseError
from bot.llm.engine import Answer
from bot.messages import Attachment, Outgoing
from bot.platforms import PLATFORMS, Platform, repair
from bot.skills.common import (
    DRAFT_REF_RE,
    avoid_filter,
    drafts_reply,
    finished_items,
    novel,
    on_topic,
    platform_vars,
    resolve_platform,
    split_tone,
    stream_text,
)

TONES = ("warm", "witty", "bold", "poetic", "minimal", "hype", "professional", "playful")
# The order the few-shot examples in prompts/caption.yaml teach the embedded model:
# a warm one, a joke, a sensory one.
DEFAULT_TONES = ("warm", "witty", "poetic")
EXAMPLE = "Tell me what the post shows, e.g. /caption a rainy tram ride in Lisbon"


def pick_tones(lead: str | None, voice: str) -> tuple[str, ...]:
    """Three distinct tones: the asked one (or the creator's voice) first."""
    first = [lead] if lead else [w.strip() for w in voice.split(",") if w.strip()][:1]
    tones = [*first]
    for tone in DEFAULT_TONES + TONES:
        if len(tones) == 3:
            break
        if tone.lower() not in (t.lower() for t in tones):
            tones.append(tone)
    return tuple(tones)


@command(
    "caption",
    "Write 3 captions in different tones, within the platform's real limits.",
    usage="/caption <what the post shows> [for <platform>]",
    params=(
        Param("description", "What the post shows", required=True, rest=True),
        Param("platform", "Where it will be posted", choices=tuple(PLATFORMS)),
        Param("tone", "The tone to lead with", choices=TONES),
    ),
)
async def caption(ctx: Context) -> AsyncIterator[Outgoing]:
    text, tone = split_tone(ctx.option("description") or ctx.args)
    tone = ctx.option("tone") or tone
    parent_id = None
    ref = DRAFT_REF_RE.match(text) if text.startswith("#") else None
    if ref:  # "/caption #12": captions for an idea or draft
        source = await ctx.own_draft(int(ref.group(1)))
        parent_id, text = source.id, source.text.split("\n")[0] + " " + ref.group(2)
    description, platform = resolve_platform(ctx, text)
    # A photo in this message, or the last one sent here ("a photo, then /caption").
    last = ctx.core.last_image.pop(ctx.session, None)
    images: list[Attachment] = [a for a in ctx.msg.attachments if a.kind == "image"]
    if not images and last is not None:
        images = [last]
    if images and not ctx.llm.supports_vision:
        if not description:
            raise BadInput(
                "This model can't see photos — add a few words about it, "
                "e.g. /caption sunset over the harbour"
            )
        ctx.notices.append("(This model can't see images, so I used only your text.)")
        images = []
    if not description and not images:
        raise BadInput(EXAMPLE)
    async for out in write_captions(
        ctx,
        description or "the attached photo",
        platform,
        pick_tones(tone, ctx.profile.voice),
        parent_id=parent_id,
        images=images,
    ):
        yield out


def labelled(items: list[str], tones: Sequence[str], avoid: Sequence[str]) -> list[tuple[str, str]]:
    """Captions with the tone each was written in: the prompt asks for one caption per
    tone, in order, so the model's n-th caption is the n-th tone — when it wrote exactly
    one per tone. Otherwise there is no telling which is which: no labels."""
    labels = list(tones) if len(items) == len(tones) else [""] * len(items)
    texts = avoid_filter(items, avoid)
    if len(texts) == len(items):  # none dropped (banned words maybe stripped in place)
        return list(zip(texts, labels, strict=True))
    label_of = dict(zip(items, labels, strict=True))
    return [(t, label_of[t]) for t in texts]


async def write_captions(
    ctx: Context,
    description: str,
    platform: Platform,
    tones: Sequence[str],
    *,
    parent_id: int | None = None,
    like: str = "",
    images: Sequence[Attachment] = (),
) -> AsyncIterator[Outgoing]:
    """Generate, repair to the platform's limits, drop repeats of what the creator
    already has, and regenerate if fewer than three fresh captions remain. The small
    base model (completion style) drifts off topic: it gets a third try, and captions
    that mention the post come first. Each caption keeps its tone label through all of
    that (never given by its final position)."""
    existing = [d.text for d in await ctx.memory.drafts(ctx.owner, limit=50)]
    base_model = ctx.llm.style == "completion"
    # The base model is never told tones: its few-shot examples teach DEFAULT_TONES' order.
    written_in = DEFAULT_TONES if base_model else tuple(tones)
    tone_of: dict[str, str] = {}
    pool: list[str] = []
    kept: list[str] = []
    variables = {
        **platform_vars(platform, drafts=3),
        "description": description,
        "tones": ", ".join(tones),
        "like": like,
    }
    for attempt in range(3 if base_model else 2):
        if attempt:
            variables["_temperature"] = min(1.3, ctx.settings.llm.temperature + 0.3)
        out: list[str] = []
        answers: list[Answer] = []
        async for progress in stream_text(
            ctx, "caption", variables, images=images, out=out, answers=answers
        ):
            yield progress
        items = finished_items(out[0], answers[0])
        batch = [
            (repair(text, platform), tone)
            for text, tone in labelled(items, written_in, ctx.profile.avoid)
            if text.strip()
        ]
        for text, tone in batch:
            tone_of.setdefault(text, tone)
        pool = novel([*pool, *(text for text, _ in batch)], existing)
        kept = [t for t in pool if on_topic(t, description)] if base_model else pool
        if len(kept) >= 3:
            break
    kept += [t for t in pool if t not in kept]
    if not kept:
        raise MuseError(
            "model gave no usable captions",
            "I couldn't write fresh captions this time — add a detail or two and try again.",
        )
    kept = kept[:3]
    records = await ctx.save_drafts(
        "caption", platform.key, description, [(t, tone_of.get(t, "")) for t in kept], parent_id
    )
    voice = f" · your voice: {ctx.profile.voice}" if ctx.profile.voice else ""
    reply = drafts_reply(ctx, f"{len(records)} captions for {platform.name}{voice}", records)
    await ctx.remember(ctx.msg.text or f"/caption {description}", reply.text)
    yield reply
