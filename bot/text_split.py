"""Splitting an answer into messages that fit a chat app's limit, at natural boundaries.

Platform-free: each adapter passes its limit and how its platform counts length
(Discord: characters; Telegram: UTF-16 units of the rendered HTML)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# Where to cut, best first: paragraph, line, sentence, word.
BREAKS = (
    re.compile(r"\n[ \t]*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…])\s+"),
    re.compile(r"\s+"),
)

Measure = Callable[[str], int]


def split_message(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Parts that each measure at most `limit`, losing nothing but the whitespace at the
    cuts. A hard cut between characters happens only inside one giant word."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if measure(rest) <= limit:
            parts.append(rest)
            break
        cut = _cut(rest, limit, measure)
        head, rest = rest[:cut].rstrip(), rest[cut:].strip()
        if head:
            parts.append(head)
    return parts or ["…"]


def _cut(text: str, limit: int, measure: Measure) -> int:
    # Every platform counts a character as at least one unit, so a longer prefix can't fit.
    window = text[: limit + 1]
    fallback = None
    for pattern in BREAKS:
        cuts = [m.start() for m in pattern.finditer(window) if m.start() > 0]
        best = _largest_fitting(text, cuts, limit, measure)
        # A cut in the first half would leave a stub message: try a finer boundary first.
        if best and measure(text[:best]) >= limit // 2:
            return best
        fallback = fallback or best
    return fallback or _largest_fitting(text, range(1, len(window) + 1), limit, measure) or 1


def _largest_fitting(text: str, cuts: Sequence[int], limit: int, measure: Measure) -> int | None:
    """The largest cut whose prefix fits (fitting is monotonic in the cut, so bisect)."""
    lo, hi, best = 0, len(cuts) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if measure(text[: cuts[mid]]) <= limit:
            best, lo = cuts[mid], mid + 1
        else:
            hi = mid - 1
    return best
