"""/series and /posted: a running series (premise, tone) and what was really published in
it, so new drafts continue the story. `series_context()` gives other skills the active
series for their prompts."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence

from bot.commands import Param, Sub, command, did_you_mean
from bot.context import Context
from bot.errors import BadInput, NotFound
from bot.memory.records import DraftRecord
from bot.memory.series import PostRecord, SeriesRecord, name_key
from bot.messages import Outgoing, Reply
from bot.skills.arguments import check_id, first_word, one_at_a_time

# How many of the series' latest posts go into a prompt, and how much of each.
POSTS_IN_PROMPT = 3
POST_CHARS = 140
NAME_CHARS = 60
PREMISE_CHARS = 300
TONE_CHARS = 60
URL_RE = re.compile(r"https?://\S+", re.I)
NEW_HELP = "/series new Lisbon Mornings | a weekly dawn tram ride"
SERIES_HELP = (
    f"Start one: {NEW_HELP} (optionally | tone: calm). Then /series use <name>, "
    "/series end <name>, /posted <what you published>, /next."
)


def one_line(text: str, limit: int = POST_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def render_series(series: SeriesRecord, posts: Sequence[PostRecord], style: str) -> str:
    """The series for a prompt, ending with a newline ("" for none): chat models get a
    short paragraph, the base model one line in the shape its few-shot examples show."""
    published = [one_line(p.text) for p in posts if p.text.strip()]
    if style == "completion":
        line = f"Series: {series.name}, {series.premise.rstrip('.')}."
        if published:
            line += " Posted before: " + "; ".join(f'"{p}"' for p in published) + "."
        return line + "\n"
    lines = [f"Ongoing series “{series.name}”: {as_sentence(series.premise)}"]
    if series.tone:
        lines[0] += f" Tone: {series.tone}."
    if published:
        lines.append("Already published in it, oldest first:")
        lines += [f"- {p}" for p in published]
    else:
        lines.append("Nothing published in it yet.")
    # Data only (it sits between the prompt's data tags); what to do with it is said by
    # the prompt itself.
    return "\n".join(lines) + "\n"


async def series_context(ctx: Context) -> str:
    """The active series of this conversation's owner (the person in private, the group in
    a group) with its latest posts, rendered for the engine's prompt style; "" when none.

    It ends with a newline: put `{series}` at the start of a template line (nothing shows
    when there is no series)."""
    series = await ctx.memory.active_series(ctx.owner)
    if series is None:
        return ""
    posts = await ctx.memory.recent_posts(ctx.owner, series.id, POSTS_IN_PROMPT)
    return render_series(series, posts, ctx.llm.style)


def _listing(all_series: Sequence[SeriesRecord]) -> str:
    lines = ["Your series (▶ = active):"]
    for s in all_series:
        mark = "▶" if s.active else ("✓" if s.ended else "·")
        state = " (ended)" if s.ended else ""
        posts = f"{s.posts} post{'s' if s.posts != 1 else ''}"
        tone = f" · tone: {s.tone}" if s.tone else ""
        lines.append(f"{mark} {s.name}{state} — {s.premise}{tone} · {posts}")
    return "\n".join(lines)


def _parse_new(args: str, ctx: Context) -> tuple[str, str, str]:
    """Name, premise and tone, from a form's fields (Discord's options) or from the text
    "name | premise | tone". A premise may hold a "|" of its own: the last part after the
    premise is the tone, the ones before it stay in the premise. Nothing typed is dropped
    or cut: what is too long is refused, saying so."""
    if ctx.option("name"):
        name, premise, tone = (ctx.option(k) or "" for k in ("name", "premise", "tone"))
    else:
        parts = [p.strip() for p in args.split("|")]
        name = parts[0]
        premise = " | ".join(parts[1:-1] if len(parts) > 2 else parts[1:])
        tone = parts[-1] if len(parts) > 2 else ""
    tone = re.sub(r"^tone\s*[:=]\s*", "", tone, flags=re.I)
    name = name.strip().strip("\"“”'")
    if not name or not premise:
        raise BadInput(f"Give the series a name and a premise: {NEW_HELP}")
    for what, value, limit in (
        ("name", name, NAME_CHARS),
        ("premise", premise, PREMISE_CHARS),
        ("tone", tone, TONE_CHARS),
    ):
        if len(value) > limit:
            raise BadInput(
                f"Keep the {what} under {limit} characters (yours has {len(value)})"
                + ("; put the rest in the premise." if what == "name" else ".")
            )
    return name, premise, tone


def as_sentence(text: str) -> str:
    """A premise ending a sentence: "ride." stays "ride.", not "ride.."."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


async def series_named(ctx: Context, name: str, verb: str) -> SeriesRecord:
    if not name:
        active = await ctx.memory.active_series(ctx.owner)
        if active is None:
            raise BadInput(f"Which series? e.g. /series {verb} Lisbon Mornings")
        return active
    found = await ctx.memory.find_series(ctx.owner, name)
    if found is None:
        names = ", ".join(s.name for s in await ctx.memory.all_series(ctx.owner))
        yours = f" Yours: {names}." if names else f" {SERIES_HELP}"
        raise NotFound(f"There's no series called “{name}”.{yours}")
    return found


@command(
    "series",
    "Run a series or campaign: its premise and posts shape every new draft.",
    usage="/series [new | list | use | end]",
    example="/series new Lisbon Mornings | a weekly dawn tram ride | tone: calm",
    subs=(
        Sub(
            "new",
            "Start a series and make it the active one.",
            "/series new <name> | <premise> [| tone: <tone>]",
            (
                Param("name", "The series' name", required=True),
                Param("premise", "What it is about, in a line", required=True, rest=True),
                Param("tone", "Its tone, e.g. calm, playful"),
            ),
        ),
        Sub("list", "Your series, the active one marked.", "/series list"),
        Sub(
            "use",
            "Make a series the active one (reopens an ended one).",
            "/series use <name>",
            (Param("name", "The series' name", required=True, rest=True),),
        ),
        Sub(
            "end",
            "End a series (the active one if no name is given).",
            "/series end [name]",
            (Param("name", "The series' name", rest=True),),
        ),
    ),
)
async def series(ctx: Context) -> AsyncIterator[Outgoing]:
    sub, rest = first_word(ctx.args)
    sub, rest = sub.lower(), rest.strip()
    if sub in ("", "list"):
        listed = await ctx.memory.all_series(ctx.owner)
        text = _listing(listed) + "\n" + SERIES_HELP if listed else "No series yet. " + SERIES_HELP
        yield Reply(text)
    elif sub == "new":
        name, premise, tone = _parse_new(rest, ctx)
        same = await ctx.memory.find_series(ctx.owner, name)
        if same is not None and not same.ended:
            raise BadInput(
                f"You already have a series called “{same.name}” — /series use {same.name}"
            )
        reopen = ""
        if same is not None:  # an ended one: a second of the name could never be reached
            taken = {name_key(s.name) for s in await ctx.memory.all_series(ctx.owner)}
            n = 2
            while name_key(f"{name} ({n})") in taken:
                n += 1
            name = f"{name} ({n})"
            reopen = f" (“{same.name}” is your ended one: /series use {same.name} reopens it.)"
        made = await ctx.memory.add_series(ctx.owner, name, premise, tone)
        yield Reply(
            f"▶ “{made.name}” started and active: {as_sentence(made.premise)} Your brainstorms, "
            "captions and remixes now continue it. When you publish, tell me: "
            f"/posted <your words>. Then /next for what comes next.{reopen}"
        )
    elif sub == "use":
        chosen = await series_named(ctx, ctx.option("name") or rest, "use")
        await ctx.memory.use_series(ctx.owner, chosen.id)
        yield Reply(f"▶ “{chosen.name}” is the active series again: {as_sentence(chosen.premise)}")
    elif sub == "end":
        ended = await series_named(ctx, ctx.option("name") or rest, "end")
        if ended.ended:
            yield Reply(f"“{ended.name}” has already ended (/series use {ended.name} reopens it).")
            return
        await ctx.memory.end_series(ctx.owner, ended.id)
        yield Reply(
            f"“{ended.name}” ended after {ended.posts} post{'s' if ended.posts != 1 else ''}. "
            "New drafts no longer follow it (/series use to reopen it)."
        )
    else:
        meant = did_you_mean(sub, ("new", "list", "use", "end"), "/series")
        raise BadInput(f"I don't know /series {sub}. {meant}{SERIES_HELP}")


@command(
    "posted",
    "Tell me what you really published (your final words, a link, or a draft).",
    usage="/posted <text, link or #draft>",
    example="/posted Tram 28 at 6am: empty seats and gold light",
    params=(Param("text", "Your final words, a link, or #id of the draft", rest=True),),
)
async def posted(ctx: Context) -> AsyncIterator[Outgoing]:
    text = (ctx.option("text") or ctx.args).strip()
    # The link of a published draft comes beside it ("/posted #41 <link>", or the link
    # alone as a reply to the draft): the draft gives the words, the link is kept too.
    given = URL_RE.findall(text)
    rest = URL_RE.sub("", text).strip()
    draft: DraftRecord | None = None
    if len(rest.split()) == 1:  # "/posted #12" alone; longer, it may be the post's words
        check_id(rest, "/posted #12")
    one_at_a_time(rest, "/posted #12")
    ref = re.fullmatch(r"#?(\d{1,9})[.!]*", rest)  # "#2." too: it recorded the text “#2.”
    if ref:
        draft = await ctx.own_draft(int(ref.group(1)))
    elif not rest and ctx.msg.reply_to_text:
        found = await ctx.replied_drafts()
        if len(found) > 1:
            tail = "".join(f" {link}" for link in given)
            options = " · ".join(f"/posted #{d.id}{tail}" for d in found)
            yield Reply(f"Which one did you publish? {options}")
            return
        if found:
            draft = found[0]
        elif not given:
            text = ctx.msg.reply_to_text.strip()
    if draft is not None:
        text = draft.text.split("\n")[0] if draft.kind == "idea" else draft.text
    links = list(dict.fromkeys(URL_RE.findall(text) + given))
    words = URL_RE.sub("", text).strip()
    if not words and not links:
        raise BadInput(
            "What did you publish? /posted <your final words or a link>, or /posted #id "
            "for one of my drafts."
        )
    active = await ctx.memory.active_series(ctx.owner)
    what = f"#{draft.id}" if draft else (f"“{one_line(words, 80)}”" if words else "your link")
    link = " ".join(links)
    number = await ctx.memory.same_post(ctx.owner, active.id if active else None, words, link)
    if number is not None:
        if draft is not None:  # the same words were sent before as text: now it's known whose
            await ctx.memory.set_status(draft.id, "posted")
        where = f"as post {number} of “{active.name}”" if active else "as published"
        what = what[:1].upper() + what[1:]
        yield Reply(f"{what} is already recorded {where} — nothing new saved.")
        return
    post = await ctx.memory.add_post(
        owner=ctx.owner,
        author=ctx.person,
        series_id=active.id if active else None,
        text=words,
        link=link,
        draft_id=draft.id if draft else None,
    )
    if words:
        await ctx.novelty.remember(ctx.owner, [("post", post.id)], [words])
    if active is not None:
        count = (await ctx.memory.active_series(ctx.owner)) or active
        line = (
            f"Recorded {what} as published in “{active.name}” (post {count.posts}). "
            "/next suggests what comes next."
        )
    else:
        line = (
            f"Recorded {what} as published. No series is running (/series new to start one); "
            "I'll keep new ideas away from it."
        )
    if not words:
        line += " Add your final words next time too, so I can follow the story."
    yield Reply(line)
