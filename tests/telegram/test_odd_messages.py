"""Messages of the less common kinds, as Telegram really sends them: albums (one message
per photo, one caption), voice, polls, and more."""

from __future__ import annotations

from bot.config import Settings
from bot.core import Core
from tests.fakes.clock import FakeClock
from tests.telegram.conftest import Harness, final
from tests.telegram.fake_bot_api import FakeBotAPI
from tests.telegram.test_sessions import running

ALICE = 111


async def test_an_album_is_answered_once(tg: Harness) -> None:
    """Telegram sends an album as one message per photo, sharing a media_group_id, with
    the caption on one of them: three photos with "/caption …" got the captions and then
    "This model can't see photos" twice (with a vision model: three sets of captions)."""
    fake = tg.fake
    album = {"media_group_id": "13579"}
    await fake.push_message("/caption our trip to Porto", photo=b"jpeg 1", extra=album)
    await fake.push_message(photo=b"jpeg 2", extra=album)
    await fake.push_message(photo=b"jpeg 3", extra=album)
    await final(fake, ALICE, "3 captions")
    # An album without a caption: one line asking for words, not one per photo.
    bare = {"media_group_id": "24680"}
    await fake.push_message(photo=b"jpeg 4", extra=bare)
    await fake.push_message(photo=b"jpeg 5", extra=bare)
    await fake.push_message("/help")  # answered after everything sent before it
    await final(fake, ALICE, "Here is what I can do")
    assert [t.split("\n")[0] for t in fake.texts(ALICE)] == [
        "(This model can't see images, so I used only your text.)",
        "This model can't see photos — add a few words about it, e.g. /caption sunset over "
        "the harbour",
        "Here is what I can do — I draft, you decide and post:",
    ]


async def test_an_answer_telegram_refused_is_not_claimed_interrupted_later(
    fake: FakeBotAPI, settings: Settings
) -> None:
    """The answer's send failed (a 502 from Telegram), so Alice got "Something went
    wrong… try again". Its inbox row was left to the garbage collector, and a restart
    before it ran added "Sorry — I was restarted while answering your /caption"."""
    clock = FakeClock()
    core = await Core.create(settings)
    adapter = await running(core, fake, clock)
    fake.fail_next("sendMessage")
    await fake.push_message("/caption a rainy tram")
    await final(fake, ALICE, "Something went wrong on my side")
    await adapter.stop()
    await core.close()

    core = await Core.create(settings)
    adapter = await running(core, fake, clock)
    try:
        await fake.push_message("/help")
        await final(fake, ALICE, "Here is what I can do")
        assert [t.split(" —")[0] for t in fake.texts(ALICE)] == [
            "Something went wrong on my side",
            "Here is what I can do",
        ]
    finally:
        await adapter.stop()
        await core.close()
