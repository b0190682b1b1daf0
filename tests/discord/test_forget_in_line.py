"""/forget covers a request still waiting in the Discord adapter's own line for its
conversation (kept before the core, so one person's answers never interleave): it
finishes first and is deleted with the rest, never stored afterwards under a person
Muse no longer knows."""

from __future__ import annotations

import pytest

from adapters.discord import DiscordAdapter
from bot.core import Core
from tests.discord.fake_discord import FakeDiscord
from tests.discord.test_arrival_order import finished
from tests.discord.test_interactions import buttons
from tests.helpers import held_until_forget_waits


async def test_forget_waits_for_a_slash_command_queued_in_the_adapters_line(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """alice's /caption is being written in the server's channel and her /brainstorm
    waits in the adapter's line behind it when she confirms /forget in a DM. The
    brainstorm ran after the delete, under a brand-new alice."""
    held = held_until_forget_waits(core, monkeypatch, queued="/brainstorm")
    caption = await fake.send_slash("caption", {"description": "our launch party"})
    await held.writing.wait()
    brainstorm = await fake.send_slash("brainstorm", {"topic": "launch party games"})
    await held.queued.wait()
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
