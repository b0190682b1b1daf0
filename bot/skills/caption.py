"""/caption: three captions in clearly different tones, within the platform's rules."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Sequence

from bot.commands import Param, command
from bot.context import Context
from bot.errors import BadInput, Forgotten, LLMUnavailable, MuseError
from bot.llm.engine import Answer
from bot.messages import Attachment, Outgoing
from bot.novelty import Picker
from bot.platforms import PLATFORMS, Platform, repair
from bot.skills.arguments import check_id, platform_last
from bot.skills.common import (
    DRAFT_REF_RE,
    avoid_filter,
    drafts_reply,
    echoes,
    finished_items,
    platform_vars,
    plural,
    resolve_platform,
    split_tone,
    stream_text,
    tries,
)

log = logging.getLogger(__name__)

TONES = ("warm", "witty", "bold", "poetic", "minimal", "hype", "professional", "playful")
# The order the few-shot examples in prompts/caption.yaml teach the embedded model:
# a warm one, a joke, a sensory one (and a fourth in no one tone: no label).
DEFAULT_TONES = ("warm", "witty", "poetic")
EXAMPLE_TONES = (*DEFAULT_TONES, "")
# Captions shown, and asked for beyond that so the pick has a choice: one more on the
# slow embedded model (its examples show four, so it comes in the same generation), two
# on a chat server.
SHOWN = 3
EXTRA_BASE = 1
EXTRA_CHAT = 2
# Both tries gave fewer than SHOWN usable captions on the embedded model (about 1
# /caption in 7: the rest copied a few-shot example or repeated each other): the list of
# the usable ones is continued for the missing ones, up to TOP_UPS rounds, none started
# after TOP_UP_WITHIN seconds. A base model goes on as it sees the list go, so from
# on-topic captions it stays on topic; a round costs a caption or two of tokens.
TOP_UPS = 2
TOP_UP_WITHIN = 45.0
EXAMPLE = "Tell me what the post shows, e.g. /caption a rainy tram ride in Lisbon"
PHOTO_ONLY = "the attached photo"  # the description of a photo sent without words


# The image formats OpenAI-compatible vision servers accept (OpenAI's own list).
VISION_FORMATS = ("JPEG", "JPG", "PNG", "WEBP", "GIF")


def image_format(image: Attachment) -> str:
    """ "HEIC" for image/heic, "SVG" for image/svg+xml; a photo of no stated type is a
    JPEG (what Telegram makes of every photo)."""
    subtype = (image.mime or "image/jpeg").split(";")[0].split("/")[-1]
    return subtype.split("+")[0].strip().upper() or "JPEG"


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
    usage="/caption <what the post shows> [for <platform>] [tone <tone>]",
    example="/caption a rainy morning in Lisbon, tram 28, for instagram",
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
    text = platform_last(text)
    check_id(text, "/caption #12 for x")
    ref = DRAFT_REF_RE.match(text) if text.startswith("#") else None
    if ref:  # "/caption #12": captions for an idea or draft
        source = await ctx.own_draft(int(ref.group(1)))
        parent_id, text = source.id, source.text.split("\n")[0] + " " + ref.group(2)
    description, platform = resolve_platform(ctx, text)
    # A photo in this message, or the last one sent here ("a photo, then /caption").
    last = ctx.core.last_image.pop(ctx.msg.asker, None)
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
    unseen = [a for a in images if image_format(a) not in VISION_FORMATS]
    if unseen:
        # A server refuses the whole request for one such image ("check the model
        # settings", said to a creator whose settings are fine): name the format instead.
        what = f"I can see JPEG, PNG, WebP and GIF images, not {image_format(unseen[0])}"
        if not description:
            raise BadInput(f"{what} — send it as a JPEG, or describe it in a few words.")
        ctx.notices.append(f"({what}, so I used only your text.)")
        images = [a for a in images if a not in unseen]
    if not description and not images:
        raise BadInput(EXAMPLE)
    if tone and ctx.llm.style == "completion":
        # The small base model follows its few-shot examples, not instructions.
        ctx.notices.append(
            f"(The offline model writes in its own mix of tones; to lead with “{tone}”, "
            "connect a chat model: MUSE_LLM__PROVIDER=openai.)"
        )
    async for out in write_captions(
        ctx,
        description or PHOTO_ONLY,
        platform,
        pick_tones(tone, ctx.profile.voice),
        parent_id=parent_id,
        images=images,
    ):
        yield out


def blind_fallback(ctx: Context, description: str) -> Sequence[Attachment]:
    """The vision server failed and a fallback that can't see images (the offline model)
    answered: from the words alone, said so; with no words, it wrote about "the attached
    photo", captions for some other picture, which are never shown."""
    if description == PHOTO_ONLY:
        raise LLMUnavailable(
            "a fallback that can't see images answered a photo without words",
            "My vision model is unreachable right now, and my fallback can't see photos — "
            "try again in a minute, or add a few words: /caption sunset over the harbour",
        )
    ctx.notices.append(
        "(My vision model didn't answer and my fallback can't see images, "
        "so I used only your text.)"
    )
    return ()


def refused_photo(ctx: Context, description: str) -> Sequence[Attachment]:
    """The model server refused the photo (a model that can't see images): the captions
    came from the words alone, said so; with no words they are about no photo at all,
    never shown (the admin's log names MUSE_LLM__VISION)."""
    if description == PHOTO_ONLY:
        raise MuseError(
            "the model server refused a photo sent without words",
            "My writing engine can't take photos right now — describe it in a few words: "
            "/caption sunset over the harbour",
        )
    ctx.notices.append("(My writing engine didn't take the photo, so I used only your text.)")
    return ()


def without_tone_label(text: str, tones: Sequence[str]) -> str:
    """The caption without the tone a chat model often names in front of it ("**Warm:**
    Rain…", "*Witty* — Lisbon…", "(poetic) Grey…"): the tone is shown beside the draft,
    and the text is what gets posted. A word that only starts like a tone stays
    ("Warm-hearted hills")."""
    names = "|".join(re.escape(t) for t in {*TONES, *tones} if t)
    label = rf"^[*_]*[(\[]?[*_]*(?:{names})[*_]*(?::|\s*[—–]|\s+-|[)\]])[*_]*\s+"
    return re.sub(label, "", text, count=1, flags=re.I) or text


def labelled(items: list[str], tones: Sequence[str], avoid: Sequence[str]) -> list[tuple[str, str]]:
    """Captions with the tone each was written in: the prompt asks for one caption per
    tone, in order, so the model's n-th caption is the n-th tone — as long as it wrote no
    more captions than tones (a list that stops early is still in order). More than that:
    no telling which is which, so no labels."""
    labels = list(tones[: len(items)]) if len(items) <= len(tones) else [""] * len(items)
    texts = avoid_filter(items, avoid)
    if len(texts) == len(items):  # none dropped (banned words maybe stripped in place)
        return list(zip(texts, labels, strict=True))
    label_of = dict(zip(items, labels, strict=True))
    return [(t, label_of[t]) for t in texts]


def sorted_out(
    ctx: Context,
    items: list[str],
    written_in: Sequence[str],
    labels: Sequence[str],
    description: str,
    platform: Platform,
    spare: list[tuple[str, str]],
) -> list[tuple[str, str]]:
    """The usable captions among a generation's items, each with its tone and repaired
    to the platform's limits; one that only hands the description back goes to `spare`."""
    fresh: list[tuple[str, str]] = []
    for text, tone in labelled(items, written_in, ctx.profile.avoid):
        text = without_tone_label(text, labels)
        if text.strip():
            if echoes(text, description):
                spare.append((repair(text, platform), ""))
            else:
                fresh.append((repair(text, platform), tone))
    return fresh


async def write_captions(
    ctx: Context,
    description: str,
    platform: Platform,
    tones: Sequence[str],
    *,
    parent_id: int | None = None,
    like: str = "",
    exclude_parent: bool = True,
    images: Sequence[Attachment] = (),
) -> AsyncIterator[Outgoing]:
    """Ask for a few more captions than are shown, repair them to the platform's limits
    (an answer cut at the token cap keeps only whole sentences), and pick: on topic
    first, then different from each other, then different from what the creator already
    has (bot.novelty). Too few good ones: generate again, once; a caption still too close
    to an earlier draft is shown marked "close to #12". Each caption keeps its tone label
    through all of that (never given by its final position)."""
    started = time.monotonic()
    base_model = ctx.llm.style == "completion"
    ask = SHOWN + (EXTRA_BASE if base_model else EXTRA_CHAT)
    labels = [*tones, *(t for t in DEFAULT_TONES + TONES if t not in tones)][:ask]
    # The base model is never told tones: its few-shot examples teach EXAMPLE_TONES' order.
    written_in = EXAMPLE_TONES[:ask] if base_model else tuple(labels)
    # Captions for an idea resemble it by design; "more like #41" must not give the
    # liked caption back as new (it did, word for word): that one stays in the check.
    exclude = [("draft", parent_id)] if parent_id and exclude_parent else []
    # Word overlap judges relevance only for the base model (see LexicalEmbedder).
    relevance = base_model or ctx.novelty.semantic
    # The base model sometimes captions one of its few-shot examples' posts instead.
    form = ctx.llm.prompts["caption"].completion
    unlike = form.subjects() if base_model else []
    own_language = form.language_subjects(description) if base_model else []
    # Each caption's item is its tone: three tones before two of one (the base model's
    # second try writes in its examples' order again).
    picker: Picker[str] = ctx.novelty.picker(
        ctx.owner,
        description,
        SHOWN,
        exclude,
        relevance=relevance,
        unlike=unlike,
        also_unlike=own_language,
        kind=str,
    )
    variables = {
        **platform_vars(platform, drafts=ask),
        "description": description,
        "tones": ", ".join(labels),
        "count": ask,
        "like": like,
    }
    # A caption made only of the description's words (the base model handing its prompt
    # back) is kept in reserve, for when too few others came. Unlabelled, the reserve is
    # one kind to the pick, so one of them goes in before any second one.
    spare: list[tuple[str, str]] = []
    for _ in tries(ctx, variables):
        out: list[str] = []
        answers: list[Answer] = []
        async for progress in stream_text(
            ctx, "caption", variables, images=images, out=out, answers=answers
        ):
            yield progress
        if images and answers[0].images_refused:
            images = refused_photo(ctx, description)
        elif images and answers[0].style != "chat":
            images = blind_fallback(ctx, description)
        items = finished_items(out[0], answers[0])
        await picker.add(sorted_out(ctx, items, written_in, labels, description, platform, spare))
        if picker.complete:
            break
    for _ in range(TOP_UPS if base_model else 0):
        have = [c.text for c in picker.chosen()]
        if not have or len(have) >= SHOWN or time.monotonic() - started > TOP_UP_WITHIN:
            break
        listed = "".join(f"{i}. {' '.join(t.split())}\n" for i, t in enumerate(have, 1))
        cue = f"{len(have) + 1}."
        so_far = listed + cue
        out, answers = [], []
        try:
            async for progress in stream_text(
                ctx,
                "caption",
                variables,
                out=out,
                answers=answers,
                partial=so_far,
                shown=so_far.__add__,  # the list as it grows, not the new item alone
            ):
                yield progress
        except Forgotten:
            raise
        except MuseError as exc:
            # A top-up is extra: the captions in hand are shown (saying fewer came), not
            # lost to an error about the round that was to add one (a server gone).
            log.warning("caption top-up failed (%s); showing what came", type(exc).__name__)
            break
        items = finished_items(cue + out[0], answers[0])
        await picker.add(
            sorted_out(ctx, items, written_in[len(have) :], labels, description, platform, spare)
        )
    if not picker.complete and spare:
        await picker.add(spare)
    chosen = picker.chosen()
    if not chosen:
        raise MuseError(
            "model gave no usable captions",
            "I couldn't write fresh captions this time — add a detail or two and try again.",
        )
    if len(chosen) < SHOWN:  # "2 captions" alone read as if two were all it meant to give
        ctx.notices.append(
            f"(Only {plural(len(chosen), 'caption')} of the {SHOWN} I write: "
            f"{picker.why_fewer()} — ask again for more.)"
        )
    records = await ctx.save_drafts(
        "caption", platform.key, description, [(c.text, c.item) for c in chosen], parent_id
    )
    await picker.remember([("draft", r.id) for r in records])
    voice = f" · your voice: {ctx.profile.voice}" if ctx.profile.voice else ""
    reply = drafts_reply(
        ctx,
        f"{plural(len(records), 'caption')} for {platform.name}{voice}",
        records,
        notes=[c.note for c in chosen],
    )
    await ctx.remember(ctx.msg.text or f"/caption {description}", reply.text)
    yield reply
