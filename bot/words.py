"""Words of a text for cheap lexical measures (on-topic checks, the `off` embedder)."""

from __future__ import annotations

import re

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
WORD_RE = re.compile(r"[a-z0-9']+")


def words(text: str) -> set[str]:
    return set(WORD_RE.findall(text.lower()))


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
        for w in WORD_RE.findall(text.lower())
        if w.isdigit() or w in NUMBER_WORDS or (len(w) > 2 and w not in STOPWORDS)
    ]
