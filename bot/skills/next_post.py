"""/next: what the active series should post next, with one line on why that points at
what was posted before."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence

from bot.commands import command
from bot.context import Context
from bot.errors import BadInput, MuseError
from bot.messages import Action, Button, Outgoing, Reply
from bot.novelty import Picker
from bot.skills.common import on_topic, stream_text, tries
from bot.skills.series import SERIES_HELP, as_sentence, one_line, series_named

POSTS_FOR_NEXT = 5
# The request stored with a /next idea: this and the series' name.
NEXT_IN = "next in "
NEXT_RE = re.compile(r"^\s*(?:\d[.)]\s*)?(?:next(?: post)?\s*[:\-]\s*)?(.*?)\s*$", re.I | re.S)
WHY_RE = re.compile(r"\bwhy\s*[:\-]\s*", re.I)


def parse_next(text: str) -> tuple[str, str]:
    """'Next: … / Why: …' (lenient: either label may be missing) -> (idea, why)."""
    parts = WHY_RE.split(text, maxsplit=1)
    head = parts[0]
    why = parts[1] if len(parts) > 1 else ""
    match = NEXT_RE.match(head)
    idea = " ".join((match.group(1) if match else head).split()).strip(' "“”')
    why = " ".join(why.split("\n")[0].split()).strip(' "“”')
    return idea, why


def pointed_why(why: str, published: Sequence[str], premise: str) -> str:
    """The why, made to point at what was posted before when it doesn't already."""
    if not published:
        return why or f"it opens the series: {as_sentence(premise)}"
    last = published[-1]
    if why and any(on_topic(why, p) for p in published):
        return why
    pointer = f"after “{one_line(last, 60)}”"
    return f"{why.rstrip('. ')} — {pointer}." if why else f"it picks up {pointer}."


@command("next", "What your active series should post next, and why.", usage="/next")
async def next_(ctx: Context) -> AsyncIterator[Outgoing]:
    series = await ctx.memory.active_series(ctx.owner)
    if ctx.args.strip():
        # "/next Lisbon" while “Porto” was active answered for Porto, saying nothing of
        # Lisbon; its /posted would have gone to Porto too. /next follows the active one.
        asked = await series_named(ctx, " ".join(ctx.args.split()), "use")
        if series is None or asked.id != series.id:
            now = f" (now “{series.name}”)" if series else ""
            raise BadInput(
                f"/next follows the active series{now}. For “{asked.name}”: "
                f"/series use {asked.name}, then /next."
            )
    if series is None:
        yield Reply("No series is running, so there's no “next” yet. " + SERIES_HELP)
        return
    posts = await ctx.memory.recent_posts(ctx.owner, series.id, POSTS_FOR_NEXT)
    published = [p.text for p in posts if p.text.strip()]
    variables: dict[str, object] = {
        "series_name": series.name,
        "premise": series.premise.rstrip("."),
        "tone": series.tone or "the creator's own",
        "posts": "\n".join(f"- {one_line(p)}" for p in published)
        or "- nothing yet: suggest the opening post",
        "posted": "; ".join(f'"{one_line(p)}"' for p in published) or "nothing yet",
    }
    picker: Picker[tuple[str, str]] = ctx.novelty.picker(
        ctx.owner, f"{series.name}: {series.premise}", 1, relevance=False, frame=series.name
    )
    for _ in tries(ctx, variables):
        out: list[str] = []
        async for progress in stream_text(ctx, "next", variables, with_history=False, out=out):
            yield progress
        idea, why = parse_next(out[0])
        if len(idea) >= 3:
            await picker.add([(idea, (idea, why))])
        if picker.complete:
            break
    chosen = picker.chosen()
    if not chosen:
        raise MuseError(
            "model gave no next idea", "I couldn't see the next step this time — try /next again."
        )
    (idea, why), note = chosen[0].item, chosen[0].note
    why = pointed_why(why, published, series.premise)
    records = await ctx.save_drafts(
        "idea", "", f"{NEXT_IN}{series.name}", [(f"{idea}\nWhy: {why}", "next")]
    )
    await picker.remember([("draft", records[0].id)])
    draft = records[0]
    close = f"  ({note})" if note else ""
    text = (
        f"Next for “{series.name}” · #{draft.id}{close}\n{idea}\nWhy: {why}\n\n"
        f"Posted it? /posted #{draft.id} (or /posted as a reply to this message)."
    )
    reply = Reply(
        text, buttons=((Button(f"✍️ Captions for #{draft.id}", Action("caption", draft.id)),),)
    )
    await ctx.remember(ctx.msg.text or "/next", reply.text)
    yield reply
