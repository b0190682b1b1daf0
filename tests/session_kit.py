"""Members of a pretend group talking to the core the way a platform adapter would."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import Action, Incoming, Reply, SessionKey
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import Posted, RecordingOutbox

IDEA_RE = re.compile(r"^#(\d+) ")
# What the scripted model answers for a session's seed ideas and for its summary.
SEEDS = (
    "1. Hook: Pixel Picnic Live | Angle: cozy | Format: live\n"
    "2. Hook: Cozy Code Corner | Angle: warm | Format: live\n"
    "3. Hook: Friday Night Devlog | Angle: honest | Format: video"
)
SUMMARY = (
    "Themes: cozy evenings and retro radio\n"
    "Decision: go with Cozy Code Radio, with a jingle\n"
    "Open questions: does it work for the video titles too?"
)
_message_ids = itertools.count(1)


@dataclass
class Group:
    core: Core
    outbox: RecordingOutbox
    chat: str = "g1"
    names: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> SessionKey:
        return SessionKey(self.outbox.platform, self.chat)

    def where(self, thread: str | SessionKey | None) -> SessionKey:
        if isinstance(thread, SessionKey):
            return thread
        return SessionKey(self.outbox.platform, self.chat, thread)

    def incoming(
        self,
        who: str,
        text: str = "",
        *,
        thread: str | SessionKey | None = None,
        reply_to: str | None = None,
        addressed: bool = True,
        action: Action | None = None,
    ) -> Incoming:
        return Incoming(
            self.where(thread),
            who,
            text=text,
            user_name=self.names.get(who, who.title()),
            is_group=True,
            message_id=f"u{next(_message_ids)}",
            reply_to_id=reply_to,
            addressed=addressed,
            action=action,
        )

    async def say(self, who: str, text: str, **kw: object) -> list[Reply]:
        """Everything the core answered (empty replies included: 'done, posted myself')."""
        return await self.core.respond(self.incoming(who, text, **kw))  # type: ignore[arg-type]

    async def line(self, who: str, text: str, **kw: object) -> str:
        """The text of the one visible answer (errors included)."""
        shown = [r.text for r in await self.say(who, text, **kw) if not r.is_empty]
        assert len(shown) == 1, shown
        return shown[0]

    async def press(self, who: str, action: Action, **kw: object) -> Reply:
        replies = await self.core.respond(self.incoming(who, action=action, **kw))  # type: ignore[arg-type]
        assert replies, f"no answer to {action}"
        return replies[-1]


def idea_posts(outbox: RecordingOutbox, key: SessionKey) -> list[Posted]:
    return [p for p in outbox.in_place(key) if IDEA_RE.match(p.text)]


def idea_id(posted: Posted) -> int:
    match = IDEA_RE.match(posted.text)
    assert match, posted.text
    return int(match.group(1))


def demo_group(core: Core) -> Group:
    """A group on the "demo" platform (a recording outbox), on a hand-driven clock."""
    core.clock = FakeClock()
    outbox = RecordingOutbox()
    core.attach("demo", outbox)
    return Group(core, outbox)


def model_of(core: Core) -> ScriptedChatModel:
    """The scripted model behind a core started in the test (not the `model` fixture's)."""
    assert isinstance(core.llm.model, ScriptedChatModel)
    return core.llm.model
