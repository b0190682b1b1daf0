"""Rendering the core's plain text for Telegram: HTML escaping, bold draft headers,
splitting at Telegram's 4096-character limit at natural boundaries, inline keyboards."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Button

MAX_CHARS = 4096  # Telegram's limit per message, counted in UTF-16 code units
PLACEHOLDER = "✍️ writing…"
# A draft header as the core writes it: "#41 (warm) (92/2200)".
HEADER_RE = re.compile(r"^#\d+(?: \([^()\n]*\))? \(\d+/\d+\)$")
# Where to cut an over-long text, best first: paragraph, line, sentence, word.
BREAKS = (
    re.compile(r"\n[ \t]*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…])\s+"),
    re.compile(r"\s+"),
)


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def to_html(text: str) -> str:
    """The core's text is plain: escape all of it; bold only the draft headers."""
    lines = []
    for line in text.split("\n"):
        escaped = html.escape(line, quote=False)
        lines.append(f"<b>{escaped}</b>" if HEADER_RE.match(line.strip()) else escaped)
    return "\n".join(lines)


def _fits(text: str, limit: int) -> bool:
    return tg_len(to_html(text)) <= limit


def _largest_fitting(text: str, cuts: Sequence[int], limit: int) -> int | None:
    """The largest cut whose prefix still fits once rendered (fitting is monotonic)."""
    lo, hi, best = 0, len(cuts) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if _fits(text[: cuts[mid]], limit):
            best, lo = cuts[mid], mid + 1
        else:
            hi = mid - 1
    return best


def _cut(text: str, limit: int) -> int:
    # A rendered prefix is never shorter than the plain one, so look no further.
    window = text[: limit + 1]
    for pattern in BREAKS:
        cuts = [m.start() for m in pattern.finditer(window) if m.start() > 0]
        best = _largest_fitting(text, cuts, limit)
        if best:
            return best
    # One giant "word": cut between characters (escaping happens after the cut, so an
    # entity like &amp; is never split).
    return _largest_fitting(text, range(1, len(window) + 1), limit) or 1  # type: ignore[arg-type]


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Plain-text parts that each render to at most `limit` characters of HTML."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if _fits(rest, limit):
            parts.append(rest)
            break
        cut = _cut(rest, limit)
        head, rest = rest[:cut].rstrip(), rest[cut:].strip()
        if head:
            parts.append(head)
    return parts or ["…"]


def progress_view(text: str, limit: int = MAX_CHARS - 100) -> str:
    """Streamed text as shown while writing: plain, clipped to one message."""
    text = text.strip()
    if tg_len(text) > limit:
        text = text[: limit // 2].rstrip() + " …"
    return f"{text} ✍️"


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    buttons = [
        [InlineKeyboardButton(b.label, callback_data=b.action.encode()) for b in row]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(buttons) if buttons else None


def is_parse_error(exc: Exception) -> bool:
    return "can't parse entities" in str(exc).lower()


def is_not_modified(exc: Exception) -> bool:
    return "message is not modified" in str(exc).lower()
