"""Rendering the core's plain text for Telegram: HTML escaping, bold draft headers,
splitting at Telegram's 4096-character limit at natural boundaries, inline keyboards."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Button
from bot.text_split import split_message

MAX_CHARS = 4096  # Telegram's limit per message, counted in UTF-16 code units
# A draft header as the core writes it: "#41 (warm) (92/2200)".
HEADER_RE = re.compile(r"^#\d+(?: \([^()\n]*\))? \(\d+/\d+\)$")


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


def rendered_len(text: str) -> int:
    return tg_len(to_html(text))


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Plain-text parts that each render to at most `limit` characters of HTML (escaping
    happens after the cut, so an entity like &amp; is never split)."""
    return split_message(text, limit, rendered_len)


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
