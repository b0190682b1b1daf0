"""Rendering the core's plain text for Telegram: HTML escaping, bold draft headers,
splitting at Telegram's 4096-character limit at natural boundaries, inline keyboards,
and the one-line hint above inline results."""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultsButton

from bot.markdown_tables import FENCE_CLOSE_RE, FENCE_OPEN_RE, tables_as_lines
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
BOLD_ITALIC_RE = re.compile(r"\*\*\*(?=[^\s*])([^*<>\n]+?)(?<=[^\s*])\*\*\*")
# ~~strike~~ and __bold__ (not a name like __init__ or MUSE_LLM__PROVIDER), made last:
# never across a tag made before.
STRIKE_RE = re.compile(r"~~(?=[^\s~])([^~<>\n]+?)(?<=[^\s~])~~")
UNDER_BOLD_RE = re.compile(r"(?<!\w)__(?=[^\s_])([^<>\n]+?)(?<=[^\s_])__(?!\w)")
# *italic*: single stars around words ("5 * 3" and "* item" have spaces inside), never
# across a tag already made (escaped text has no other < or >).
ITALIC_RE = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*<>\n]+?)(?<=[^\s*])\*(?![\w*])")
# A link, maybe bold as a whole ("**[label](url)**", as models often write it). Its URL
# may hold balanced parentheses (Wikipedia's …/Mercury_(planet)), not a `code` span. An
# image, ![alt](url), is a link too (a message's text shows no image), without its "!".
LINK_RE = re.compile(
    r"(\*\*)?!?\[([^\[\]\n]+)\]\((https?://(?:[^\s()<>\"\x00]|\([^\s()<>\"\x00]*\))+)\)(?(1)\*\*)"
)
# `code`, or ``code with a ` in it``: as many backticks close it as opened it.
CODE_RE = re.compile(r"(?<!`)(`+)(?!`)([^\n]+?)(?<!`)\1(?!`)")
HEADING_RE = re.compile(r"^#{1,6}[ \t]+(\S.*)$")
# A ``` code block (FENCE_OPEN_RE's line, maybe with a language: ```python, to
# FENCE_CLOSE_RE's). One never closed (an answer cut off by the model's max tokens) runs
# to the end of the text, as in Markdown: the code stays code rather than turning to
# prose at the cut.
LANGUAGE_RE = re.compile(r"[\w+#.-]{1,32}")
# "> quoted" lines: a quote block (Telegram's can't nest: "> > x" is one level, "> x").
QUOTE_RE = re.compile(r"^[ \t]*>(?:[ \t]|$)")


def to_html(text: str) -> str:
    """The core's text, escaped; the draft headers and Markdown headings bold, and a
    model's **bold**, `code`, ``` code blocks, > quotes, [links](https://…) and tables
    as Telegram shows them. Text that is nothing but marks (">", an empty ``` block or
    table) is shown as typed: formatted, it would show nothing, and Telegram rejects an
    empty message."""
    shown = _formatted(tables_as_lines(text))
    if text.strip() and not html.unescape(TAG_RE.sub("", shown)).strip():
        return html.escape(text, quote=False)
    return shown


TAG_RE = re.compile(r"<[^<>]*>")  # ours: the text's own < and > are escaped


def _formatted(text: str) -> str:
    lines = text.split("\n")
    closers = [i for i, line in enumerate(lines) if FENCE_CLOSE_RE.match(line)]
    out: list[str] = []
    i = 0
    while i < len(lines):
        opener = FENCE_OPEN_RE.match(lines[i])
        after = bisect.bisect_right(closers, i)
        if opener:
            end = closers[after] if after < len(closers) else len(lines)
            out.append(_code_block(opener.group(1), lines[i + 1 : end]))
            i = end + 1
        elif QUOTE_RE.match(lines[i]):
            end = i
            while end < len(lines) and QUOTE_RE.match(lines[end]):
                end += 1
            out.append(_quote(lines[i:end]))
            i = end
        else:
            out.append(_line(lines[i]))
            i += 1
    return "\n".join(out)


def _quote(lines: list[str]) -> str:
    inner = "\n".join(_line(QUOTE_RE.sub("", line, count=1)) for line in lines)
    return f"<blockquote>{inner}</blockquote>" if inner.strip() else inner


def _code_block(language: str, lines: list[str]) -> str:
    """<pre>, nothing formatted inside; an empty block shows nothing (Telegram drops an
    empty entity, and the fences are gone)."""
    code = html.escape("\n".join(lines), quote=False)
    if not code.strip():
        return code
    if LANGUAGE_RE.fullmatch(language):
        return f'<pre><code class="language-{language}">{code}</code></pre>'
    return f"<pre>{code}</pre>"


def _line(line: str) -> str:
    # Only spaces and tabs around: str.strip() would also take a control character
    # such as \x1f, which then went missing from what was shown.
    heading = HEADING_RE.match(line.strip(" \t"))
    if HEADER_RE.match(line.strip()):
        return f"<b>{html.escape(line, quote=False)}</b>"
    if heading:  # bold as a whole: its own **bold** marks go ("### **Step 1:** …")
        return "<b>" + _inline(BOLD_RE.sub(r"\1", heading.group(1))) + "</b>"
    return _inline(line)


# A mark escaped to be shown (5 \* 3, \_\_init\_\_): as in Markdown, the mark alone, and
# nothing formatted by it. Not in `code`, set aside before.
ESCAPE_RE = re.compile(r"\\([*_~`\[\]#|!]|&gt;)")
MARK = "\x00"  # stands for a `code` span or a bare URL while the text around is formatted
MARKS_RE = re.compile(r"\x00(\d*)\x00")
# A bare URL (not a [label](url)'s): Telegram links it as shown, so no star, underscore
# or tilde in it may become formatting (…/__a-b__/ must not lose its underscores).
BARE_URL_RE = re.compile(r"(?<!\]\()\bhttps?://[^\s<>\[\]\x00]+(?<![.,;:!?*_~)\]'\"])")


def _inline(line: str) -> str:
    """One line, escaped, its Markdown formatted. `code` spans, bare URLs and then links
    are set aside first (nothing is formatted inside them but a link's label), so **bold
    around `code`** or around a [link](https://…) is bold too, and a tag never crosses a
    link's edge ("**[**](url)" must not become <b><a></b></a>)."""
    kept: list[str] = []

    def set_aside(shown: str) -> str:
        kept.append(shown.replace(MARK * 2, MARK))
        return f"{MARK}{len(kept) - 1}{MARK}"

    def put_back(text: str) -> str:
        return MARKS_RE.sub(lambda m: kept[int(m.group(1))] if m.group(1) else MARK, text)

    def link(m: re.Match[str]) -> str:
        bold, label, url = m.groups()
        shown = f'<a href="{url}">{put_back(_bold(label))}</a>'
        kept.append(f"<b>{shown}</b>" if bold else shown)  # its marks are back already
        return f"{MARK}{len(kept) - 1}{MARK}"

    # A mark in the text itself is doubled first, and comes back single.
    text = html.escape(line.replace(MARK, MARK * 2), quote=False)
    text = CODE_RE.sub(lambda m: set_aside(f"<code>{m.group(2)}</code>"), text)
    text = ESCAPE_RE.sub(lambda m: set_aside(m.group(1)), text)
    text = BARE_URL_RE.sub(lambda m: set_aside(m.group(0)), text)
    return put_back(_bold(LINK_RE.sub(link, text)))


def _bold(text: str) -> str:
    text = BOLD_RE.sub(r"<b>\1</b>", BOLD_ITALIC_RE.sub(r"<b><i>\1</i></b>", text))
    text = STRIKE_RE.sub(r"<s>\1</s>", ITALIC_RE.sub(r"<i>\1</i>", text))
    return UNDER_BOLD_RE.sub(_under_bold, text)


def _under_bold(m: re.Match[str]) -> str:
    """__bold__, but a name such as __init__ (one word: nothing to make bold) as typed."""
    return m.group(0) if re.fullmatch(r"\w+", m.group(1)) else f"<b>{m.group(1)}</b>"


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Plain-text parts of at most `limit` characters as Telegram counts them: the text
    shown, after its HTML is parsed (so `&amp;` is one), in UTF-16 units. Escaping
    happens after the cut, so an entity is never split; a ``` code block cut in two is
    closed in one part and reopened in the next, so each part shows it as code."""
    tabled = tables_as_lines(text)  # an empty table alone is shown as typed (to_html)
    return split_message(tabled if tabled.strip() else text, limit, tg_len, fences=True)


PROGRESS_LEAD, PROGRESS_MARK = "… ", " ✍️"


def progress_view(text: str, limit: int = MAX_CHARS - 100) -> str:
    """Streamed text as shown while writing, one message (tables already as lines, as
    they will be shown). Past one message it shows the part being written now, so the
    newest words are always in view."""
    text = tables_as_lines(text).strip()
    parts = split_text(text, limit) if tg_len(text) > limit else [text]
    current = parts[-1] if len(parts) == 1 else PROGRESS_LEAD + parts[-1]
    return current + PROGRESS_MARK


def progress_html(view: str) -> str:
    """A progress_view formatted as the finished answer will be, so it doesn't show
    pipes, fences and **marks** and then change look when done. Unfinished Markdown is
    safe: a block still open is code to the end, a bold not yet closed shows its stars."""
    body = view.removesuffix(PROGRESS_MARK)
    lead = PROGRESS_LEAD if body.startswith(PROGRESS_LEAD) else ""
    return html.escape(lead) + to_html(body[len(lead) :]) + html.escape(view[len(body) :])


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
