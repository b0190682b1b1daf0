"""Helpers the skills share: argument parsing, the model's list output, novelty
filtering, and the reply that shows drafts with their buttons."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from bot.context import Context
from bot.llm.engine import Answer
from bot.mailbox import status
from bot.memory.records import DraftRecord, Profile, Turn
from bot.messages import Action, Attachment, Button, Draft, Progress, Reply
from bot.platforms import (
    DEFAULT_PLATFORM,
    FOR_WORDS,
    PLATFORMS,
    Platform,
    find_platform,
    hashtag_re,
    other_network,
    token_budget,
    whole_sentences,
)
from bot.words import STOPWORDS, stem, words

ITEM_RE = re.compile(r"^\s*(?:(\d{1,2})[.)]|[-*•])\s+(.*\S)\s*$")
DRAFT_REF_RE = re.compile(r"^#?(\d{1,9})\b\s*(.*)$", re.S)
# "… for linkedin", "… para linkedin" (FOR_WORDS: the words before a platform's name).
FOR_PLATFORM_RE = re.compile(
    rf"(?:^|[\s,;]){FOR_WORDS}\s+([A-Za-z][A-Za-z ]{{0,12}}?)\s*[.!]?\s*$", re.I
)
# More platforms after one: "for linkedin and x", "for ig, tiktok", "para linkedin y x".
ALSO_PLATFORM_RE = re.compile(
    r"(?:\s*[,/&]\s*|\s+(?:and|or|plus|y|e|et|und|o|ou|oder|и)\s+)"
    r"([A-Za-z][A-Za-z ]{0,12}?)\s*[.!]?\s*$",
    re.I,
)
TONE_RE = re.compile(r"(?:^|[\s,;])tone\s*[:=]?\s*([\w][\w ,'-]{0,40})\s*$", re.I)


def _last_match(
    pattern: re.Pattern[str], text: str, accept: Callable[[re.Match[str]], bool] = bool
) -> re.Match[str] | None:
    """Of the matches of an end-anchored `pattern`, the one that starts furthest right
    (and that `accept`s): "a trip to rome for x" is for X, though the leftmost match,
    " to rome for x", names no platform."""
    found = None
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        if accept(match):
            found = match
        pos = match.start() + 1
    return found


def split_platform(text: str, default: str | None = None) -> tuple[str, Platform | None]:
    """'a tram ride, for instagram' -> ('a tram ride', Instagram)."""
    text, found = split_platforms(text)
    return text, found[0] if found else PLATFORMS.get(default) if default else None


def split_platforms(text: str) -> tuple[str, list[Platform]]:
    """'a tram ride for linkedin and x' -> ('a tram ride', [LinkedIn, X]): every platform
    named at the end, so none of them is read as part of what the post shows."""
    match = _last_match(FOR_PLATFORM_RE, text, lambda m: find_platform(m.group(1)) is not None)
    platform = find_platform(match.group(1)) if match else None
    if match and platform:
        return text[: match.start()].rstrip(" ,;"), [platform]
    also = ALSO_PLATFORM_RE.search(text)
    platform = find_platform(also.group(1)) if also else None
    if also and platform:
        rest, found = split_platforms(text[: also.start()])
        if found:
            return rest, [*found, platform]
    return text, []


def split_tone(text: str) -> tuple[str, str | None]:
    """'a tone poem about rain, tone: playful' -> ('a tone poem about rain', 'playful').
    A platform after the tone stays with the text ("tone: witty for x" is for X)."""
    match = _last_match(TONE_RE, text)
    if not match:
        return text, None
    before, tone = text[: match.start()].rstrip(" ,;"), match.group(1).strip()
    tone_only, platforms = split_platforms(tone)
    if platforms:
        before, tone = f"{before} {tone[len(tone_only) :].strip(' ,;')}", tone_only.strip()
    return before, tone or None


def noted_platform(ctx: Context, text: str) -> tuple[str, Platform | None]:
    """split_platform, telling the creator when they named more than one: drafts are
    for one platform, the first; the others are a remix away."""
    text, found = split_platforms(text)
    if len(found) > 1:
        ctx.also_for = [p.key for p in found[1:]]
        others = " and ".join(p.name for p in found[1:])
        ctx.notices.append(
            f"(One platform at a time, so this is for {found[0].name}; for {others}, remix "
            "the one you like, as shown below.)"
        )
    return text, found[0] if found else None


def resolve_platform(ctx: Context, text: str) -> tuple[str, Platform]:
    """Platform from the option, the text ('for x'), the profile, then the default."""
    text, platform = noted_platform(ctx, text)
    unknown = None
    if platform is None:  # "for facebook": said, and not part of what the post shows
        match = _last_match(FOR_PLATFORM_RE, text, lambda m: bool(other_network(m.group(1))))
        if match:
            text, unknown = text[: match.start()].rstrip(" ,;"), other_network(match.group(1))
    option = ctx.option("platform")
    if option:
        platform = find_platform(option) or platform
    if platform is None and ctx.profile.platforms:
        platform = find_platform(ctx.profile.platforms[0])
    platform = platform or PLATFORMS[DEFAULT_PLATFORM]
    if unknown:
        known = ", ".join(p.name for p in PLATFORMS.values())
        ctx.notices.append(
            f"(I don't know {unknown}'s rules, so this is for {platform.name}; "
            f"I write for {known}.)"
        )
    return text, platform


def parse_items(text: str) -> list[str]:
    """Items of a numbered or bulleted list; an unnumbered text counts as one item.

    In a numbered answer bullets, and a list that starts again at 1 (while its lines
    follow each other), belong to the item they are in (a LinkedIn rewrite with a list of
    its own is one draft, an idea's "- Angle:" line is its angle). Blank lines inside an
    item stay (its paragraphs); lines echoing the prompt ("Post: …") go."""
    items: list[str] = []
    numbered = False
    nested = 0  # the number a list inside the current item goes on with (0: none)
    blank = False
    for line in text.splitlines():
        match = ITEM_RE.match(line)
        number = int(match.group(1)) if match and match.group(1) else None
        own = number in (1, nested)  # a "1." after the first item starts a list of its own
        if match and (not items or not numbered or (number is not None and not own)):
            if not items:
                numbered = number is not None
            items.append(match.group(2).strip())
            nested, blank = 0, False
        elif items and line.strip() and not line.lstrip().startswith(("Post:", "Topic:")):
            if number is not None:  # the item's own list goes on: 1, 2, 3…
                nested = number + 1
            elif match is None:
                nested = 0
            items[-1] += ("\n\n" if blank else "\n") + line.strip()
            blank = False
        elif items and not line.strip():
            blank, nested = True, 0
    if not items and text.strip():
        items = [text.strip()]
    return [clean_item(i) for i in items if clean_item(i)]


# A small model sometimes echoes the prompt's platform: "… (Instagram)", "…, for Instagram",
# reworded ("(via Instagram)") or another site in its place ("(YouTube)").
PLATFORM_ECHO_RE = re.compile(
    r"\s*(?:\((?:(?:via|on|for)\s+)?(?:instagram|x|tiktok|threads|linkedin|bluesky|youtube"
    r"|facebook|twitter)\)|,?\s+for\s+(?:instagram|tiktok|threads|linkedin|bluesky))\s*\.?$",
    re.I,
)


def clean_item(text: str) -> str:
    text = text.strip().strip('"“”').strip()
    text = PLATFORM_ECHO_RE.sub("", text)
    return re.sub(r"^(?:caption|option|idea)\s*\d*\s*[:.-]\s*", "", text, flags=re.I)


def similarity(a: str, b: str) -> float:
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 1.0 if a.strip() == b.strip() else 0.0
    return len(wa & wb) / len(wa | wb)


def novel(candidates: Sequence[str], existing: Sequence[str], threshold: float = 0.8) -> list[str]:
    """Keep candidates that differ (by shared words) from each other and from `existing`:
    the quick check for session seeds and riffs, which live in a group's session rather
    than in a creator's drafts (bot/novelty compares those by meaning)."""
    kept: list[str] = []
    for text in candidates:
        if all(similarity(text, other) < threshold for other in [*existing, *kept]):
            kept.append(text)
    return kept


def on_topic(text: str, subject: str, min_shared: int = 1) -> bool:
    """Does the draft mention the subject: at least `min_shared` of its content words
    (fewer if the subject has fewer)?"""
    wanted = {stem(w) for w in words(subject) if len(w) > 2 and w not in STOPWORDS}
    shared = wanted & {stem(w) for w in words(text)}
    return len(shared) >= min(min_shared, len(wanted))


def echoes(text: str, description: str) -> bool:
    """A caption made only of the description's own words (hashtags aside): the small
    model handing the prompt's "Post: …" line back ("Rainy morning in Lisbon, a tram
    28." for "a rainy morning in Lisbon, tram 28"), which the creator wrote themselves."""
    said = {stem(w) for w in re.findall(r"\w+", hashtag_re().sub("", text).lower())}
    said -= STOPWORDS
    return bool(said) and said <= {stem(w) for w in re.findall(r"\w+", description.lower())}


def avoid_pattern(avoid: Sequence[str]) -> Any:
    """The creator's words to avoid, each as a whole word or hashtag, plural too
    ("journey", "#journeys"), never as part of another word ("hack" in "hackathon";
    "भारत" in "भारतीय", whose vowel sign only the regex module's \\w counts as part
    of the word)."""
    import regex  # on first use, as in bot/post_length.py

    listed = [regex.escape(w.strip()) for w in avoid if w.strip()]
    if not listed:
        return None
    return regex.compile(r"(?<!\w)(?:" + "|".join(listed) + r")(?:e?s)?(?!\w)", regex.I)


def avoided(text: str, avoid: Sequence[str]) -> bool:
    pattern = avoid_pattern(avoid)
    return bool(pattern and pattern.search(text))


def avoid_filter(items: list[str], avoid: Sequence[str]) -> list[str]:
    """Drop drafts with the creator's banned words; if none survive, strip the words."""
    pattern = avoid_pattern(avoid)
    if pattern is None:
        return items
    clean = [i for i in items if not pattern.search(i)]
    if clean:
        return clean
    return [re.sub(r"\s{2,}", " ", pattern.sub("", i)).strip() for i in items]


def profile_text(profile: Profile) -> str:
    parts = []
    if profile.voice:
        parts.append(f"Voice: {profile.voice}.")
    if profile.audience:
        parts.append(f"Audience: {profile.audience}.")
    if profile.avoid:
        parts.append("Never use these words: " + ", ".join(profile.avoid) + ".")
    return " ".join(parts) or "No style set yet: write in a natural, friendly voice."


def to_messages(turns: Sequence[Turn]) -> list[BaseMessage]:
    """Stored turns as the model layer's messages (it trims them to its token budget)."""
    return [HumanMessage(t.text) if t.role == "user" else AIMessage(t.text) for t in turns]


def tries(ctx: Context, variables: dict[str, Any], count: int = 2) -> Iterator[int]:
    """The attempts at one generation, the later ones a little warmer: a model that gave
    repeats or nothing usable, asked the very same way, tends to give them again."""
    for attempt in range(count):
        if attempt:
            variables["_temperature"] = min(1.3, ctx.settings.llm.temperature + 0.3)
        yield attempt


async def stream_text(
    ctx: Context,
    skill: str,
    variables: dict[str, Any],
    *,
    with_history: bool = True,
    images: Sequence[Attachment] = (),
    out: list[str],
    answers: list[Answer] | None = None,
    history: Sequence[Turn] | None = None,
    partial: str = "",
    shown: Callable[[str], str] = lambda text: text,
) -> AsyncIterator[Progress]:
    """Run a skill's prompt, yielding Progress as text arrives (as `shown` presents it);
    the full text lands in `out`, and the Answer (was it cut at the token cap?) in
    `answers` if given. `history`: these turns instead of the conversation's latest;
    `partial`: continue that answer (the text is then only what follows it)."""
    if history is None:
        history = await ctx.memory.recent_turns(ctx.owner, ctx.session) if with_history else []
    variables = {
        "profile": profile_text(ctx.profile),
        # Short forms for the few-shot (completion) prompts of the embedded model.
        "voice": ctx.profile.voice or "natural, friendly",
        "audience": ctx.profile.audience or "everyone",
        **variables,
    }
    if "series" in ctx.llm.prompts[skill].variables and "series" not in variables:
        from bot.skills.series import series_context

        # A running series frames every draft: its premise and latest published posts.
        variables["series"] = await series_context(ctx)
    answer = ctx.llm.answer(
        skill, variables, to_messages(history), images, partial=partial, waiting=in_line
    )
    async for text in answer:
        if text.strip():
            yield Progress(shown(text))
    out.append(answer.text)
    if answers is not None:
        answers.append(answer)


def in_line(place: int) -> None:
    """Tell the person where their answer is in the model's queue (instead of silence)."""
    ahead = "one answer" if place == 1 else f"{place} answers"
    status(f"⏳ You're in line: {ahead} to write before yours. I'll start on it right after.")


def platform_vars(platform: Platform, drafts: int = 1) -> dict[str, Any]:
    """What every platform-aware prompt is told about the target, and a token budget
    that holds `drafts` drafts as long as the platform allows."""
    return {
        "platform": platform.name,
        "max_chars": platform.max_chars,
        "hashtags": platform.good_hashtags,
        "_max_tokens": token_budget(platform, drafts),
    }


def finished_items(text: str, answer: Answer) -> list[str]:
    """The answer's list items, none shown cut off: if the answer stopped at the token
    cap, its last item is unfinished and keeps only its whole sentences ("" if none).
    (Cut back rather than continued: the budget holds drafts as long as the platform
    allows, so a cut one is over the limit anyway and repair() would shorten it.)"""
    items = parse_items(text)
    if answer.truncated and items:
        items[-1] = whole_sentences(items[-1])
    return items


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def counted(draft: DraftRecord, platform: Platform) -> str:
    return f"({platform.length(draft.text)}/{platform.max_chars})"


def other_platforms(ctx: Context, current: str, n: int = 3) -> list[Platform]:
    preferred = [find_platform(p) for p in [*ctx.also_for, *ctx.profile.platforms]]
    order = [p for p in preferred if p] + [
        PLATFORMS[k] for k in ("x", "linkedin", "threads", "bluesky", "instagram", "tiktok")
    ]
    seen: list[Platform] = []
    for p in order:
        if p.key != current and p not in seen:
            seen.append(p)
    return seen[:n]


def drafts_reply(
    ctx: Context,
    heading: str,
    drafts: Sequence[DraftRecord],
    *,
    platform_switches: bool = True,
    notes: Sequence[str] = (),
) -> Reply:
    """Drafts with ids, lengths against the limit, and a row of buttons per draft;
    `notes` (one per draft, e.g. "close to #12") go after the draft's id."""
    lines = [heading]
    rows: list[tuple[Button, ...]] = []
    shown: list[Draft] = []
    for i, d in enumerate(drafts):
        platform = PLATFORMS.get(d.platform, PLATFORMS[DEFAULT_PLATFORM])
        label = f" ({d.label})" if d.label else ""
        note = f" · {notes[i]}" if i < len(notes) and notes[i] else ""
        lines.append(f"\n#{d.id}{label} {counted(d, platform)}{note}\n{d.text}")
        shown.append(Draft(d.id, d.text, d.platform, platform.max_chars, d.parent_id, d.label))
        rows.append(
            (
                Button(f"Remix #{d.id}", Action("remix", d.id)),
                Button("Shorter", Action("shorter", d.id)),
                Button("More like this", Action("more", d.id)),
                Button("Pick ✓", Action("pick", d.id)),
            )
        )
    if platform_switches and drafts:
        first = drafts[0]
        rows.append(
            tuple(
                Button(f"{p.name} ← #{first.id}", Action("platform", first.id, p.key))
                for p in other_platforms(ctx, first.platform)
            )
        )
    ids = ", ".join(f"#{d.id}" for d in drafts[:1])
    # An example that means something: a remix for another platform than the drafts'.
    target = other_platforms(ctx, drafts[0].platform if drafts else "", 1)[0].key
    lines.append(
        f"\nYou're the author: pick, remix or ignore. E.g. /remix {ids} for {target} · /pick {ids}"
    )
    return Reply("\n".join(lines), buttons=tuple(rows), drafts=tuple(shown))
