"""The console's terminal plumbing: display widths, the terminal's settings, the line
read in a thread."""

from __future__ import annotations

import asyncio
import io
import unicodedata
from typing import Any, TextIO


def width(text: str) -> int:
    """The columns a terminal gives `text`: wide characters (CJK, most emoji) take two,
    combining marks and joiners none. Counted in characters, an answer in Japanese left
    rows of its streamed copy on screen above the finished answer."""
    return sum(
        0
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(c) in "WF"
        else 1
        for c in text
    )


def settle(reading: asyncio.Future[str | None], line: str | None) -> None:
    if not reading.done():  # a Ctrl-C may have ended the wait already
        reading.set_result(line)


def terminal_state(stdin: TextIO) -> list[Any] | None:
    """The terminal's settings, to put back when leaving while input() still holds it
    (readline switches echo off while it reads a line)."""
    try:
        import termios

        return termios.tcgetattr(stdin.fileno())
    except (ImportError, OSError, ValueError, io.UnsupportedOperation):
        return None


def restore_terminal(stdin: TextIO, state: list[Any] | None) -> None:
    if state is None:
        return
    try:
        import termios

        termios.tcsetattr(stdin.fileno(), termios.TCSADRAIN, state)
    except (ImportError, OSError, ValueError, io.UnsupportedOperation):
        pass
