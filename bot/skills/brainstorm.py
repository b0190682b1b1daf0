"""/brainstorm: N distinct post ideas, each with a hook, an angle and a format."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.commands import Param, command
from bot.context import Context
from bot.errors import BadInput, MuseError
from bot.llm.engine import Answer
from bot.messages import Action, Button, Outgoing, Reply
from bot.novelty import Picker, embed_text
from bot.skills.common import avoid_filter, avoided, parse_items, plural, stream_text

DEFAULT_COUNT = 5
MAX_COUNT = 10
# Ideas asked for beyond the count, for the pick to choose from: three on a server; none
# on the slow embedded model (measured: +1 idea cost 1.5× the answer time and added
# nothing on topic, bench/README.md).
EXTRA_BASE = 0
EXTRA_CHAT = 3
# One idea line (hook | angle | format) is 25-40 tokens; room for one more as slack.
IDEA_TOKENS = 60
FORMATS = (
    "reel",
    "carousel",
    "thread",
    "short video",
    "photo",
    "story",
    "poll",
    "live",
    "newsletter",
    "blog post",
    "video",
    "post",
)
COUNT_RE = re.compile(r"(?:^|\s)(\d{1,2})(?:\s*ideas?)?\s*$", re.I)
LEAD_COUNT_RE = re.compile(
    r"^\s*(\d{1,2})\s+(?:post\s+)?ideas?\b[\s:,]*(?:(?:about|for|on|of|around)\b)?(.*)$",
    re.I | re.S,
)
FIELD_RE = re.compile(r"\b(hook|angle|format)\s*[:=]\s*", re.I)
# Markdown emphasis a chat model puts around the fields ("**Hook:** …", "*Format:* reel"):
# not part of any field (no chat app shows an idea's hook in bold).
EMPHASIS_RE = re.compile(r"\*+|(?<!\w)__?|__?(?!\w)")


@dataclass(frozen=True)
class Idea:
    hook: str
    angle: str
    format: str

    def as_text(self) -> str:
        return f"{self.hook}\nAngle: {self.angle} · Format: {self.format}"


def parse_idea(item: str) -> Idea | None:
    """'Hook: … | Angle: … | Format: reel' (lenient about separators and missing parts)."""
    flat = " ".join(EMPHASIS_RE.sub("", item).split())
    fields: dict[str, str] = {}
    parts = FIELD_RE.split(flat)
    if len(parts) > 1:
        lead = parts[0].strip(" |-—")
        for name, value in zip(parts[1::2], parts[2::2], strict=False):
            fields[name.lower()] = value.strip(" |-—;,.")
        if lead and "hook" not in fields:
            fields["hook"] = lead
    else:
        pieces = [p.strip() for p in re.split(r"\s[|—–]\s", flat) if p.strip()]
        fields["hook"] = pieces[0] if pieces else ""
        if len(pieces) > 1:
            fields["angle"] = pieces[1]
        if len(pieces) > 2:
            fields["format"] = pieces[2]
    hook = fields.get("hook", "").strip(' "“”')
    if len(hook) < 3:
        return None
    fmt = fields.get("format", "")
    if not fmt:
        found = [f for f in FORMATS if f in flat.lower()]
        fmt = found[0] if found else "post"
    return Idea(hook, fields.get("angle") or "your own take", fmt.lower()[:40])


def without_avoided(ideas: list[Idea], ctx: Context) -> list[Idea]:
    """Ideas without the creator's words to avoid (the base model is never told them):
    those that use one are left out, or, when all do (the topic has the word), the word
    is taken out of them."""
    avoid = ctx.profile.avoid
    clean = [i for i in ideas if not avoided(i.as_text(), avoid)]
    if clean or not ideas:
        return clean
    strip = functools.partial(avoid_filter, avoid=avoid)
    return [Idea(strip([i.hook])[0], strip([i.angle])[0], i.format) for i in ideas]


def split_count(text: str) -> tuple[str, int | None]:
    # "3 ideas about trams": said first, as people do, the count is no part of the topic
    # (it gave 5 ideas for “3 ideas about trams”); "3 tram lines" stays the topic.
    lead = LEAD_COUNT_RE.match(text)
    if lead and lead.group(2).strip():
        return lead.group(2).strip(), int(lead.group(1))
    match = COUNT_RE.search(text)
    if match and not text[: match.start()].strip():
        # "/brainstorm 5" gave 5 ideas for “5”: a count alone has no topic to ask for.
        return "", int(match.group(1))
    if match and match.start() > 0:
        return text[: match.start()].strip(), int(match.group(1))
    return text, None


@command(
    "brainstorm",
    "Brainstorm distinct post ideas on a topic: hook, angle and format for each.",
    usage="/brainstorm <topic> [how many, 1-10]",
    example="/brainstorm night trams in Lisbon 3",
    params=(
        Param("topic", "What the posts are about", required=True, rest=True),
        Param("count", "How many ideas (1-10, default 5)"),
    ),
)
async def brainstorm(ctx: Context) -> AsyncIterator[Outgoing]:
    # A slash command's topic is taken as typed: its count has an option of its own.
    typed = ctx.option("topic")
    topic, count = (typed, None) if typed else split_count(ctx.args)
    wanted = ctx.option("count")
    if wanted:
        # Decimal digits of any script ("٣" as typed on an Arabic keyboard, as in the
        # text form); "²".isdigit(), yet int("²") fails.
        if not wanted.isdecimal():
            raise BadInput("The number of ideas must be a whole number from 1 to 10.")
        count = int(wanted)
    read_from_topic = count is not None and not wanted
    count = DEFAULT_COUNT if count is None else count  # "0 ideas" is refused, not ignored
    if not 1 <= count <= MAX_COUNT:
        # "ideas for tram 28": the number may belong to the topic. Say how to keep it.
        typed = " ".join(ctx.args.split())
        hint = (
            f" If {count} is part of the topic, end with how many: "
            f"/brainstorm {typed} {DEFAULT_COUNT}"
            if read_from_topic and count > MAX_COUNT and typed.split()[-1].isdigit()
            else ""
        )
        raise BadInput(f"I can brainstorm 1 to {MAX_COUNT} ideas at a time.{hint}")
    if not topic.strip():
        raise BadInput("What should we brainstorm? e.g. /brainstorm rainy-day content for a café")
    base_model = ctx.llm.style == "completion"
    ask = count + (EXTRA_BASE if base_model else EXTRA_CHAT)
    relevance = base_model or ctx.novelty.semantic
    # The base model sometimes writes about its few-shot examples' topics instead.
    form = ctx.llm.prompts["brainstorm"].completion
    unlike = form.subjects() if base_model else []
    own_language = form.language_subjects(topic) if base_model else []
    picker: Picker[Idea] = ctx.novelty.picker(
        ctx.owner, topic, count, relevance=relevance, unlike=unlike, also_unlike=own_language
    )
    for attempt in range(2):
        variables: dict[str, object] = {
            "topic": topic,
            "count": ask,
            "_max_tokens": IDEA_TOKENS * (ask + 1),
        }
        if attempt:
            variables["_temperature"] = min(1.3, ctx.settings.llm.temperature + 0.3)
        out: list[str] = []
        answers: list[Answer] = []
        async for progress in stream_text(ctx, "brainstorm", variables, out=out, answers=answers):
            yield progress
        items = parse_items(out[0])
        if answers[0].truncated:
            items = items[:-1]  # stopped at the token cap: the last idea is unfinished
        parsed = without_avoided([i for i in (parse_idea(x) for x in items) if i], ctx)
        await picker.add([(embed_text("idea", i.as_text()), i) for i in parsed])
        # The slow base model generates again for repeats only: its ideas on topic are
        # shown first, but a second list costs more time than it adds (bench/README.md).
        if picker.complete or (base_model and picker.filled):
            break
    chosen = picker.chosen()
    if not chosen:
        raise MuseError(
            "no ideas parsed",
            "I couldn't come up with fresh ideas this time — try a more specific topic.",
        )
    ideas = [c.item for c in chosen]
    if len(chosen) < count:  # "2 ideas" alone read as all there was to say
        ctx.notices.append(
            f"(Only {plural(len(chosen), 'idea')} of the {count} you asked for: "
            f"{picker.why_fewer()}. /brainstorm again for more.)"
        )
    records = await ctx.save_drafts("idea", "", topic, [(i.as_text(), i.format) for i in ideas])
    await picker.remember([("draft", r.id) for r in records])
    lines = [f"{plural(len(records), 'idea')} for “{topic}”:"]
    for rec, choice in zip(records, chosen, strict=True):
        idea = choice.item
        note = f" · {choice.note}" if choice.note else ""
        lines.append(f"\n#{rec.id} [{idea.format}] {idea.hook}\n    Angle: {idea.angle}{note}")
    lines.append(
        "\nLike one? Press ✍️ to get captions for it, or /caption #id for another platform."
    )
    buttons = [Button(f"✍️ #{r.id}", Action("caption", r.id)) for r in records]
    rows = tuple(tuple(buttons[i : i + 5]) for i in range(0, len(buttons), 5))
    reply = Reply("\n".join(lines), buttons=rows)
    await ctx.remember(ctx.msg.text or f"/brainstorm {topic}", reply.text)
    yield reply
