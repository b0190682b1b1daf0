""" "A photo, then /caption": the photo is remembered for a while, not for ever, and not
for every conversation at once."""

from __future__ import annotations

from bot.core import Core
from bot.last_image import LAST_IMAGE_BYTES, LAST_IMAGE_TTL_S
from bot.messages import Attachment
from tests.fakes.clock import FakeClock
from tests.helpers import ask

REMEMBERED = "This model can't see photos"  # the photo was found (no vision here)
FORGOTTEN = "Tell me what the post shows"  # no photo and no words


def photo(n: int = 0) -> Attachment:
    return Attachment("image", data=b"\xff\xd8" + bytes([n % 256]) * 1024, mime="image/jpeg")


async def test_a_photo_is_remembered_for_the_next_caption(core: Core) -> None:
    await ask(core, "/help", attachments=(photo(),))
    assert (await ask(core, "/caption")).text.startswith(REMEMBERED)


async def test_in_a_group_one_member_s_photo_is_not_another_s_caption(core: Core) -> None:
    await ask(core, "/help", attachments=(photo(),), chat="team", group=True, user="alice")
    bob = await ask(core, "/caption", chat="team", group=True, user="bob")
    assert bob.text.startswith(FORGOTTEN)
    alice = await ask(core, "/caption", chat="team", group=True, user="alice")
    assert alice.text.startswith(REMEMBERED)


async def test_a_photo_is_forgotten_after_a_while(core: Core) -> None:
    clock = core.clock = FakeClock()
    await ask(core, "/help", attachments=(photo(),))
    clock.advance(seconds=LAST_IMAGE_TTL_S + 1)
    assert (await ask(core, "/caption")).text.startswith(FORGOTTEN)


async def test_photos_of_many_conversations_stay_within_a_bound(core: Core) -> None:
    await ask(core, "/help", attachments=(photo(),), chat="first")
    for n in range(300):
        await ask(core, "/help", attachments=(photo(n),), chat=f"chat-{n}", user=f"u{n}")
        assert core.last_image.currsize <= LAST_IMAGE_BYTES
    assert len(core.last_image) < 300
    # The oldest went first; the newest is still there.
    assert (await ask(core, "/caption", chat="first")).text.startswith(FORGOTTEN)
    assert (await ask(core, "/caption", chat="chat-299", user="u299")).text.startswith(REMEMBERED)


async def test_forget_forgets_the_photo_too(core: Core) -> None:
    """/forget answered "I no longer know you", yet a "/caption …" sent right after still
    went to the model with the photo sent before it (from any chat of the person's)."""
    await ask(core, "/help", attachments=(photo(),))
    await ask(core, "/help", attachments=(photo(1),), chat="team", group=True)
    await ask(core, "/help", attachments=(photo(2),), chat="team", group=True, user="bob")
    assert "I no longer know you" in (await ask(core, "/forget confirm")).text
    assert (await ask(core, "/caption")).text.startswith(FORGOTTEN)
    assert (await ask(core, "/caption", chat="team", group=True)).text.startswith(FORGOTTEN)
    # Another member's photo is theirs to keep.
    bob = await ask(core, "/caption", chat="team", group=True, user="bob")
    assert bob.text.startswith(REMEMBERED)
