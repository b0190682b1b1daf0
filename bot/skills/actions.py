"""Button presses: remix, shorter, more like this, pick, platform switch, continue."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.context import Context
from bot.errors import LeftWithLinked, NotFound
from bot.memory.records import DraftRecord
from bot.messages import Action, Outgoing
from bot.platforms import PLATFORMS, Platform, find_platform
from bot.skills.account import confirmed_erase, picked
from bot.skills.caption import pick_tones, write_captions
from bot.skills.chat import resume
from bot.skills.common import resolve_platform
from bot.skills.remix import remix_text

GONE = "That draft is gone; send /caption again for fresh ones."


def platform_of(ctx: Context, draft: DraftRecord) -> Platform:
    """The draft's platform. An idea has none: its captions are for the creator's own
    first platform (their /style), as with /caption #id, not always Instagram."""
    return PLATFORMS.get(draft.platform) or resolve_platform(ctx, "")[1]


async def more_like(ctx: Context, draft: DraftRecord) -> AsyncIterator[Outgoing]:
    platform = platform_of(ctx, draft)
    # A caption's request says what its post shows, and its label is a tone. A remix's
    # request and label are its instruction ("tone: hype"), an idea's its topic and
    # format: for those, the draft's own words say what the post is about.
    caption = draft.kind == "caption"
    subject = draft.request if caption and draft.request else draft.text
    async for out in write_captions(
        ctx,
        subject.split("\n")[0] if draft.kind == "idea" else subject,
        platform,
        pick_tones(draft.label if caption and draft.label else None, ctx.profile.voice),
        parent_id=draft.id,
        like=draft.text,
        exclude_parent=draft.kind == "idea",
    ):
        yield out


async def handle(ctx: Context, action: Action) -> AsyncIterator[Outgoing]:
    if action.verb == "forget":
        yield await confirmed_erase(ctx, action)
        return
    if action.verb == "continue":  # its id is an answer's, not a draft's
        async for out in resume(ctx, action.draft_id):
            yield out
        return
    try:
        draft = await ctx.own_draft(action.draft_id)
    except LeftWithLinked:
        raise  # it isn't gone: it says where it is
    except NotFound:
        raise NotFound(GONE) from None
    platform = platform_of(ctx, draft)
    if action.verb == "pick":
        yield await picked(ctx, draft)
    elif action.verb == "more":
        async for out in more_like(ctx, draft):
            yield out
    elif action.verb == "caption":
        async for out in write_captions(
            ctx,
            draft.text.split("\n")[0],
            platform,
            pick_tones(None, ctx.profile.voice),
            parent_id=draft.id,
        ):
            yield out
    else:
        instructions = {
            "remix": "a fresh take with a different opening",
            "shorter": "make it noticeably shorter and tighter",
            "platform": "",
        }[action.verb]
        if action.verb == "platform":
            platform = find_platform(action.arg) or platform
        async for out in remix_text(ctx, draft.text, platform, instructions, parent_id=draft.id):
            yield out
