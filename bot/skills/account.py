"""The creator's own things: style, history, picks, export and forget, help."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from bot.commands import Param, command
from bot.config import Settings
from bot.context import Context
from bot.errors import BadInput
from bot.memory import Memory
from bot.memory.links import Identity
from bot.memory.records import DraftRecord, Profile
from bot.messages import Action, Attachment, Button, Incoming, Outgoing, Reply
from bot.platforms import find_platform
from bot.skills.apps import where
from bot.skills.arguments import check_id
from bot.skills.common import plural

STYLE_FIELDS = ("voice", "audience", "platforms", "avoid")
FORGET_BUTTON_MIN = 10  # how long the "Yes, delete everything" button stays good
FORGET_WAIT_S = 120.0  # how long /forget waits for the person's answers in progress
STYLE_HELP = (
    "Change it: /style voice: warm, witty | audience: travel lovers 25–40 | "
    "platforms: instagram, x | avoid: wanderlust   (a field set to - is cleared; "
    "/style reset clears them all)"
)
# Fields are separated by "|" or a line break, and by ";" only where a field name follows
# it: "voice: warm; witty" is one voice (a ";" always splitting refused it as a stray piece).
FIELD_SPLIT_RE = re.compile(rf"\s*(?:\||\n|;(?=\s*(?:{'|'.join(STYLE_FIELDS)})\s*:))\s*", re.I)
# A field given as one of these is cleared (a slash command's option can't be empty).
CLEARED = frozenset({"-", "none", "reset", "clear"})


@command("start", "Say hello and show what I can do.", hidden=True)
async def start(ctx: Context) -> AsyncIterator[Outgoing]:
    yield Reply(
        "Hi, I'm Muse — your creative co-pilot. I brainstorm, draft captions and remix "
        "posts in your voice; you pick and post.\n\n" + ctx.core.registry.help_text()
    )


@command(
    "help",
    "Show the commands and how to use them.",
    usage="/help [command]",
    params=(Param("command", "One command to explain", rest=True, names_a_command=True),),
    example="/help caption",
)
async def help_(ctx: Context) -> AsyncIterator[Outgoing]:
    asked = ctx.option("command") or ctx.args
    registry = ctx.core.registry
    yield Reply(registry.help_for(asked) if asked.strip() else registry.help_text())


def asked_in(ctx: Context) -> str:
    """ "the group you asked in" ("channel" on Discord) when this is a group's memory, ""
    in a private chat. /style, /history and /novelty answer privately (on Telegram: in
    the member's private chat), where an unmarked "Saved. Voice: …" would read as the
    member's own style."""
    if not ctx.msg.is_group:
        return ""
    return f"the {'channel' if ctx.msg.session.platform == 'discord' else 'group'} you asked in"


def describe(profile: Profile) -> str:
    if profile.is_empty:
        return "No style set yet — I'll write in a natural, friendly voice."
    parts = [
        f"Voice: {profile.voice or '—'}",
        f"Audience: {profile.audience or '—'}",
        "Platforms: " + (", ".join(profile.platforms) or "—"),
        "Avoid: " + (", ".join(f"“{w}”" for w in profile.avoid) or "—"),
    ]
    return " · ".join(parts)


def parse_style(text: str, current: Profile) -> Profile:
    """'voice: warm, witty | audience: …' — fields not named keep their value."""
    pieces = [p.strip() for p in FIELD_SPLIT_RE.split(text) if p.strip()]
    values: dict[str, str] = {}
    for piece in pieces:
        name, sep, value = piece.partition(":")
        key = name.strip().lower()
        if not sep or key not in STYLE_FIELDS:
            raise BadInput(f"I didn't get “{piece[:40]}”. {STYLE_HELP}")
        values[key] = value.strip()
    return apply_style(current, values)


class UnknownPlatform(BadInput):
    """A platform Muse has no rules for; `kept` is the style with the other fields set."""

    def __init__(self, message: str, kept: Profile) -> None:
        super().__init__(message)
        self.kept = kept


def apply_style(current: Profile, values: dict[str, str]) -> Profile:
    def listed(raw: str) -> tuple[str, ...]:
        return tuple(w.strip().strip('"“”') for w in raw.split(",") if w.strip())

    values = {k: "" if v.strip().lower() in CLEARED else v for k, v in values.items()}
    profile = current
    if "voice" in values:
        profile = replace(profile, voice=values["voice"][:200])
    if "audience" in values:
        profile = replace(profile, audience=values["audience"][:200])
    if "avoid" in values:
        profile = replace(profile, avoid=listed(values["avoid"])[:30])
    if "platforms" in values:
        names = listed(values["platforms"])
        unknown = [n for n in names if not find_platform(n)]
        if unknown:
            raise UnknownPlatform(
                f"I don't know the platform “{unknown[0]}”. I know: Instagram, X, LinkedIn, "
                "TikTok, Threads, Bluesky.",
                profile,
            )
        profile = replace(profile, platforms=tuple(find_platform(n).key for n in names))  # type: ignore[union-attr]
    return profile


@command(
    "style",
    "Show or set your voice, audience, platforms and words to avoid.",
    usage="/style [voice: … | audience: … | platforms: … | avoid: …]",
    example="/style voice: warm, witty | audience: travel lovers 25–40 | avoid: wanderlust",
    params=(
        *(
            Param(name, f"Your {name}" if name != "avoid" else "Words to avoid, comma-separated")
            for name in STYLE_FIELDS
        ),
        # Typed, "/style reset" clears it; Discord's form had no way to (README promises it).
        Param("reset", "Clear your whole style", choices=("yes",)),
    ),
    private=True,
)
async def style(ctx: Context) -> AsyncIterator[Outgoing]:
    options = {k: v for k in STYLE_FIELDS if (v := ctx.option(k)) is not None}
    where = asked_in(ctx)
    if ctx.args.strip().lower() == "reset" or ctx.option("reset") == "yes":
        await ctx.memory.save_profile(ctx.owner, Profile())
        cleared = f"The style of {where} is cleared." if where else "Style cleared."
        yield Reply(f"{cleared} {STYLE_HELP}", private=True)
        return
    if not ctx.args and not options:
        lead = f"The style of {where}: " if where else ""
        yield Reply(lead + describe(ctx.profile) + "\n" + STYLE_HELP, private=True)
        return
    try:
        profile = (
            apply_style(ctx.profile, options) if options else parse_style(ctx.args, ctx.profile)
        )
    except UnknownPlatform as exc:
        # The other fields typed with it (a whole Discord form, say) are not lost.
        if exc.kept != ctx.profile:
            await ctx.memory.save_profile(ctx.owner, exc.kept)
            raise BadInput(f"{exc.user_message} The rest is saved.") from None
        raise
    await ctx.memory.save_profile(ctx.owner, profile)
    saved = f"Saved for {where}." if where else "Saved."
    yield Reply(f"{saved} " + describe(profile), private=True)


@command("history", "Your recent drafts, ideas and picks.", private=True)
async def history(ctx: Context) -> AsyncIterator[Outgoing]:
    drafts = await ctx.memory.drafts(ctx.owner, limit=15)
    if not drafts:
        yield Reply("Nothing here yet — try /brainstorm or /caption.", private=True)
        return
    where = asked_in(ctx)
    lines = [
        f"Latest drafts of {where} (newest first):"
        if where
        else "Your latest drafts (newest first):"
    ]
    for d in drafts:
        mark = {"chosen": " ✓ picked", "posted": " ✓ posted", "rejected": " ✗"}.get(d.status, "")
        platform = f" · {d.platform}" if d.platform else ""
        origin = f" · from #{d.parent_id}" if d.parent_id else ""
        first = d.text.split("\n")[0]
        snippet = first[:80] + ("…" if len(first) > 80 else "")
        lines.append(f"#{d.id} {d.kind}{platform}{origin}{mark}: {snippet}")
    yield Reply("\n".join(lines), private=True)


# A draft's id is a param (not just in the usage) so Discord's option is named and described.
DRAFT = Param("draft", "The draft's id, e.g. #12 (see /history)", required=True, rest=True)


@command(
    "pick",
    "Mark a draft as your pick, ready to copy and post yourself.",
    usage="/pick #id",
    params=(DRAFT,),
    example="/pick #41",
)
async def pick(ctx: Context) -> AsyncIterator[Outgoing]:
    yield await picked(ctx, await ctx.own_draft(draft_id(ctx.args, "/pick #12")))


async def picked(ctx: Context, draft: DraftRecord) -> Reply:
    """The creator's choice, recorded; Muse never posts it — they do."""
    if draft.status != "posted":  # picked again to copy it: it stays published
        await ctx.memory.set_status(draft.id, "chosen")
    return Reply(f"Picked #{draft.id} ✓ — it's yours to post. Here it is to copy:\n\n{draft.text}")


@command(
    "more",
    "More drafts like one you liked.",
    usage="/more #id",
    params=(DRAFT,),
    example="/more #41",
)
async def more(ctx: Context) -> AsyncIterator[Outgoing]:
    from bot.skills.actions import more_like

    draft = await ctx.own_draft(draft_id(ctx.args, "/more #12"))
    async for out in more_like(ctx, draft):
        yield out


def draft_id(text: str, example: str) -> int:
    check_id(text, example, bare=True)
    match = re.match(r"^#?(\d{1,9})\b", text.strip())
    if not match:
        raise BadInput(f"Which draft? e.g. {example}")
    return int(match.group(1))


@command("export", "Everything I keep about you, as a JSON file.", private=True)
async def export(ctx: Context) -> AsyncIterator[Outgoing]:
    data = await ctx.memory.export(ctx.person)
    with_typed_lines(data, ctx.core.settings, await ctx.memory.identities(ctx.person))
    blob = json.dumps(data, ensure_ascii=False, indent=2).encode()
    ideas, votes = len(data.get("session_ideas", [])), len(data.get("session_votes", []))
    group = f", {plural(ideas, 'idea')} and {plural(votes, 'vote')} in group sessions"
    group = group if ideas or votes else ""
    style = "" if (await ctx.memory.profile(ctx.person)).is_empty else ", your style"
    yield Reply(
        f"Here is everything I keep about you: {plural(len(data['drafts']), 'draft')}, "
        f"{plural(len(data['turns']), 'message')}{group}{style}. It's yours.",
        attachments=(Attachment("file", blob, "application/json", "muse-export.json"),),
        private=True,
    )


@command(
    "forget",
    "Delete everything I keep about you, for good (asks first).",
    usage="/forget [confirm]",
    params=(
        Param("confirm", "Delete at once, without asking first", choices=("confirm",), rest=True),
    ),
    private=True,
)
async def forget(ctx: Context) -> AsyncIterator[Outgoing]:
    if ctx.args.strip().lower() in ("confirm", "yes"):
        yield await erase(ctx)
        return
    # The button carries the minute it was offered: pressed much later (when there may
    # be new drafts to lose), it asks again instead of deleting.
    asked = Action("forget", minute_of(ctx))
    linked = on_apps(await ctx.memory.identities(ctx.person))
    keep = " (to keep one, /unlink it first there)" if linked else ""
    yield Reply(
        "This deletes your style, your conversation history, all your drafts and your ideas "
        f"and votes in group sessions{linked}, for good{keep}. "
        f"Sure? Press the button within {FORGET_BUTTON_MIN} minutes, or send /forget confirm.",
        buttons=((Button("Yes, delete everything", asked),),),
        private=True,
    )


def on_apps(identities: Sequence[Identity]) -> str:
    """The apps a linked person's /forget covers (' on Discord and Telegram'), else '': it
    deletes every linked account's data, which someone clearing one app must be told."""
    return f" on {where(identities)}" if len(identities) > 1 else ""


def minute_of(ctx: Context) -> int:
    return int(ctx.core.clock.now().timestamp() // 60)


async def still_known(memory: Memory, msg: Incoming) -> None:
    """A second press of "Yes, delete everything" (a double click lands before the
    button goes): the first press deleted them. Known anew only to delete "0 drafts, 0
    messages", they would see that replace the first answer, which says what went."""
    if msg.action is None or msg.action.verb != "forget":
        return
    if await memory.find_user(msg.session.platform, msg.user_id) is None:
        raise BadInput("That's done already — I no longer keep anything about you.")


async def confirmed_erase(ctx: Context, action: Action) -> Reply:
    """The forget button: deletes only if pressed soon after it was offered."""
    if not 0 <= minute_of(ctx) - action.draft_id <= FORGET_BUTTON_MIN:
        raise BadInput("That button has expired — send /forget again if you still want to.")
    return await erase(ctx)


async def erase(ctx: Context) -> Reply:
    # Answers still being written for them in another chat or app go first, so what
    # they store is deleted too (at most FORGET_WAIT_S: a stuck model can't hold it up).
    await ctx.core.at_work.settle(await ctx.identities(), FORGET_WAIT_S)
    styled = not (await ctx.memory.profile(ctx.person)).is_empty
    identities = await ctx.memory.identities(ctx.person)  # every linked account's
    linked = on_apps(identities)
    traces = await ctx.memory.traces_in_open_sessions(ctx.person)
    for identity in identities:
        ctx.core.last_image.forget(identity.platform, identity.external_id)
    counts = await ctx.memory.forget(ctx.person)
    if typed_lines(ctx.core.settings, identities) is not None:
        # Also from another app (`muse run telegram`), where no console will: the lines
        # they typed at `muse chat` (a console here clears its ↑ as well, see console.py).
        ctx.core.settings.console_history.unlink(missing_ok=True)
    await ctx.core.sessions.edits.forgotten(*traces)
    ideas, votes = counts.get("session_ideas", 0), counts.get("session_votes", 0)
    group = (
        f", {plural(ideas, 'idea')} and {plural(votes, 'vote')} in group sessions "
        "(summaries now credit “a former member”)"
        if ideas or votes
        else ""
    )
    drafts, turns = counts.get("drafts", 0), counts.get("turns", 0)
    style = " and your style" if styled else ""
    return Reply(
        f"Done — I deleted {plural(drafts, 'draft')}, {plural(turns, 'message')}"
        f"{group}{style}{linked}. I no longer know you.",
        private=True,
    )


def typed_lines(settings: Settings, identities: Sequence[Identity]) -> list[str] | None:
    """The lines typed at `muse chat` (console_history, kept for ↑), when these are a
    console's person's accounts: stored about them, so exported and forgotten with them."""
    path = settings.console_history
    if not any(i.platform == "console" for i in identities) or not path.is_file():
        return None
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def with_typed_lines(
    data: dict[str, object], settings: Settings, identities: Sequence[Identity]
) -> None:
    """An export, with the lines they typed at `muse chat` (see typed_lines)."""
    lines = typed_lines(settings, identities)
    if lines is not None:
        data["console_history"] = lines
