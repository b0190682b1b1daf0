"""Splitting an answer into messages that fit a chat app's limit, at natural boundaries.

Platform-free: each adapter passes its limit and how its platform counts length
(Discord: characters; Telegram: UTF-16 units of the text as shown). Where the platform
renders Markdown (Discord), `fences=True` keeps a ``` code block a code block across a
cut: the part is closed with ``` and the next reopens it with its language tag, its
indentation kept; **bold**, *italic*, __bold__ or ~~strike~~ cut in two (within one long
line, where both platforms format it) is closed and reopened the same way."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from bot.post_length import graphemes

# Where to cut, best first: paragraph, a line not indented under the one before it (an
# indented line belongs to it: a list item's, a help entry's description), line,
# sentence, word. A Chinese or Japanese sentence ends with 。！？ (maybe a closing quote
# or bracket after it) and no space: without that, a long answer in either was cut in
# the middle of a word, in a text full of sentence ends.
BREAKS = (
    re.compile(r"\n[ \t]*\n"),
    re.compile(r"\n(?![ \t])"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])(?![」』）”’\"'])\s*|(?<=[。！？][」』）”’\"'])\s*"),
    re.compile(r"\s+"),
)
FENCE = "```"
CLOSE = "\n" + FENCE
# A reopened fence keeps its language tag only when the opening line was just that.
LANGUAGE_RE = re.compile(r"[\w+#.-]*")
# The whitespace at a cut inside code: through the last line break, so the next line
# keeps its indentation (or, cut within a line, the spaces there).
BREAK_IN_CODE_RE = re.compile(r"\s*\n|[ \t]*")

NEXT_WORD_RE = re.compile(r"\s*(\S+)")
# The marks of emphasis (and what is not: an escaped character, a `code` span's ticks).
MARK_RE = re.compile(r"\\.|`+|\*{1,3}|~~|__")
# Room for the marks that close every emphasis at once: **, *, ~~, __.
CLOSE_ROOM = "*" * 7

Measure = Callable[[str], int]


def split_message(
    text: str, limit: int, measure: Measure = len, *, fences: bool = False
) -> list[str]:
    """Parts that each measure at most `limit`, losing nothing but the whitespace at the
    cuts (and, with `fences`, adding only the ``` lines that close and reopen a code
    block cut in two, and the marks that close and reopen emphasis). A hard cut between
    characters happens only inside one giant word."""
    parts: list[str] = []
    rest = text.strip()
    reopen = ""  # the fence line the next part starts with, when cut inside a code block
    while rest:
        if measure(reopen + rest) <= limit:
            parts.append(reopen + rest)
            break
        head, rest, reopen = _next_part(rest, reopen, limit, measure, fences)
        if head.strip():
            parts.append(head)
    return parts or ["…"]


def _next_part(
    rest: str, reopen: str, limit: int, measure: Measure, fences: bool
) -> tuple[str, str, str]:
    """(this part, what is left, the fence line the next part starts with)."""
    cut = _cut(rest, limit, lambda s: measure(reopen + s))
    opener = open_fence(reopen + rest[:cut]) if fences else None
    if fences and opener is None and _open_marks(reopen + rest[:cut], rest[cut:]):
        # Emphasis cut in two: closed at the end of this part and reopened in the next.
        cut = _cut(rest, limit, lambda s: measure(reopen + s.rstrip() + CLOSE_ROOM))
        marks = _open_marks(reopen + rest[:cut], rest[cut:])
        close = "".join(reversed(marks))
        return reopen + rest[:cut].rstrip() + close, rest[cut:].strip(), "".join(marks)
    # Room to close and reopen the block, or there is no room for code in between.
    if opener is None or measure(opener + CLOSE) > limit // 2:
        return reopen + rest[:cut].rstrip(), rest[cut:].strip(), ""
    cut = _cut(rest, limit, lambda s: measure(reopen + s.rstrip() + CLOSE))
    head = rest[:cut]
    opener = open_fence(reopen + head)
    start = head.rfind(FENCE)
    if opener is not None and start > 0 and not head[start:].partition("\n")[2].strip():
        # Cut right after a block's opening line: start the block in the next part.
        cut, opener = start, None
        head = rest[:cut]
    if opener is None:
        return reopen + head.rstrip(), rest[cut:].strip(), ""
    left = rest[cut:]
    gap = BREAK_IN_CODE_RE.match(left)
    left = left[gap.end() if gap else 0 :]
    if left.startswith(FENCE):  # the block ended right at the cut: it is closed already
        return reopen + head.rstrip() + CLOSE, left[len(FENCE) :].strip(), ""
    return reopen + head.rstrip() + CLOSE, left, opener + "\n"


def open_fence(text: str) -> str | None:
    """The ``` line of the code block still open at the end of `text`, if one is."""
    if text.count(FENCE) % 2 == 0:
        return None
    after = text[text.rfind(FENCE) + len(FENCE) :]
    first_line, newline, _ = after.partition("\n")
    language = first_line.strip()
    if newline and LANGUAGE_RE.fullmatch(language):
        return FENCE + language
    return FENCE


def _open_marks(head: str, rest: str) -> list[str]:
    """The emphasis marks open at the end of `head` and closed later in the line `rest`
    goes on with: a long **bold** line cut in two showed a raw ** in both parts."""
    after = rest.partition("\n")[0]
    return [mark for mark in open_marks(head) if mark in after]


def open_marks(text: str) -> list[str]:
    """The emphasis marks open at the end of `text`'s last line, in the order opened
    (emphasis ends with its line on both platforms). As in Markdown, a mark opens before
    a character and closes after one ("5 * 3" and "* item" are not marks); not a mark: a
    * or __ inside a word (2*3, MUSE_LLM__PROVIDER), anything escaped or in `code`. Ended
    inside a `code` span: none."""
    line = text[text.rfind("\n") + 1 :]
    opened: list[str] = []
    pos = 0
    while match := MARK_RE.search(line, pos):
        token, pos = match.group(), match.end()
        if token.startswith("`"):
            close = line.find(token, pos)
            if close < 0:
                return []
            pos = close + len(token)
            continue
        left, right = line[match.start() - 1 : match.start()], line[pos : pos + 1]
        if token.startswith("\\") or (token in ("*", "__") and left.isalnum() and right.isalnum()):
            continue
        for mark in ["**", "*"] if token == "***" else [token]:
            if mark in opened and left.strip():  # a closing mark follows a character
                opened.remove(mark)
            elif mark not in opened and right.strip():  # an opening one, a character follows
                opened.append(mark)
    return opened


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
    word = NEXT_WORD_RE.match(text, fallback or 0)
    if fallback and word and measure(word.group(1)[: limit + 1]) > limit:
        fallback = None  # a word that fits no message follows: cut it here, not after a stub
    return (
        fallback
        or _largest_fitting(text, _grapheme_ends(text, window), limit, measure)
        or _largest_fitting(text, range(1, len(window) + 1), limit, measure)
        or 1
    )


def _grapheme_ends(text: str, window: str) -> list[int]:
    """Where a cut inside a giant word may go: between what a reader sees as characters,
    never inside one (a flag cut in two shows two wrong letters, and every flag after it
    pairs wrongly; a 👍🏽 leaves a lone skin tone; a Hindi syllable is a letter and its
    vowel sign). The window's last one may go on past it."""
    ends = list(itertools.accumulate(len(g) for g in graphemes(window)))
    return ends if len(window) == len(text) else ends[:-1]


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
