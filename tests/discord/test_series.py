"""Series on Discord: /series as real slash subcommands (the tree built from the registry's
`Sub`s), and /posted as a reply to Muse's own draft message."""

from __future__ import annotations

import re
from typing import Any

from adapters.discord import DiscordAdapter
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_payloads import FakeInteraction


def done(i: FakeInteraction) -> str:
    """The interaction's answer once it's final (not the deferred "thinking" state)."""
    text = i.text()
    return text if text and "thinking" not in text.lower() else ""


async def series(fake: FakeDiscord, sub: str, options: dict[str, str] | None = None) -> str:
    """/series <sub> with its options in #general; the final answer."""
    i = await fake.send_slash("series", options or {}, sub=sub)
    return await fake.wait_for(lambda: done(i))


def finished(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if "✍️" not in m["content"]]


async def test_series_subcommands_arrive_with_their_options(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, model: ScriptedChatModel
) -> None:
    started = await series(
        fake,
        "new",
        {"name": "Lisbon Mornings", "premise": "a weekly dawn tram ride", "tone": "calm"},
    )
    assert "“Lisbon Mornings” started" in started
    await series(fake, "new", {"name": "Bakery Diaries", "premise": "one loaf a week"})
    listing = await series(fake, "list")
    assert "▶ Bakery Diaries" in listing and "· Lisbon Mornings" in listing
    assert "active series again" in await series(fake, "use", {"name": "lisbon mornings"})
    assert "“Lisbon Mornings” ended after 0 posts" in await series(fake, "end")
    # The premise and tone given as options are the series' own: a caption sees them.
    await series(fake, "use", {"name": "Lisbon Mornings"})
    i = await fake.send_slash("caption", {"description": "tram 28 at dawn"})
    await fake.wait_for(lambda: done(i))
    system = str(model.calls[-1][0].content)
    assert "Ongoing series “Lisbon Mornings”: a weekly dawn tram ride. Tone: calm." in system


async def test_posted_as_a_reply_to_muses_draft(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core
) -> None:
    await series(fake, "new", {"name": "Lisbon Mornings", "premise": "a weekly dawn tram ride"})

    # A reply to Muse's message with three captions: Muse asks which one.
    await fake.send_message("/caption tram 28 at 6am, empty seats and gold light")
    (captions,) = await fake.wait_for(lambda: finished(fake.bot_messages()))
    ids = re.findall(r"^#(\d+) ", captions["content"], re.M)
    assert len(ids) == 3, captions["content"]
    await fake.send_message("/posted", reference=captions)
    which = await fake.wait_for(
        lambda: [m for m in fake.bot_messages() if "Which one did you publish?" in m["content"]]
    )
    assert all(f"/posted #{i}" in which[0]["content"] for i in ids)

    # A reply to one remix records that draft in the series.
    await fake.send_message(f"/remix #{ids[0]} for x")
    remix = await fake.wait_for(
        lambda: [m for m in finished(fake.bot_messages()) if "Remix from" in m["content"]]
    )
    (remix_id,) = re.findall(r"^#(\d+) ", remix[0]["content"], re.M)
    await fake.send_message("/posted", reference=remix[0])
    recorded = await fake.wait_for(
        lambda: [m for m in fake.bot_messages() if "as published in" in m["content"]]
    )
    assert f"#{remix_id}" in recorded[0]["content"]
    assert "“Lisbon Mornings”" in recorded[0]["content"]
    draft = await core.memory.draft(int(remix_id))
    assert draft is not None and draft.status == "posted"
