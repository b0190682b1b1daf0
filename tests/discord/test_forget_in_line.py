"""/forget covers a request still waiting in the Discord adapter's own line for its
conversation (kept before the core, so one person's answers never interleave): it
finishes first and is deleted with the rest, never stored afterwards under a person
Muse no longer knows."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from bot.core import Core
from bot.messages import Incoming
from bot.recovery import InboxEntry
from tests.discord.fake_discord import FakeDiscord
from tests.discord.test_arrival_order import finished
from tests.discord.test_interactions import buttons
from tests.helpers import slow_answers


async def test_forget_waits_for_a_slash_command_queued_in_the_adapters_line(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """alice's /caption is being written in the server's channel and her /brainstorm
    waits in the adapter's line behind it when she confirms /forget in a DM. The
    brainstorm ran after the delete, under a brand-new alice."""
    writing, go_on, queued = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        writing.set()
        await go_on.wait()

    slow_answers(core.llm, monkeypatch, before=slow)
    receive = core.receive

    def spy(msg: Incoming) -> InboxEntry | None:
        entry = receive(msg)
        if msg.text.startswith("/brainstorm"):
            queued.set()  # the adapter takes its place in line right after, no await
        return entry

    monkeypatch.setattr(core, "receive", spy)
    settle = core.at_work.settle

    async def settling(*args: Any, **kwargs: Any) -> None:
        go_on.set()  # /forget is waiting now: the caption can finish
        await settle(*args, **kwargs)

    monkeypatch.setattr(core.at_work, "settle", settling)
    caption = await fake.send_slash("caption", {"description": "our launch party"})
    await writing.wait()
    brainstorm = await fake.send_slash("brainstorm", {"topic": "launch party games"})
    await queued.wait()
    forget = await fake.send_slash("forget", dm=True)
    await fake.wait_for(lambda: finished(forget, "Sure?"))
    assert forget.original is not None
    (confirm,) = buttons(forget.original)
    await fake.press_button(confirm["custom_id"], forget.original)
    await fake.wait_for(lambda: "I no longer know you" in forget.text())
    assert finished(caption, "captions for") and brainstorm.text()
    assert "I deleted 8 drafts" in forget.text(), forget.text()  # 3 captions, 5 ideas
    alice = fake.user(name="alice")["id"]
    assert await core.memory.find_user("discord", alice) is None  # not back
