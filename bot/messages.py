"""Neutral message types shared by the core and every adapter.

Adapters turn platform events into `Incoming` and render `Progress`/`Reply`
back; nothing here knows about Telegram, Discord or the console.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

AttachmentKind = Literal["image", "audio", "video", "sticker", "file"]


@dataclass(frozen=True)
class SessionKey:
    """One conversation: a private chat, a group chat, a forum topic, a channel thread."""

    platform: str
    chat_id: str
    thread_id: str | None = None

    def __str__(self) -> str:
        base = f"{self.platform}:{self.chat_id}"
        return f"{base}:{self.thread_id}" if self.thread_id else base


@dataclass(frozen=True)
class Attachment:
    kind: AttachmentKind
    data: bytes | None = field(default=None, repr=False)
    mime: str | None = None
    name: str | None = None
    url: str | None = None


# Short codes keep callback data far below Telegram's 64-byte limit.
_ACTION_CODES = {
    "remix": "rx",
    "shorter": "sh",
    "more": "mo",
    "pick": "pk",
    "platform": "pf",
    "caption": "cp",
    "forget": "fg",
    # Group brainstorm sessions: the id is an idea's (vote, riff) or a session's (idea).
    "vote": "vt",
    "riff": "rf",
    "idea": "ai",
    # An answer cut at the model's length limit: the id is its conversation turn.
    "continue": "ct",
}
_VERBS = {code: verb for verb, code in _ACTION_CODES.items()}
# ASCII digits only ("²".isdigit() is true, int("²") fails), and no more than SQLite's
# integers hold: whatever a forged button carries, decoding it never raises.
ACTION_PATTERN = r"m:(" + "|".join(_VERBS) + r"):([0-9]{1,18}):(.*)"
_ACTION_RE = re.compile(ACTION_PATTERN, re.S)


@dataclass(frozen=True)
class Action:
    """A button press, decoded. `draft_id` refers to a stored draft (or idea, or session:
    see the codes above), never to text; the core checks it against the presser's rights."""

    verb: Literal[
        "remix",
        "shorter",
        "more",
        "pick",
        "platform",
        "caption",
        "forget",
        "vote",
        "riff",
        "idea",
        "continue",
    ]
    draft_id: int = 0
    arg: str = ""

    def encode(self) -> str:
        data = f"m:{_ACTION_CODES[self.verb]}:{self.draft_id}:{self.arg}"
        assert len(data.encode()) <= 64, data
        return data

    @classmethod
    def decode(cls, data: str) -> Action | None:
        """The Action a button carries, or None for anything else (never raises)."""
        match = _ACTION_RE.fullmatch(data) if isinstance(data, str) else None
        if match is None:
            return None
        verb = _VERBS[match.group(1)]
        return cls(verb=verb, draft_id=int(match.group(2)), arg=match.group(3))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Button:
    label: str
    action: Action


@dataclass(frozen=True)
class Incoming:
    """A user's message, command or button press, in platform-neutral form."""

    session: SessionKey
    user_id: str
    text: str = ""
    user_name: str = ""
    # The platform's @username (without @), for allow-lists that name people.
    user_handle: str = ""
    is_group: bool = False
    message_id: str | None = None
    # Text and id of the message this one replies to (e.g. "/remix" as a reply).
    reply_to_text: str | None = None
    reply_to_id: str | None = None
    # The replied message is Muse's own: only then do "#12"s in it name Muse's drafts
    # (someone's "the #1 brunch spot" is just their words).
    reply_to_muse: bool = False
    # False for group chatter the platform delivered although Muse was not addressed:
    # the core uses it only where collecting is the point (a brainstorm session's own
    # thread) and otherwise ignores it — no answer, nothing stored.
    addressed: bool = True
    attachments: tuple[Attachment, ...] = ()
    # Set for button presses instead of text.
    action: Action | None = None
    # Structured options from platforms that have them (Discord slash options).
    options: tuple[tuple[str, str], ...] = ()
    # The platform's own event, for the rare adapter-side need; never used by the core.
    raw: Any = field(default=None, compare=False, repr=False)

    def option(self, name: str) -> str | None:
        return dict(self.options).get(name)

    @property
    def asker(self) -> str:
        """This person in this conversation (a group's members apart)."""
        return f"{self.session}|{self.user_id}"


@dataclass(frozen=True)
class Draft:
    """A generated candidate as shown to the user."""

    id: int
    text: str
    platform: str
    limit: int
    parent_id: int | None = None
    label: str = ""  # e.g. the tone


@dataclass(frozen=True)
class Reply:
    """What the core answers. `text` is plain text; adapters format it for their platform.

    An empty Reply (no text, buttons or attachments) means "done, nothing more to show"
    — e.g. the answer went out through the outbox: adapters only close what they opened
    (a deferred Discord interaction, a placeholder)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    drafts: tuple[Draft, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    # Private to the asking user where the platform allows it (Discord ephemeral).
    private: bool = False
    is_error: bool = False
    # A short acknowledgement of a button press (a vote counted): Telegram shows it as
    # the button's pop-up, Discord as a line only the presser sees.
    toast: bool = False
    # The one-line notices about the answer (e.g. "(I don't know Facebook's rules…)"),
    # also at the top of `text`: for where only the drafts are shown (Telegram inline).
    notices: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.text.strip() or self.buttons or self.attachments)


@dataclass(frozen=True)
class Progress:
    """Text streamed so far (cumulative), shown before the final Reply; or, with
    `notice`, a word about the answer (e.g. its place in line) rather than its text."""

    text: str
    notice: bool = False


Outgoing = Progress | Reply
