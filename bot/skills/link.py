"""/link and /unlink: one creator on every platform (one memory, one style)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence

from bot.commands import Param, command
from bot.context import Context
from bot.memory.links import ALPHABET, CODE_LENGTH, CODE_TTL, Identity, LinkResult
from bot.memory.records import Profile
from bot.memory.series import SeriesRecord
from bot.memory.session_records import IdeaRecord
from bot.messages import Outgoing, Reply
from bot.skills.account import FORGET_WAIT_S
from bot.skills.apps import platform_name, where

CODE_RE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")
REFUSED = (
    "That code doesn't work: it's wrong, already used, or older than {minutes} minutes. "
    "Send /link on your other app for a fresh one."
)


@command(
    "link",
    "Link your accounts on other apps: one style, one memory everywhere.",
    usage="/link [code]",
    example="/link K7Q2MX",
    params=(Param("code", "The code /link gave you on your other app"),),
    private=True,
)
async def link(ctx: Context) -> AsyncIterator[Outgoing]:
    minutes = int(CODE_TTL.total_seconds() // 60)
    raw = ctx.option("code") or ctx.args
    code = re.sub(r"[\s-]", "", raw).upper()
    if not code:
        made = await ctx.memory.new_link_code(ctx.person)
        linked = await ctx.memory.identities(ctx.person)
        already = f"\nLinked so far: {where(linked)}." if len(linked) > 1 else ""
        yield Reply(
            f"Your code: {made} — send /link {made} to Muse on your other app (Telegram, "
            f"Discord or the console) within {minutes} minutes. It works once.{already}",
            private=True,
        )
        return
    if not CODE_RE.match(code):
        yield Reply(REFUSED.format(minutes=minutes), is_error=True, private=True)
        return
    had = await ctx.memory.active_series(ctx.person)
    # Answers still being written for this account (in another chat or channel) store
    # under its id, which joining removes: they finish first and are joined with the rest,
    # instead of failing as if the person had been deleted (as /forget waits for them).
    await ctx.core.at_work.settle(await ctx.identities(), FORGET_WAIT_S)
    mine, joining = await ctx.memory.profile(ctx.person), await ctx.memory.identities(ctx.person)
    # Typed in a group, the code is in everyone's view; a Discord slash command's option
    # is not (the command and its answer are ephemeral there).
    shown = ctx.msg.is_group and ctx.option("code") is None
    authored, voted, _ = await ctx.memory.traces_in_open_sessions(ctx.person)
    result = await ctx.memory.redeem_link_code(code, ctx.person, shown=shown)
    if result.joined:
        await _votes_after_link(ctx, [*authored, *voted])
    if result.same and shown:
        yield Reply(
            "That's your own code, and everyone in that chat saw it, so I cancelled it. "
            "Send /link to me privately for a fresh one, and type it on your other app.",
            private=True,
        )
    elif result.same and len(result.identities) > 1:
        # Made on an account already linked with this one (not necessarily this one).
        yield Reply(
            f"This account is already linked: you're one creator on {where(result.identities)}. "
            "Send the code from the app you want to add.",
            private=True,
        )
    elif result.same:
        yield Reply(
            "That's your own code, from this same account — send it from your other app.",
            private=True,
        )
    elif not result.joined:
        # Sent again (a double send, or "send it again" after a restart cut off the
        # "Linked ✓"), a used code would read as a failed link: say that it is linked.
        linked = await ctx.memory.identities(ctx.person)
        already = (
            f" This account is already linked: you're one creator on {where(linked)}."
            if len(linked) > 1
            else ""
        )
        # Not an error when it says where they are linked: an error is shown where it was
        # asked, and in a group that would tell everyone which apps they use.
        refused = REFUSED.format(minutes=minutes) + already
        yield Reply(refused, is_error=not already, private=True)
    else:
        yield Reply(
            f"Linked ✓ You're one creator on {where(result.identities)}: your style, drafts, "
            "series and history follow you everywhere. /unlink splits them again."
            + await _style_after_link(ctx, mine, joining, result)
            + await _active_after_link(ctx, had, result.person),
            private=True,
        )


async def _votes_after_link(ctx: Context, before: Sequence[IdeaRecord]) -> None:
    """Both accounts voted for an idea of a running session: joined, they are one voter
    and it has a vote less. Its button is refreshed, or it would show the old count
    until someone votes on it again."""
    for idea in before:
        now = await ctx.memory.idea(idea.id)
        if now is not None and now.votes != idea.votes:
            ctx.core.sessions.edits.touch(idea.session_id, idea.id)


async def _style_after_link(
    ctx: Context, mine: Profile, joining: Sequence[Identity], result: LinkResult
) -> str:
    """The code maker's style wins and the joiner's other style is deleted with the link:
    said, and shown, so it can be set again (every draft changed voice without a word)."""
    if result.person is None or mine.is_empty or mine == await ctx.memory.profile(result.person):
        return ""
    makers = [i for i in result.identities if i not in joining]
    fields = {
        "voice": mine.voice,
        "audience": mine.audience,
        "platforms": ", ".join(mine.platforms),
        "avoid": ", ".join(mine.avoid),
    }
    again = " | ".join(f"{name}: {value}" for name, value in fields.items() if value)
    return (
        f" Your style from {where(makers)} is kept; the one you had here is replaced "
        f"(to use it instead: /style {again})."
    )


async def _active_after_link(ctx: Context, had: SeriesRecord | None, person: int | None) -> str:
    """Both accounts had an active series and the code maker's stays active: new drafts
    stop following the joiner's, which must not happen without a word."""
    now = await ctx.memory.active_series(person) if had and person else None
    if had is None or now is None or now.id == had.id:
        return ""
    theirs = next((s for s in await ctx.memory.all_series(now.owner_id) if s.id == had.id), had)
    return (
        f" “{now.name}” is your active series now; /series use {theirs.name} brings back "
        f"“{theirs.name}”."
    )


@command(
    "unlink",
    "Split this account from your linked ones; it starts fresh from now.",
    private=True,
)
async def unlink(ctx: Context) -> AsyncIterator[Outgoing]:
    platform = ctx.msg.session.platform
    others = [
        i
        for i in await ctx.memory.identities(ctx.person)
        if (i.platform, i.external_id) != (platform, ctx.msg.user_id)
    ]
    new = await ctx.memory.unlink(platform, ctx.msg.user_id, ctx.msg.user_name)
    if new is None:
        yield Reply(
            "This account isn't linked to another one. /link gives you a code to link one.",
            private=True,
        )
        return
    account = platform_name(platform).removeprefix("the ")  # "this console account"
    yield Reply(
        f"Unlinked: this {account} account starts fresh from now, with a copy "
        f"of your style. Everything made so far stays with your account on {where(others)}. "
        "/link joins them again.",
        private=True,
    )
