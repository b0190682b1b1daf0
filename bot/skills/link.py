"""/link and /unlink: one creator on every platform (one memory, one style)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence

from bot.commands import Param, command
from bot.context import Context
from bot.memory.links import ALPHABET, CODE_LENGTH, CODE_TTL, Identity
from bot.memory.series import SeriesRecord
from bot.messages import Outgoing, Reply
from bot.skills.account import FORGET_WAIT_S

PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "console": "the console"}
CODE_RE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")
REFUSED = (
    "That code doesn't work: it's wrong, already used, or older than {minutes} minutes. "
    "Send /link on your other app for a fresh one."
)


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform.title())


def where(identities: Sequence[Identity]) -> str:
    names = list(dict.fromkeys(platform_name(i.platform) for i in identities))
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


@command(
    "link",
    "Link your accounts on other apps: one style, one memory everywhere.",
    usage="/link [code]",
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
    result = await ctx.memory.redeem_link_code(code, ctx.person)
    if result.same and len(result.identities) > 1:
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
        yield Reply(REFUSED.format(minutes=minutes), is_error=True, private=True)
    else:
        yield Reply(
            f"Linked ✓ You're one creator on {where(result.identities)}: your style, drafts, "
            "series and history follow you everywhere. /unlink splits them again."
            + await _active_after_link(ctx, had, result.person),
            private=True,
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
