"""Rendering the core's plain text for Telegram: HTML escaping, bold draft headers,
splitting at Telegram's 4096-character limit at natural boundaries, inline keyboards,
and the one-line hint above inline results."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultsButton

from bot.messages import Button
from bot.text_split import split_message

MAX_CHARS = 4096  # Telegram's limit per message, counted in UTF-16 code units
HINT_CHARS = 64  # the button above inline results
# A draft header as the core writes it: "#41 (warm) (92/2200)".
HEADER_RE = re.compile(r"^#\d+(?: \([^()\n]*\))? \(\d+/\d+\)$")


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


# The Markdown chat models write, shown as Telegram formats it rather than as stray
# symbols: **bold**, *italic*, `code`, [links](https://…) and "## headings" (a hashtag has no
# space after its #; as in Markdown, a heading's # is followed by a space or a tab, not
# by a line break like \r).
BOLD_RE = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
# *italic*: single stars around words ("5 * 3" and "* item" have spaces inside), never
# across a tag already made (escaped text has no other < or >).
ITALIC_RE = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*<>\n]+?)(?<=[^\s*])\*(?![\w*])")
# A link, maybe bold as a whole ("**[label](url)**", as models often write it).
LINK_RE = re.compile(r"(\*\*)?\[([^\[\]\n]+)\]\((https?://[^\s()<>\"]+)\)(?(1)\*\*)")
CODE_RE = re.compile(r"`([^`\n]+)`")
HEADING_RE = re.compile(r"^#{1,6}[ \t]+(\S.*)$")


def to_html(text: str) -> str:
    """The core's text, escaped; the draft headers and Markdown headings bold, and a
    model's **bold**, `code` and [links](https://…) as Telegram shows them."""
    lines = []
    for line in text.split("\n"):
        heading = HEADING_RE.match(line.strip())
        if HEADER_RE.match(line.strip()) or heading:
            shown = heading.group(1) if heading else line
            lines.append(f"<b>{html.escape(shown, quote=False)}</b>")
            continue
        # Odd pieces are `code` (nothing formatted inside it), even ones the text around.
        pieces = CODE_RE.split(html.escape(line, quote=False))
        lines.append(
            "".join(
                f"<code>{p}</code>" if i % 2 else _links_and_bold(p) for i, p in enumerate(pieces)
            )
        )
    return "\n".join(lines)


def _links_and_bold(text: str) -> str:
    """Links, and **bold** within and between them: never across a link's edge, where
    the tags would cross ("**[**](url)" must not become <b><a></b></a>)."""
    pieces = LINK_RE.split(text)  # text, bold, label, url, text, bold, label, url, …, text
    out = [_bold(pieces[0])]
    for i in range(1, len(pieces), 4):
        bold, label, url, after = pieces[i : i + 4]
        link = f'<a href="{url}">{_bold(label)}</a>'
        out.append(f"<b>{link}</b>{_bold(after)}" if bold else link + _bold(after))
    return "".join(out)


def _bold(text: str) -> str:
    return ITALIC_RE.sub(r"<i>\1</i>", BOLD_RE.sub(r"<b>\1</b>", text))


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Plain-text parts of at most `limit` characters as Telegram counts them: the text
    shown, after its HTML is parsed (so `&amp;` is one), in UTF-16 units. Escaping
    happens after the cut, so an entity is never split."""
    return split_message(text, limit, tg_len)


def progress_view(text: str, limit: int = MAX_CHARS - 100) -> str:
    """Streamed text as shown while writing: plain, one message. Past one message it
    shows the part being written now, so the newest words are always in view."""
    parts = split_text(text, limit) if tg_len(text.strip()) > limit else [text.strip()]
    current = parts[-1] if len(parts) == 1 else "… " + parts[-1]
    return f"{current} ✍️"


# Where a hint may end, best first: after a sentence (not after "e.g." or "i.e.", whose
# example is what follows), before a clause, between words.
HINT_ENDS = (
    re.compile(r"(?<=[.!?…])(?<!\be\.g\.)(?<!\bi\.e\.)\s+", re.I),
    re.compile(r"\s+[—–]\s+|[,;:]\s+"),
    re.compile(r"\s+"),
)
REF_RE = re.compile(r"\s*(\(ref \w+\))$")


def hint_text(text: str, limit: int = HINT_CHARS) -> str:
    """A line that fits the button above inline results: the text if it fits, else its
    leading whole sentences, else its leading clauses, else words and "…" — never cut
    mid-word, and an error id "(ref …)" is kept (it finds the log line)."""
    text = " ".join(text.split())
    if tg_len(text) <= limit:
        return text
    ref = REF_RE.search(text)
    body, tail = (text[: ref.start()], " " + ref.group(1)) if ref else (text, "")
    room = limit - tg_len(tail)
    for pattern in HINT_ENDS:
        mark = "…" if pattern is HINT_ENDS[-1] else ""
        fitting = [
            body[: m.start()]
            for m in pattern.finditer(body)
            if tg_len(body[: m.start()] + mark) <= room
        ]
        if fitting:
            return fitting[-1] + mark + tail
    word = body[: room - 1]  # one giant word
    while tg_len(word) > room - 1:
        word = word[:-1]
    return word + "…" + tail


def inline_hint(text: str) -> InlineQueryResultsButton:
    """The button above inline results; it opens a private chat with the bot, where
    the whole answer is one message away."""
    return InlineQueryResultsButton(text=hint_text(text), start_parameter="inline")


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
