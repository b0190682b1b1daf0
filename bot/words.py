"""Words of a text for cheap lexical measures (on-topic checks, the `off` embedder)."""

from __future__ import annotations

import functools
from typing import Any

STOPWORDS = frozenset(
    "a an the and or but of in on at to for with from by my our your their this that these "
    "those is are was were be been it its as into over under about after before while new "
    "post photo picture video shows showing one two just who what when where why how all "
    "some any every everyone everybody more most very really here there now then today day "
    "live get got make made like have has had will would can could not no yes so too also "
    "out up down we you me us they he she his her them i'm we're you're it's let's time".split()
)
# Stopwords for the on-topic check, yet what tells two posts apart (content_stems).
NUMBER_WORDS = frozenset({"one", "two"})
SUFFIXES = ("'s", "ing", "ed", "es", "s", "y", "ly")
# A word in any script, its accents and vowel signs included (the regex module's \w
# takes in combining marks, Python re's doesn't). Only a-z words were read before: a
# Russian, Greek, Arabic or Japanese text had none, so word overlap (the `off` embedder,
# and the fallback when a server has no embeddings) found no repeat in it, ever.
WORD_PATTERN = r"[\w']+"


@functools.cache
def _word_re() -> Any:
    import regex  # on first use, as in bot/post_length.py

    return regex.compile(WORD_PATTERN)


def _words(text: str) -> list[str]:
    found: list[str] = _word_re().findall(text.casefold())
    return found


def words(text: str) -> set[str]:
    return set(_words(text))


def stem(word: str) -> str:
    """Crude stemming so inflections match: rainy/rain, mornings/morning, lisbon's/lisbon."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> list[str]:
    """The stems of a text's content words, in order, repeats kept (for term counts).
    Numbers count, as digits or words: "Week 2" and "Week 3", "one tram" and "two trams"
    are different posts."""
    return [
        stem(w)
        for w in _words(text)
        if w.isdigit() or w in NUMBER_WORDS or (len(w) > 2 and w not in STOPWORDS)
    ]
