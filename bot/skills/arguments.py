"""What a command's first words say: an id ("/pick #12", "/riff 7 …") or, typed
first instead of last, the platform ("/caption for x: a tram at dawn")."""

from __future__ import annotations

import re

from bot.errors import BadInput
from bot.platforms import FOR_WORDS, find_platform, other_network

# The first word, when it looks like a number: sign, decimal point, thousands comma or
# exponent included, sentence punctuation after it left out ("/pick #3." is #3).
NUMBER_WORD_RE = re.compile(r"(#)?([-+−]?\d[\d.,eE+\-−]*?)[.,!?:;)]*(?=\s|$)")
ID_RE = re.compile(r"\d{1,9}")
# A second id right after the first: "#1 #2", "#1, #2", "#1 and #2" (no hashtag is only
# digits on any platform, so "#2" is an id).
TWO_IDS_RE = re.compile(r"#?(\d{1,9})[\s,;&+]+(?:(?:and|or)\s+)?#(\d{1,9})\b", re.I)


def first_word(text: str) -> tuple[str, str]:
    """(The first word, the rest), split at any whitespace: "/session start⏎names…" (a
    newline typed on a phone, or a tab) was "I don't know /session start⏎names"."""
    first, rest = [*text.split(maxsplit=1), "", ""][:2]
    return first, rest.strip()


def check_id(text: str, example: str, *, bare: bool = False) -> None:
    """Refuse a first word that looks like an id but is none: "#3.5" was read as #3
    (and "/more #3.5" gave captions like #3), "#-1", "#1e3" or a 20-digit "#…" were
    captioned, remixed or recorded as published as if they were the creator's words.
    `bare`: the command also takes an id without "#" ("/pick 12"), so "3.5" counts too."""
    match = NUMBER_WORD_RE.match(text.strip())
    if match is None or not (match.group(1) or bare):
        return
    if ID_RE.fullmatch(match.group(2)):
        one_at_a_time(text, example)
        return
    word = text.split()[0]
    raise BadInput(f"{word} isn't one of my ids — they are whole numbers, e.g. {example}")


def one_at_a_time(text: str, example: str) -> None:
    """ "/remix #1 #2 for linkedin" was a remix of #1 labelled "(#2)", "/caption #1 #2"
    captioned "#2" as words of the post, and "/posted #1 #2" recorded the text "#1 #2"
    as published. A command takes one draft: the answer says so, with both commands."""
    two = TWO_IDS_RE.match(text.strip())
    if two:
        command, (first, second) = example.split()[0], two.groups()
        raise BadInput(f"One draft at a time: {command} #{first}, then {command} #{second}.")


# "for x: …", "on linkedin, …", "para tiktok …" at the start (the words as at the end).
LEADING_FOR_RE = re.compile(rf"^{FOR_WORDS}\s+(\S+)(?:\s+(\S+))?", re.I)


def platform_last(text: str) -> str:
    """ "/caption for x a tram at dawn" was 3 Instagram captions of "for x a tram at
    dawn", and "/remix for linkedin #2" an Instagram remix of those very words: the
    platform is read at the end only. Named first (and nowhere at the end), it is moved
    there, so the rest is what the post shows, or the draft's id; so is a network Muse
    has no rules for ("for facebook: …"), which is then named as such."""
    from bot.skills.common import split_platforms

    text = text.strip()
    match = LEADING_FOR_RE.match(text)
    if match is None or split_platforms(text)[1]:
        return text
    for group in (2, 1):  # "x thread", "ig stories" before "x", "ig"
        said = (
            text[match.start(1) : match.end(group)].rstrip(".,:;!-–—") if match.group(group) else ""
        )
        rest = text[match.end(group) :].strip(" .,:;!-–—") if said else ""
        if said and rest and (find_platform(said) or other_network(said)):
            return f"{rest} for {said}"
    return text
