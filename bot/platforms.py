"""Target platforms' real posting rules, and repair of drafts that break them."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    max_chars: int
    max_hashtags: int
    # How many hashtags read naturally there (what we ask the model for).
    good_hashtags: int


PLATFORMS: dict[str, Platform] = {
    p.key: p
    for p in (
        Platform("instagram", "Instagram", 2200, 30, 5),
        Platform("x", "X", 280, 10, 2),
        Platform("linkedin", "LinkedIn", 3000, 30, 3),
        Platform("tiktok", "TikTok", 2200, 30, 4),
        Platform("threads", "Threads", 500, 1, 1),
        Platform("bluesky", "Bluesky", 300, 10, 2),
    )
}
DEFAULT_PLATFORM = "instagram"

ALIASES = {
    "ig": "instagram",
    "insta": "instagram",
    "twitter": "x",
    "tweet": "x",
    "li": "linkedin",
    "tt": "tiktok",
    "bsky": "bluesky",
    "blue sky": "bluesky",
}

HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})", re.UNICODE)


def find_platform(word: str) -> Platform | None:
    key = word.strip().lower().strip(".,!?")
    key = ALIASES.get(key, key)
    return PLATFORMS.get(key)


def char_count(text: str) -> int:
    """Length as the platforms count it (code points, close enough for all six)."""
    return len(text)


def hashtags(text: str) -> list[str]:
    return HASHTAG.findall(text)


def fits(text: str, platform: Platform) -> bool:
    return char_count(text) <= platform.max_chars and len(hashtags(text)) <= platform.max_hashtags


def repair(text: str, platform: Platform) -> str:
    """Make a draft obey the platform: drop surplus hashtags (keeping the first
    ones), then shorten at a sentence or word boundary. Never returns an over-limit text."""
    text = _drop_extra_hashtags(text.strip(), platform.max_hashtags)
    if char_count(text) <= platform.max_chars:
        return text
    body, tags = _split_trailing_tags(text)
    budget = platform.max_chars - (len(tags) + 1 if tags else 0)
    if budget < platform.max_chars // 2:  # tags would eat the post: drop them instead
        body, tags, budget = text, "", platform.max_chars
    short = shorten(body, budget)
    return f"{short}\n{tags}" if tags else short


def shorten(text: str, limit: int) -> str:
    """Cut to `limit` chars at the last sentence end, else the last word, adding an ellipsis."""
    if char_count(text) <= limit:
        return text
    window = text[: max(limit - 1, 1)]
    sentence_end = max(window.rfind(m) for m in (". ", "! ", "? ", ".\n", "!\n", "?\n"))
    if sentence_end >= limit // 2:
        return window[: sentence_end + 1].rstrip()
    space = window.rfind(" ")
    cut = window[:space] if space >= limit // 3 else window
    return cut.rstrip(" ,;:-") + "…"


def _drop_extra_hashtags(text: str, keep: int) -> str:
    seen = 0

    def sub(match: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return match.group(0) if seen <= keep else ""

    out = HASHTAG.sub(sub, text)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def _split_trailing_tags(text: str) -> tuple[str, str]:
    lines = text.rstrip().split("\n")
    last = lines[-1].strip()
    if last and all(w.startswith("#") for w in last.split()):
        return "\n".join(lines[:-1]).rstrip(), last
    return text, ""
