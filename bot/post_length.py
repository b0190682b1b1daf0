"""A post's length the way each platform counts it.

Code points are right for most, not for all: X weighs characters (twitter-text v3:
Latin, Cyrillic, Greek… count 1; CJK, Hangul, emoji count 2; a link counts 23, however
long, since X shortens it) and Bluesky counts graphemes (what a reader sees as one
character: the family emoji 👨‍👩‍👧‍👦 is seven code points, one grapheme). Counting code points
there let a Japanese X post of 200 characters (400 on X) through as "200/280", and cut a
link from an X post that had room for it."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

# twitter-text v3 (config/v3.json): code points in these ranges weigh 1, all others 2.
X_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
X_URL_WEIGHT = 23
# Links as X finds them: with a scheme or "www.", without the punctuation after them.
URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"]+(?<![.,;:!?)\]'\"’”])", re.I)

ZWJ = 0x200D
KEYCAP = 0x20E3


@functools.cache
def _grapheme_re() -> Any:
    """Unicode's extended grapheme clusters (UAX #29), as the regex module implements
    them. Imported on first use: 1.6 MB that an idle `muse run` need not carry."""
    import regex

    return regex.compile(r"\X")


def graphemes(text: str) -> list[str]:
    """The text's user-perceived characters: what a reader sees as one character."""
    found: list[str] = _grapheme_re().findall(text)
    return found


def _is_emoji(cluster: str) -> bool:
    cps = [ord(c) for c in cluster]
    return any(
        0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or cp in (0xFE0F, ZWJ, KEYCAP)
        for cp in cps
    )


def _x_weight(cluster: str) -> int:
    if _is_emoji(cluster):
        return 2  # an emoji, however many code points its sequence has
    return sum(1 if any(lo <= ord(c) <= hi for lo, hi in X_LIGHT) else 2 for c in cluster)


def x_length(text: str) -> int:
    """Length as X counts it, against its 280 (twitter-text's weighted length)."""
    text = unicodedata.normalize("NFC", text)
    total, start = 0, 0
    for url in URL_RE.finditer(text):
        total += sum(map(_x_weight, graphemes(text[start : url.start()]))) + X_URL_WEIGHT
        start = url.end()
    return total + sum(map(_x_weight, graphemes(text[start:])))


def grapheme_length(text: str) -> int:
    """Length as Bluesky counts it: graphemes."""
    return len(graphemes(text))
