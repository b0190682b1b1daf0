"""Photos on Telegram, end to end: whose photo a caption is written for, and what is
fetched for which command."""

from __future__ import annotations

import base64

from tests.telegram.conftest import Harness, final

ALICE = 111
GROUP = -100500


def shown(model_call: object, photo: bytes) -> bool:
    """Did this request to the model carry these image bytes?"""
    return base64.b64encode(photo).decode() in str(model_call)


async def test_another_member_s_photo_replied_to_with_remix_is_not_alice_s_caption(
    tg: Harness,
) -> None:
    """Alice remixed Bob's photo post ("/remix for x" as a reply to it): Muse fetched
    Bob's photo and kept it as Alice's last photo, so her next "/caption …" (about
    something else) went to the model with Bob's picture. Only /caption takes the photo
    it replies to; other commands use the replied message's words."""
    fake = tg.fake
    tg.core.settings.llm.vision = True
    group = fake.group(GROUP)
    bob = fake.user(222, "bob", "Bob")
    bobs = b"\xff\xd8 bob's stall photo"
    post = await fake.push_message("Our stall at the fair!", chat=group, user=bob, photo=bobs)
    await fake.push_message("/remix for x", chat=group, reply_to=post["message_id"])
    await final(fake, GROUP, "Remix")
    assert not fake.of("getFile")  # nothing to fetch for a remix
    await fake.push_message("/caption a sunny morning in our garden", chat=group)
    await final(fake, GROUP, "3 captions")
    assert not shown(tg.model.calls[-1], bobs)

    # "/caption" as a reply to the photo is asking for that photo: it is used.
    await fake.push_message("/caption for x", chat=group, reply_to=post["message_id"])
    await final(fake, GROUP, "captions for X")
    assert shown(tg.model.calls[-1], bobs)


async def test_remix_as_a_reply_to_a_big_image_post_remixes_its_words(tg: Harness) -> None:
    """ "/remix for x" as a reply to a post whose image is over Telegram's 20 MB limit
    answered "That image is over Telegram's 20 MB limit" instead of the remix."""
    fake = tg.fake
    big = fake.document(b"\x89PNG" + b"0" * (20 * 1024 * 1024))
    post = await fake.push_message("Our new poster is out", document=big)
    await final(fake, ALICE, "20 MB")  # sent to be captioned, it is too big: said so
    await fake.push_message("/remix for x", reply_to=post["message_id"])
    said = await final(fake, ALICE, "Remix")
    assert "Our new poster is out" in said.text
    assert [t for t in fake.texts(ALICE) if "20 MB" in t] == [fake.texts(ALICE)[0]]


async def test_a_photo_telegram_fails_to_hand_over_is_said_in_one_line(tg: Harness) -> None:
    """Telegram's file server failing on a photo gave "Something went wrong on my side",
    as if Muse had broken; it is now named for what it is, and nothing else is answered."""
    fake = tg.fake
    tg.core.settings.llm.vision = True
    fake.broken_files = True
    await fake.push_message("/caption sunset over the harbour", photo=b"\xff\xd8 dusk")
    said = await final(fake, ALICE, "couldn't fetch")
    assert fake.texts(ALICE) == [said.text] and not tg.model.calls
    assert "send it again" in said.text

    fake.broken_files = False  # sent again, a moment later: captioned
    await fake.push_message("/caption sunset over the harbour", photo=b"\xff\xd8 dusk")
    await final(fake, ALICE, "3 captions")
    assert shown(tg.model.calls[-1], b"\xff\xd8 dusk")


async def test_a_gif_is_called_a_gif_not_a_file(tg: Harness) -> None:
    """Telegram sends a GIF as an animation *and* a document (for old clients): Muse
    read the document and said "I can't use files like that yet" to someone who sent a
    GIF; a video sent as a file too."""
    fake = tg.fake
    gif = {"file_id": "g1", "file_unique_id": "g1u", "file_name": "party.mp4"}
    gif |= {"mime_type": "video/mp4", "width": 320, "height": 240, "duration": 2}
    await fake.push_message(extra={"animation": gif, "document": gif})
    await final(fake, ALICE, "I can't use GIFs or videos yet")
    clip = fake.document(b"\x00\x00\x00\x18ftypmp42", mime="video/mp4", name="clip.mp4")
    await fake.push_message(document=clip)
    await fake.wait_for(lambda: len(fake.texts(ALICE)) == 2)
    assert fake.texts(ALICE)[1].startswith("I can't use GIFs or videos yet")
