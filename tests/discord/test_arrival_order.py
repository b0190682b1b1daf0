"""One person's slash commands and button presses in a conversation are answered in the
order Discord sent them, however long each acknowledgement takes to come back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from bot.llm.fake import ScriptedChatModel
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_payloads import FakeInteraction


def finished(i: FakeInteraction, needle: str) -> bool:
    return needle in i.text() and "✍️" not in i.text()


async def test_a_slow_acknowledgement_does_not_let_the_next_command_go_first(
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    model: ScriptedChatModel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """alice sets her style, then at once asks for captions. Discord was slow to confirm
    the /style acknowledgement (a round trip can take any time): /caption's came back
    first, and /caption ran first, without the style she had just set."""
    route, release, held = fake._route, asyncio.Event(), []

    async def slow_style_ack(method: str, p: list[str], body: Any, files: Any) -> Any:
        if p[0] == "interactions" and fake.interactions[p[2]].payload["data"]["name"] == "style":
            held.append(p[1])
            await release.wait()
        return await route(method, p, body, files)

    monkeypatch.setattr(fake, "_route", slow_style_ack)
    style = await fake.send_slash("style", {"voice": "deadpan noir"})
    caption = await fake.send_slash("caption", {"description": "a rainy tram ride"})
    await fake.wait_for(lambda: caption.callbacks)  # acknowledged while /style's is not
    release.set()
    await fake.wait_for(lambda: finished(style, "Saved") and finished(caption, "captions for"))
    assert held == [style.id]
    assert "deadpan noir" in model.last_prompt()  # the captions have the style just set
