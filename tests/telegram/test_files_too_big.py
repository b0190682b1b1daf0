"""Images over the Bot API's 20 MB download limit: Telegram's getFile refuses them, so
Muse says so in one line instead of failing or answering as if there were no image."""

from __future__ import annotations

from tests.telegram.conftest import Harness, final

ALICE = 111
BIG = b"\x89PNG" + b"0" * (20 * 1024 * 1024)  # just over 20 MB
TOO_BIG = "That image is over Telegram's 20 MB limit for bots — send a smaller one."


async def test_a_big_image_with_caption_says_it_is_too_big_and_spends_nothing(
    tg: Harness,
) -> None:
    fake = tg.fake
    tg.core.settings.llm.vision = True
    await fake.push_message("/caption a rainy tram", document=fake.document(BIG))
    said = await final(fake, ALICE, "20 MB")
    assert said.text == TOO_BIG and fake.texts(ALICE) == [TOO_BIG]
    # Known from the message itself: Telegram's getFile (which refuses it) isn't asked.
    assert not [c for c in fake.calls if c.method == "getFile"]
    assert not tg.model.calls  # no caption written without the picture

    # An image that fits still works afterwards.
    await fake.push_message("/caption a rainy tram", document=fake.document(b"\x89PNG small"))
    await final(fake, ALICE, "captions")
    assert tg.model.calls


async def test_a_big_image_alone_is_not_called_a_file(tg: Harness) -> None:
    fake = tg.fake
    await fake.push_message("", document=fake.document(BIG))
    assert (await final(fake, ALICE, "20 MB")).text == TOO_BIG
    assert fake.texts(ALICE) == [TOO_BIG]


async def test_caption_as_a_reply_to_a_big_image_says_it_is_too_big(tg: Harness) -> None:
    fake = tg.fake
    tg.core.settings.llm.vision = True
    group = fake.group(-100500)
    shot = await fake.push_message("", chat=group, document=fake.document(BIG))
    await fake.push_message(
        "/caption our stall at the fair", chat=group, reply_to=shot["message_id"]
    )
    said = await final(fake, -100500, "20 MB")
    assert said.text == TOO_BIG and not tg.model.calls


async def test_a_big_image_of_unstated_size_is_refused_by_telegram_and_said(
    tg: Harness,
) -> None:
    fake = tg.fake
    tg.core.settings.llm.vision = True
    await fake.push_message("/caption a rainy tram", document=fake.document(BIG, sized=False))
    said = await final(fake, ALICE, "20 MB")
    assert said.text == TOO_BIG and fake.texts(ALICE) == [TOO_BIG]
    assert [c.status for c in fake.calls if c.method == "getFile"] == [400]
    assert not tg.model.calls
