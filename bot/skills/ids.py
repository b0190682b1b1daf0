"""Reading the id a command starts with ("/pick #12", "/remix #12 for x", "/riff 7 …")."""

from __future__ import annotations

import re

from bot.errors import BadInput

# The first word, when it looks like a number: sign, decimal point, thousands comma or
# exponent included, sentence punctuation after it left out ("/pick #3." is #3).
NUMBER_WORD_RE = re.compile(r"(#)?([-+−]?\d[\d.,eE+\-−]*?)[.,!?:;)]*(?=\s|$)")
ID_RE = re.compile(r"\d{1,9}")


def check_id(text: str, example: str, *, bare: bool = False) -> None:
    """Refuse a first word that looks like an id but is none: "#3.5" was read as #3
    (and "/more #3.5" gave captions like #3), "#-1", "#1e3" or a 20-digit "#…" were
    captioned, remixed or recorded as published as if they were the creator's words.
    `bare`: the command also takes an id without "#" ("/pick 12"), so "3.5" counts too."""
    match = NUMBER_WORD_RE.match(text.strip())
    if match is None or not (match.group(1) or bare) or ID_RE.fullmatch(match.group(2)):
        return
    word = text.split()[0]
    raise BadInput(f"{word} isn't one of my ids — they are whole numbers, e.g. {example}")
