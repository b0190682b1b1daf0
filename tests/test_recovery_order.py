"""After a restart, the answers recovered in one chat arrive in the order it was asked,
however long the platform takes with each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.core import Core
from bot.messages import Incoming, Reply, SessionKey
from tests.test_recovery import RecordingOutbox, cut_off, telegram


@dataclass
class SlowToDeliver(RecordingOutbox):
    """A platform that takes its time with the first answer: meanwhile the person sends
    `meanwhile` in the same chat, and it is answered (by `core`)."""

    core: Any = None
    meanwhile: Incoming | None = None
    answered: list[Reply] = field(default_factory=list)

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        if self.meanwhile is not None:
            asked, self.meanwhile = self.meanwhile, None
            self.answered = await self.core.respond(asked)
        return await super().post(key, reply, reply_to=reply_to)


async def test_answers_recovered_in_one_chat_arrive_in_the_order_it_was_asked(
    settings: Settings,
) -> None:
    """A question and a /caption sent after it were cut off by a restart. The next start
    answered both in turn but delivered each as soon as it was ready: while the platform
    took its time with the first answer, the second arrived before it."""
    asked = telegram("SLOW what should I film?"), telegram("/caption a tram", mid="502")
    await cut_off(settings, *asked)
    core = await Core.create(settings)
    box = SlowToDeliver(core=core, meanwhile=telegram("thanks!", mid="503"))
    core.attach("telegram", box)
    await core.start()
    await core.close()
    assert [p.reply_to for p in box.posts] == ["501", "502"]
    assert "captions for" in box.posts[1].reply.text
    assert box.answered and "Noted: thanks!" in box.answered[-1].text
