"""The apps a creator uses, named as people say them: "Discord and Telegram", "the
console". Shared by /link (where they are linked) and /forget (what it deletes)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.memory.links import Identity

PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "console": "the console"}


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform.title())


def where(identities: Sequence[Identity]) -> str:
    names = list(dict.fromkeys(platform_name(i.platform) for i in identities))
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
