"""What a command handler gets: the message, who it is for, and the services."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.errors import LeftWithLinked, NotFound
from bot.memory.records import DraftRecord, Profile
from bot.ordering import identity
from bot.skills.apps import where

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import Core
    from bot.llm.engine import LLMEngine
    from bot.memory import Memory
    from bot.messages import Incoming
    from bot.novelty import Novelty

# Drafts as Muse shows them, each on a line that starts with its id and how Muse labels it:
# "#12 (warm) (42/280)", "#3 [reel] …", in /history "#12 caption · x: …". A draft's own
# lines ("#1 Go at dawn", "#2024 #lisbon") and session ideas ("#4 Retro Radio — bob") are
# not drafts shown. Elsewhere, e.g. "Remix from #12", any id counts (DRAFT_IDS_RE).
SHOWN_DRAFT_RE = re.compile(r"^#(\d{1,9})(?= [(\[]| (?:caption|remix|idea)\b)", re.M)
DRAFT_IDS_RE = re.compile(r"(?<![\w#])#(\d{1,9})\b")
# /next shows its one idea by the id ending its first line, "Next for “Vlog #2” · #45",
# maybe with a note "  (close to #12)": the series' name and the note name no draft shown.
NEXT_SHOWN_RE = re.compile(r"\ANext for “.*” · #(\d{1,9})(?=  \(|$)", re.M)


@dataclass
class Context:
    core: Core
    msg: Incoming
    person: int  # the human asking
    owner: int  # whose memory: the person in private, the group in a group
    args: str = ""
    profile: Profile = field(default_factory=Profile)
    # One-line notices to show above the answer (e.g. "your message was cut").
    notices: list[str] = field(default_factory=list)
    # Platforms named after the first in the request ("for linkedin and x"): offered
    # first for a remix, with the drafts' real ids.
    also_for: list[str] = field(default_factory=list)

    @property
    def memory(self) -> Memory:
        return self.core.memory

    @property
    def llm(self) -> LLMEngine:
        return self.core.llm

    @property
    def novelty(self) -> Novelty:
        return self.core.novelty

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def session(self) -> str:
        return str(self.msg.session)

    async def identities(self) -> list[str]:
        """The person's accounts on every linked app, as Core.at_work counts them."""
        found = await self.memory.identities(self.person)
        return [identity(i.platform, i.external_id) for i in found]

    def option(self, name: str) -> str | None:
        value = self.msg.option(name)
        return value.strip() if value and value.strip() else None

    async def own_draft(self, draft_id: int) -> DraftRecord:
        """A draft this conversation may use: its own — or, in a private chat, one the
        person wrote anywhere. Never the other way round: a group reaches only the
        group's drafts, so a draft made where some members can't look (another channel,
        someone's DMs) never surfaces in front of them, whoever asks."""
        draft = await self.memory.draft(draft_id)
        if draft is None:
            raise NotFound(f"I can't find draft #{draft_id} among yours.")
        here = draft.owner_id == self.owner
        authors_own = not self.msg.is_group and draft.author_id == self.person
        if not (here or authors_own):
            await self._left_with_linked(draft)
            raise NotFound(f"I can't find draft #{draft_id} among yours.")
        return draft

    async def _left_with_linked(self, draft: DraftRecord) -> None:
        """Made in this very private chat yet no longer this person's: this account was
        linked when it was made, and /unlink left the past with the linked accounts.
        Said so, with where it is, rather than "gone" or "can't find" (it is there)."""
        if self.msg.is_group or draft.session != self.session:
            return
        kept = await self.memory.identities(draft.owner_id)
        # Its owner has an account on this very app: someone else's who wrote in this
        # chat (the console, shared by whoever runs `muse chat`), not this account's past.
        if kept and all(i.platform != self.msg.session.platform for i in kept):
            raise LeftWithLinked(
                f"Draft #{draft.id} stayed with your account on {where(kept)} when this one "
                "was unlinked: use it there, or /link the two again to use it here."
            )

    async def replied_drafts(self) -> list[DraftRecord]:
        """The drafts (of this conversation's) that the replied-to message of Muse's
        shows: none (someone's own text), one, or several to ask about. Those shown at line starts
        count; other mentions ("Remix from #12") only when it shows none that way."""
        if not self.msg.reply_to_muse:
            return []
        replied = self.msg.reply_to_text or ""
        found = (
            SHOWN_DRAFT_RE.findall(replied)
            or NEXT_SHOWN_RE.findall(replied)
            or DRAFT_IDS_RE.findall(replied)
        )
        drafts: list[DraftRecord] = []
        left: LeftWithLinked | None = None
        for draft_id in dict.fromkeys(int(i) for i in found):
            try:
                drafts.append(await self.own_draft(draft_id))
            except LeftWithLinked as exc:
                left = left or exc
            except NotFound:
                continue
        shown = SHOWN_DRAFT_RE.findall(replied) or NEXT_SHOWN_RE.findall(replied)
        if shown and not drafts:
            # Drafts Muse showed, none of them this person's any more (/forget deleted
            # them, /unlink left them with the linked accounts): the message is still
            # Muse's drafts, never the person's own text to record or remix.
            raise left or NotFound(f"I can't find draft #{shown[0]} among yours.")
        return drafts

    async def save_drafts(
        self,
        kind: str,
        platform: str,
        request: str,
        items: list[tuple[str, str]],
        parent_id: int | None = None,
    ) -> list[DraftRecord]:
        """Store candidates (text, label) owned by this conversation, asked by this person."""
        return await self.memory.add_drafts(
            owner=self.owner,
            author=self.person,
            session=self.session,
            kind=kind,
            platform=platform,
            request=request,
            items=items,
            parent_id=parent_id,
        )

    async def remember(self, user_text: str, answer: str, *, cut: bool = False) -> int:
        """Store the exchange; the answer's turn id. `cut`: it stopped at the token cap."""
        return await self.memory.add_turns(
            self.owner,
            self.person,
            self.session,
            [("user", user_text), ("assistant", answer)],
            cut=cut,
        )
