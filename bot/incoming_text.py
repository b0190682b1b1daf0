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


# What a message without words brought, as the person would name it ("I can't use a
# audio" was the kind's own name).
KIND_WORDS = {
    "audio": "voice messages or audio",
    "video": "GIFs or videos",
    "sticker": "stickers",
    "file": "files like that",
}


def unusable(kind: str) -> BadInput:
    """The answer to a message that is only something Muse can't read."""
    what = KIND_WORDS.get(kind, "that")
    return BadInput(
        f"I can't use {what} yet — I work with text and photos. "
        "Describe it in a few words and I'll help."
    )
