"""The console's terminal plumbing: display widths, the terminal's settings, the line
read in a thread, the history of lines typed (readline's, for ↑)."""

from __future__ import annotations

import asyncio
import io
import logging
import unicodedata
from pathlib import Path
from typing import Any, TextIO

log = logging.getLogger(__name__)


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


def load_history(path: Path) -> None:
    try:
        import readline

        readline.set_history_length(1000)
        if path.exists():
            readline.read_history_file(path)
    except (ImportError, OSError):
        pass


def save_history(path: Path) -> None:
    try:
        import readline

        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)
    except (ImportError, OSError):
        pass


def clear_history(path: Path, *, loaded: bool) -> None:
    """The lines typed so far, gone from the file and, if `loaded`, from ↑ too."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not delete %s", path)
    if loaded:
        try:
            import readline

            readline.clear_history()
        except ImportError:
            pass
