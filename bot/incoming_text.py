"""What the core reads of a message's text: without binary junk, and at most the
configured length (the person is told when it was cut)."""

from __future__ import annotations

import re

from bot.errors import BadInput

# Control characters other than tab/newline: binary junk, never meaningful text.
JUNK_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")


def cleaned(text: str, limit: int, notices: list[str]) -> str:
    """`text` ready for a skill; a notice for the answer is added when it was cut."""
    kept = JUNK_RE.sub("", text)
    if kept != text and not kept.strip():
        raise BadInput("That looks like binary data, not text — tell me in words what you need.")
    if len(kept) > limit:
        kept = kept[:limit]
        notices.append(f"(Your message was long, so I used its first {limit} characters.)")
    return kept.strip()
