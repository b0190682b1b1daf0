"""Small builders for tests: messages the way an adapter would make them."""

from __future__ import annotations

from bot.core import Core
from bot.messages import Action, Incoming, Reply, SessionKey


def message(
    text: str = "",
    *,
    user: str = "u1",
    chat: str = "c1",
    platform: str = "console",
    group: bool = False,
    action: Action | None = None,
    **extra: object,
) -> Incoming:
    return Incoming(
        SessionKey(platform, chat),
        user,
        text=text,
        user_name=f"name-{user}",
        is_group=group,
        action=action,
        **extra,  # type: ignore[arg-type]
    )


async def ask(core: Core, text: str = "", **kw: object) -> Reply:
    """Send one message and return the last reply (the answer a user reads)."""
    replies = await core.respond(message(text, **kw))  # type: ignore[arg-type]
    assert replies, f"no reply to {text!r}"
    return replies[-1]
