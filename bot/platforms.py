"""Target platforms' real posting rules, and repair of drafts that break them."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.post_length import grapheme_length, graphemes, x_length


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    max_chars: int
    max_hashtags: int
    # How many hashtags read naturally there (what we ask the model for).
    good_hashtags: int
    # How the platform counts a post's length (bot/post_length.py); code points if None.
    counter: Callable[[str], int] | None = None

    def length(self, text: str) -> int:
        return self.counter(text) if self.counter else len(text)


PLATFORMS: dict[str, Platform] = {
    p.key: p
    for p in (
        Platform("instagram", "Instagram", 2200, 30, 5),
        Platform("x", "X", 280, 10, 2, x_length),
        Platform("linkedin", "LinkedIn", 3000, 30, 3),
        Platform("tiktok", "TikTok", 2200, 30, 4),
        Platform("threads", "Threads", 500, 1, 1),
        Platform("bluesky", "Bluesky", 300, 10, 2, grapheme_length),
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

# A hashtag: "#" and a word with a letter in it, not after a word, "&" or "/" ("#1" is
# no hashtag on any of the six; "example.com/#tickets" is a link's anchor).
HASHTAG_PATTERN = r"(?<![\w#&/])#(?=\w*?[^\W\d])(\w{1,100})"


@functools.cache
def hashtag_re() -> Any:
    """HASHTAG_PATTERN in the regex module, whose \\w, like the platforms' hashtags,
    takes in combining marks and joiners: Python's re ends "#भारत" (Hindi), "#เที่ยว"
    (Thai) or a decomposed "#café" at its first vowel sign or accent. Compiled on first
    use, like the graphemes (bot/post_length.py)."""
    import regex

    return regex.compile(HASHTAG_PATTERN)


# Where a sentence (or a line) ends: a full stop, ! ? … with any closing quotes or
# brackets, before a space or the end; a CJK one (。！？), which no space follows; or a
# line break.
SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*(?=\s|$)|[。！？][」』\"'”’»)\]）]*|\n")
# Characters a token carries, at the low end: English runs about 4, emoji, hashtags and
# many other scripts fewer. A budget from it holds a draft at the platform's limit.
CHARS_PER_TOKEN = 3
# The list numbering, a label, the model's own slack.
TOKENS_PER_DRAFT = 32


def token_budget(platform: Platform, drafts: int = 1) -> int:
    """Tokens for `drafts` drafts each as long as the platform allows: the model's cap
    must never be what ends a draft the platform would take (a LinkedIn remix is 3000
    characters; 300 tokens stopped it near 1300)."""
    return drafts * (platform.max_chars // CHARS_PER_TOKEN + TOKENS_PER_DRAFT)


def whole_sentences(text: str) -> str:
    """The text up to the end of its last complete sentence or line; "" if none ends.
    For a draft the model's token cap cut off: its unfinished end goes, never shown."""
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    return text[: ends[-1]].rstrip() if ends else ""


# The words before a platform's name: "for x", and as creators who write in Spanish,
# Portuguese, French, German, Italian or Russian say it ("para linkedin", "pour
# instagram", "für tiktok", "для x"), at the end of a request or at its start.
FOR_WORDS = r"(?:for|on|to|para|pra|pour|sur|für|fur|auf|per|su|для|на)"
# Social networks Muse has no rules for: named, they are told so rather than taken as
# words of what the post shows while the drafts quietly go to the default platform.
OTHER_NETWORKS = {
    "facebook": "Facebook",
    "fb": "Facebook",
    "mastodon": "Mastodon",
    "youtube": "YouTube",
    "yt": "YouTube",
    "pinterest": "Pinterest",
    "snapchat": "Snapchat",
    "reddit": "Reddit",
    "tumblr": "Tumblr",
    "twitch": "Twitch",
}
# "for instagram reels", "for ig stories": the platform, whatever the format.
FORMAT_WORDS = re.compile(
    r"\s+(?:reels?|stor(?:y|ies)|posts?|carousels?|videos?|shorts|feed|threads?)$"
)


def _key(word: str) -> str:
    key = FORMAT_WORDS.sub("", word.strip().lower().strip(".,!?"))
    return ALIASES.get(key, key)


def find_platform(word: str) -> Platform | None:
    return PLATFORMS.get(_key(word))


def other_network(word: str) -> str | None:
    """The name of a network Muse writes nothing for ("fb" -> "Facebook"), else None."""
    return OTHER_NETWORKS.get(_key(word))


def char_count(text: str, platform: Platform | None = None) -> int:
    """Length as the platform counts it (code points when none is given)."""
    return platform.length(text) if platform else len(text)


def hashtags(text: str) -> list[str]:
    found: list[str] = hashtag_re().findall(text)
    return found


def fits(text: str, platform: Platform) -> bool:
    return (
        char_count(text, platform) <= platform.max_chars
        and len(hashtags(text)) <= platform.max_hashtags
    )


def repair(text: str, platform: Platform) -> str:
    """Make a draft obey the platform: drop surplus hashtags (keeping the first
    ones), then shorten at a sentence or word boundary. Never returns an over-limit text
    (measured as the platform measures it)."""
    text = _drop_extra_hashtags(text.strip(), platform.max_hashtags)
    if platform.length(text) <= platform.max_chars:
        return text
    body, tags = _split_trailing_tags(text)
    budget = platform.max_chars - (platform.length(tags) + 1 if tags else 0)
    if budget < platform.max_chars // 2:  # tags would eat the post: drop them instead
        body, tags, budget = text, "", platform.max_chars
    short = shorten(body, budget, platform.length)
    return f"{short}\n{tags}" if tags else short


def shorten(text: str, limit: int, measure: Callable[[str], int] = len) -> str:
    """Cut to `limit` (as `measure` counts) after the last whole sentence that fits (a
    draft is never shown cut mid-sentence); only a first sentence longer than the limit
    is cut at a word, with an ellipsis to say so."""
    if measure(text) <= limit:
        return text
    for end in reversed([m.end() for m in SENTENCE_END.finditer(text)]):
        whole = text[:end].rstrip()
        if whole and measure(whole) <= limit:
            return whole
    # The longest start that fits with the ellipsis (a longer one never fits: bisect),
    # ending between graphemes: never half an emoji sequence or a letter without its accent.
    ends = list(itertools.accumulate(map(len, graphemes(text))))
    lo, hi = 0, len(ends) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if measure(text[: ends[mid]] + "…") <= limit else (lo, mid - 1)
    window = text[: ends[lo]]
    space = window.rfind(" ")
    cut = window[:space] if space >= len(window) // 3 else window
    return cut.rstrip(" ,;:-") + "…"


def _drop_extra_hashtags(text: str, keep: int) -> str:
    """Keep the first `keep` hashtags. A surplus one inside a sentence (words follow it
    on its line) stays as a plain word, or the sentence would lose it ("Golden #sunset
    over #Lisbon from tram 28." is "… over Lisbon from …", not "… over from …")."""
    seen = 0
    hashtag = hashtag_re()

    def sub(match: Any) -> str:
        nonlocal seen
        seen += 1
        if seen <= keep:
            return match.group(0)
        after = hashtag.sub("", text[match.end() :].split("\n", 1)[0])
        return str(match.group(1)) if re.search(r"\w", after) else ""

    out: str = hashtag.sub(sub, text)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def _split_trailing_tags(text: str) -> tuple[str, str]:
    lines = text.rstrip().split("\n")
    last = lines[-1].strip()
    if last and all(w.startswith("#") for w in last.split()):
        return "\n".join(lines[:-1]).rstrip(), last
    return text, ""
