"""Photos on Discord: an image attached to a message that mentions Muse (or to a DM) is
what "/caption … Send a photo with it" (README) captions, as on Telegram."""

from __future__ import annotations

import base64
from typing import Any

from adapters.discord import DiscordAdapter
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.discord.fake_discord import FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n a harbour at dusk"


def finished(fake: FakeDiscord, needle: str) -> Any:
    return lambda: [m for m in fake.bot_messages() if needle in m["content"]]


def carried(model: ScriptedChatModel, data: bytes) -> bool:
    return base64.b64encode(data).decode() in str(model.calls[-1])


async def test_an_image_attached_to_caption_goes_to_a_vision_model(
    adapter: DiscordAdapter, core: Core, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    """ "@Muse /caption for x" with a photo attached answered "Tell me what the post
    shows", and "@Muse /caption sunset for x" captioned the words only, saying nothing
    of the photo: Discord attachments never reached Muse."""
    core.settings.llm.vision = True
    await fake.send_message("/caption for x", files=[fake.attachment(PNG)])
    await fake.wait_for(finished(fake, "3 captions for X"))
    assert carried(model, PNG)
    assert "data:image/png;base64," in str(model.calls[-1])

    # A photo alone in a DM is captioned too.
    dm = b"\xff\xd8 a tram in the rain"
    await fake.send_message("", dm=True, files=[fake.attachment(dm, "tram.jpg", "image/jpeg")])
    await fake.wait_for(
        lambda: [
            m
            for m in fake.messages.values()
            if "3 captions" in m["content"] and m["channel_id"] == fake.dm_channel(fake.user())
        ]
    )
    assert carried(model, dm)


async def test_without_vision_or_with_a_non_image_file_the_person_is_told(
    adapter: DiscordAdapter, core: Core, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    await fake.send_message("/caption sunset over the harbour", files=[fake.attachment(PNG)])
    answer = await fake.wait_for(finished(fake, "3 captions"))
    assert "can't see images, so I used only your text" in answer[0]["content"]
    assert "image_url" not in str(model.calls[-1])

    pdf = fake.attachment(b"%PDF-1.7", "brief.pdf", "application/pdf")
    await fake.send_message("", files=[pdf])
    await fake.wait_for(finished(fake, "I can't use files like that yet"))


async def test_an_image_that_can_t_be_fetched_is_said(
    adapter: DiscordAdapter, core: Core, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    core.settings.llm.vision = True
    gone = fake.attachment(PNG)
    del fake.cdn[gone["id"]]  # deleted before Muse could fetch it
    await fake.send_message("/caption for x", files=[gone])
    await fake.wait_for(finished(fake, "couldn't fetch"))
    assert not model.calls


async def test_caption_as_a_reply_takes_the_replied_photo_and_remix_does_not(
    adapter: DiscordAdapter, core: Core, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    core.settings.llm.vision = True
    bobs = b"\xff\xd8 bob's stall"
    shot = fake.attachment(bobs, "stall.jpg", "image/jpeg")
    post = fake.make_message(
        fake.channel_id,
        fake.user(name="bob"),
        {"content": "our stall"},
        extra={"attachments": [shot]},
    )
    await fake.send_message("/remix for x", reference=post)
    await fake.wait_for(finished(fake, "Remix for X"))
    await fake.send_message("/caption a quiet garden")
    await fake.wait_for(finished(fake, "3 captions"))
    assert not carried(model, bobs)  # the remix didn't make Bob's photo Alice's
    await fake.send_message("/caption for x", reference=post)
    await fake.wait_for(finished(fake, "3 captions for X"))
    assert carried(model, bobs)
