"""Messages in: replies carry the id of what they reply to; with the Message Content
intent on, unaddressed chatter reaches the core marked `addressed=False` (and Muse neither
answers nor keeps it); with it off, Muse asks Discord for nothing it doesn't use."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.discord import DiscordAdapter
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import Reply, SessionKey
from tests.discord.fake_discord import MESSAGE_CONTENT, FakeDiscord
from tests.discord.scripted import script_core


@pytest.fixture
async def reading(core: Core, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    """The adapter with MUSE_DISCORD__MESSAGE_CONTENT=true."""
    core.settings.discord.message_content = True
    bot = DiscordAdapter(core, edit_interval=0.05)
    await bot.start()
    yield bot
    await bot.stop()
    assert not fake.unhandled, fake.unhandled


def answers(fake: FakeDiscord, channel: str | None = None) -> list[dict]:
    return [m for m in fake.bot_messages(channel) if "✍️" not in m["content"]]


async def test_a_reply_carries_what_it_replies_to(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = script_core(core, monkeypatch, lambda msg: [Reply("ok")])
    (mid,) = await adapter.post(SessionKey("discord", fake.channel_id), Reply("#7 Desk tour"))
    reply = await fake.send_message(
        "a desk tour at night", mention=False, reference=fake.messages[mid]
    )
    await fake.wait_for(lambda: seen)
    (incoming,) = seen
    assert incoming.reply_to_id == mid and incoming.addressed
    assert incoming.message_id == reply["id"]
    assert incoming.text == "a desk tour at night"


async def test_without_message_content_chatter_never_reaches_muse(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not fake.identified[-1]["intents"] & MESSAGE_CONTENT  # not even asked for
    seen = script_core(core, monkeypatch, lambda msg: [Reply("ok")])
    (mid,) = await adapter.post(SessionKey("discord", fake.channel_id), Reply("#7 Desk tour"))
    await fake.send_message("just chatting", mention=False)
    # A reply that doesn't ping Muse arrives without its text: not for Muse either.
    await fake.send_message("me too", mention=False, reference=fake.messages[mid], ping=False)
    await fake.send_message("hey Muse")  # the one that is addressed, last
    await fake.wait_for(lambda: seen)
    assert [m.text for m in seen] == ["hey Muse"]


async def test_with_message_content_chatter_is_marked_and_ignored(
    reading: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    assert fake.identified[-1]["intents"] & MESSAGE_CONTENT
    thread = await fake.add_thread(fake.channel_id, "launch chat")
    await fake.send_message("our secret codename is Bluebird", mention=False)
    await fake.send_message("the Bluebird budget is tight", mention=False, channel=thread)
    typing_before = [c for c in fake.calls if c.path.endswith("/typing")]
    await fake.send_message("what is the codename?")  # addressed, after the chatter
    await fake.wait_for(lambda: answers(fake))
    assert "Bluebird" not in model.last_prompt()  # chatter was neither stored nor used
    assert not typing_before and not fake.threads[1:]  # no typing, no thread for chatter
    assert len(answers(fake)) == 1 and not fake.bot_messages(thread)


async def test_with_message_content_a_reply_to_muse_addresses_it(
    reading: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = script_core(core, monkeypatch, lambda msg: [Reply("ok")] if msg.addressed else [])
    thread = await fake.add_thread(fake.channel_id, "💡 Studio tour")
    key = SessionKey("discord", fake.channel_id, thread)
    (mid,) = await reading.post(key, Reply("#7 Desk tour"))
    await fake.send_message("a plain idea", mention=False, channel=thread)
    await fake.send_message(
        "riff: at night", mention=False, channel=thread, reference=fake.messages[mid], ping=False
    )
    await fake.wait_for(lambda: len(seen) == 2)
    plain, reply = seen
    assert plain.session == key and not plain.addressed and plain.text == "a plain idea"
    assert reply.addressed and reply.reply_to_id == mid and reply.text == "riff: at night"
    await fake.wait_for(lambda: answers(fake, thread)[1:])
    assert [m["content"] for m in answers(fake, thread)] == ["#7 Desk tour", "ok"]
