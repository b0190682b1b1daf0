"""A model's Markdown tables, for chat apps that have none (Telegram, Discord): each row
shown as one line, and the header a table cut by the length limit needs to go on.

Platform-free: the lines keep the cells' own Markdown (bold, links), which each
platform then shows its way."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

# A ``` code block's opening and closing lines (a table inside one stays as typed). A
# closing fence may end in \r: a model's \r\n line breaks.
FENCE_OPEN_RE = re.compile(r"^[ \t]*```[ \t]*([^`\s]*)[^`]*$")
FENCE_CLOSE_RE = re.compile(r"^[ \t]*```[ \t]*\r?$")
# A Markdown table: a header row, then a |---|:--:| row with as many cells; its body is
# the lines with a | that follow. Cells are split at a | not escaped as \|.
TABLE_RULE_RE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?\s*$")
CELL_EDGE_RE = re.compile(r"^[ \t]*\||(?<!\\)\|[ \t]*$")
CELL_SPLIT_RE = re.compile(r"(?<!\\)\|")


def tables_as_lines(text: str) -> str:
    """Each row of a model's Markdown table as a line, "• Platform: Instagram · Time:
    18:00". That reads on a phone's width, where a grid wraps, keeps the cells' **bold**
    and links, and needs no alignment (which breaks once a cell holds CJK or emoji: no
    font shows them exactly two columns wide). Tables in ``` code blocks stay as typed."""
    lines = text.split("\n")
    out: list[str] = []
    done = 0
    for start, end in _tables(lines):
        out.extend(lines[done:start])
        header = _cells(lines[start])
        rows = (_row(header, _cells(row)) for row in lines[start + 2 : end])
        shown = [row for row in rows if row]
        out.extend(shown or [" · ".join(cell for cell in header if cell)])  # no body: its head
        done = end
    out.extend(lines[done:])
    return "\n".join(out)


def open_table(text: str) -> tuple[str, str] | None:
    """When `text` ends inside a table (an answer cut there): its header and |---| lines,
    and its last row as far as it goes ("" if the text ends at the |---| line). A
    continuation needs the header to show as rows too."""
    lines = text.split("\n")
    for start, end in _tables(lines):
        if end == len(lines):
            last = lines[-1] if end > start + 2 else ""
            return "\n".join(lines[start : start + 2]), last
    return None


def _tables(lines: list[str]) -> Iterator[tuple[int, int]]:
    """Each table as (its header line, the line after its last row)."""
    i, in_code = 0, False
    while i < len(lines):
        line = lines[i]
        in_code = not FENCE_CLOSE_RE.match(line) if in_code else bool(FENCE_OPEN_RE.match(line))
        header = _cells(line) if not in_code and "|" in line else []
        rule = lines[i + 1] if i + 1 < len(lines) else ""
        if not header or "|" not in rule or not TABLE_RULE_RE.match(rule):
            i += 1
            continue
        if len(_cells(rule)) != len(header):
            i += 1
            continue
        end = i + 2
        while end < len(lines) and "|" in lines[end] and not FENCE_OPEN_RE.match(lines[end]):
            end += 1
        yield i, end
        i = end


def _cells(line: str) -> list[str]:
    inner = CELL_EDGE_RE.sub("", line.strip())
    return [cell.strip().replace("\\|", "|") for cell in CELL_SPLIT_RE.split(inner)]


def _row(header: list[str], row: list[str]) -> str:
    """ "• header: cell · …"; an empty cell left out, a cell without a header alone."""
    heads = itertools.chain(header, itertools.repeat(""))
    pairs = [f"{h}: {c}" if h else c for h, c in zip(heads, row, strict=False) if c]
    return "• " + " · ".join(pairs) if pairs else ""
