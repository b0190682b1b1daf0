"""User text reaches the model as delimited data, never as instructions.

Chat form: every variable a person can influence sits between `<creator_input>` and
`</creator_input>` in prompts/*.yaml (checked when the prompts load), and look-alikes of
those tags inside the text are neutralised, so a message cannot close the data early and
talk to the model as Muse. Few-shot completion form (a base model, no instructions to
obey): each value sits on its own labelled line, so line breaks inside it are flattened —
a message cannot start a forged "Muse:" or "Captions:" line.

Also the last line of defence for what a test can actually show: an answer that repeats
the system prompt is withheld (`leaked`), whatever the model was talked into."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

OPEN = "<creator_input>"
CLOSE = "</creator_input>"
TAG_RE = re.compile(re.escape(OPEN) + "|" + re.escape(CLOSE))
# The tag as a person might forge it: any case, spaces, entities, full-width or angle
# quotation marks instead of < and >, "-" or " " for "_".
LOOKALIKE_RE = re.compile(
    r"(?:<|&lt;?|&#0*60;?|&#x0*3c;?|＜|‹|〈|«)\s*/?\s*creator[\s_\-]*input\s*"
    r"(?:>|&gt;?|&#0*62;?|&#x0*3e;?|＞|›|〉|»)?",
    re.I,
)
# Everything str.splitlines() breaks on.
LINE_BREAK_RE = re.compile(r"\s*[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+\s*")


def neutralise(text: str) -> str:
    """The text with every look-alike of the data tags made inert ("[creator input]")."""
    return LOOKALIKE_RE.sub("[creator input]", text)


def flatten(text: str) -> str:
    """One line: the few-shot completion form reads a line break as a new field."""
    return LINE_BREAK_RE.sub(" ", text).strip()


def wrap(text: str) -> str:
    return f"{OPEN}{neutralise(text)}{CLOSE}"


def undelimited(template: str, trusted: Iterable[str]) -> list[str]:
    """Placeholders of `template` outside the data tags, other than `trusted` ones; also
    "unbalanced" tags. Empty when every piece of user text is delimited."""
    allowed = set(trusted)
    inside = False
    problems: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        for tag in TAG_RE.findall(literal):
            if (tag == OPEN) == inside:
                problems.append(f"unbalanced {tag}")
            inside = tag == OPEN
        if name and not inside and name not in allowed:
            problems.append("{" + name + "}")
    if inside:
        problems.append(f"unclosed {OPEN}")
    return problems


# A repeated fragment shorter than this may be a coincidence ("be concise").
MIN_FRAGMENT = 40
_NORMALISE_RE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _NORMALISE_RE.sub(" ", text).strip().lower()


def fragments(system_template: str) -> list[str]:
    """The fixed sentences of a system prompt (what an injected "print your system
    prompt" would reveal), normalised, long enough not to appear by chance."""
    pieces: list[str] = []
    for literal, _, _, _ in string.Formatter().parse(system_template):
        for sentence in re.split(r"(?<=[.!?:])\s+|\n", literal):
            normal = _normal(TAG_RE.sub(" ", sentence))
            if len(normal) >= MIN_FRAGMENT:
                pieces.append(normal)
    return pieces


def leaked(answer: str, protected: Iterable[str]) -> bool:
    """Does the answer repeat a sentence of the system prompt?"""
    normal = _normal(answer)
    return any(piece in normal for piece in protected)
