"""Private chat: commands, free text, buttons, streaming, long answers, formatting."""

from __future__ import annotations

import re

import pytest

from adapters import telegram_delivery
from adapters.telegram import TelegramAdapter
from bot.config import Settings
from bot.core import Core
from tests.telegram.conftest import Harness, Held, fast_limiter, final, is_final, partial
from tests.telegram.fake_bot_api import FakeBotAPI

ALICE = 111


async def test_start_and_help_and_command_menu(tg: Harness) -> None:
    fake = tg.fake
    names = [c["command"] for c in fake.commands]
    assert names == [c.name for c in tg.core.registry.visible()]
    assert "start" not in names and "caption" in names
    await fake.push_message("/start")
    hello = await final(fake, ALICE, "Hi, I'm Muse")
    assert "/caption" in hello.text and hello.parse_mode == "HTML"
    await fake.push_message("/help")
    await fake.wait_for(lambda: len(fake.messages(ALICE)) == 2)
    assert fake.texts(ALICE)[1].startswith("Here is what I can do")


async def test_a_ready_answer_is_one_message(tg: Harness) -> None:
    """No typing action, no placeholder, no edit: one sendMessage, the answer."""
    fake = tg.fake
    tg.adapter.cfg.edit_interval_s = 0
    await fake.push_message("/caption a rainy tram in Lisbon for x")
    answer = await final(fake, ALICE, "3 captions for X")
    assert len(fake.sent_to(ALICE)) == 1 and not answer.edits
    assert not fake.of("sendChatAction") and not fake.of("editMessageText")
    assert not fake.of("deleteMessage")


async def test_a_slow_answer_streams_then_buttons_work(tg: Harness, held: Held) -> None:
    fake = tg.fake
    await fake.push_message("/caption a rainy tram in Lisbon for x")
    writing = await partial(fake, ALICE)
    assert writing.text.endswith("✍️") and not writing.buttons
    held.release.set()
    answer = await final(fake, ALICE, "3 captions for X")
    # The final answer took the partial message's place: one message, edited.
    assert answer.message_id == writing.message_id and answer.edits[-1] == answer.text
    assert len(fake.sent_to(ALICE)) == 1
    assert answer.text.count("\n#") == 3
    assert re.search(r"<b>#1 \(warm\) \(\d+/280\)</b>", answer.raw)
    labels = [label for row in answer.buttons for label, _ in row]
    assert "Remix #1" in labels and "Pick ✓" in labels
    assert all(len(data.encode()) <= 64 for row in answer.buttons for _, data in row)

    query = await fake.press_button(answer, "Pick ✓")
    picked = await final(fake, ALICE, "Picked #1 ✓")
    assert query in fake.callback_answers
    assert picked.message_id != answer.message_id

    query = await fake.press_button(answer, "LinkedIn")
    remix = await final(fake, ALICE, "Remix from #1 for LinkedIn")
    assert remix.buttons and query in fake.callback_answers


async def test_when_many_answers_are_under_way_they_show_typing_not_partial_text(
    tg: Harness, held: Held, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Previews cost the sends and CPU the answers need: past BUSY_ANSWERS at once, a
    slow answer shows "typing…" and arrives as one message."""
    monkeypatch.setattr(telegram_delivery, "BUSY_ANSWERS", 3)
    fake = tg.fake
    people = [501, 502, 503]
    for uid in people:
        await fake.push_message("/caption a rainy tram in Lisbon for x", user=fake.user(uid))

    def typing_in() -> set[int]:
        return {int(c.params["chat_id"]) for c in fake.of("sendChatAction")}

    await fake.wait_for(lambda: typing_in() >= set(people))
    assert not any(m for uid in people for m in fake.messages(uid))  # no partial text
    held.release.set()
    for uid in people:
        answer = await final(fake, uid, "3 captions for X")
        assert len(fake.sent_to(uid)) == 1 and not answer.edits


@pytest.fixture
def one_at_a_time(settings: Settings) -> None:
    settings.llm.concurrency = 1  # as with the embedded model: the others wait in line


async def test_when_busy_the_place_in_line_is_still_shown(
    one_at_a_time: None, tg: Harness, held: Held, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telegram_delivery, "BUSY_ANSWERS", 2)
    fake = tg.fake
    await fake.push_message("/caption a rainy tram in Lisbon for x", user=fake.user(601))
    await held.started.wait()  # 601's answer holds the one model slot
    for uid in (602, 603):
        await fake.push_message("/caption a dog on the beach for x", user=fake.user(uid))

    def told(uid: int) -> bool:
        return any("You're in line" in m.text for m in fake.messages(uid))

    await fake.wait_for(lambda: told(602) and told(603))
    held.release.set()
    for uid in (601, 602, 603):
        await final(fake, uid, "3 captions for X")


async def test_button_whose_draft_is_gone(tg: Harness) -> None:
    fake = tg.fake
    await fake.push_message("/help")
    help_msg = await final(fake, ALICE, "Here is what I can do")
    query = await fake.press_button(help_msg, data="m:rx:9999:")
    gone = await final(fake, ALICE, "That draft is gone")
    assert fake.callback_answers[query]["text"].startswith("That draft is gone")
    assert gone.text.startswith("That draft is gone")


@pytest.mark.parametrize("data", ["m:rx:²:", "m:zz:1:", "garbage", "m:rx:1"])
async def test_forged_button_data_gets_one_line(tg: Harness, data: str) -> None:
    fake = tg.fake
    await fake.push_message("/help")
    help_msg = await final(fake, ALICE, "Here is what I can do")
    query = await fake.press_button(help_msg, data=data)
    answer = await fake.wait_for(lambda: fake.callback_answers.get(query))
    assert answer["text"].startswith("That button no longer works")
    assert len(fake.messages(ALICE)) == 1


async def test_buttons_work_after_a_restart(fake: FakeBotAPI, settings: Settings) -> None:
    """Buttons carry only draft ids; drafts live in SQLite, so a new process serves them."""
    first = await Core.create(settings)
    adapter = TelegramAdapter(first, rate_limiter=fast_limiter())
    await adapter.start()
    await fake.push_message("/caption a rainy tram in Lisbon")
    answer = await final(fake, ALICE, "3 captions")
    await adapter.stop()
    await first.close()

    second = await Core.create(settings)  # same data dir, fresh process state
    adapter = TelegramAdapter(second, rate_limiter=fast_limiter())
    await adapter.start()
    try:
        await fake.press_button(answer, "Pick ✓")
        picked = await final(fake, ALICE, "Picked #1 ✓")
        draft = answer.text.split("#1 (warm)")[1].split("\n")[1]
        assert draft in picked.text
    finally:
        await adapter.stop()
        await second.close()


async def test_remix_as_a_reply_uses_the_replied_message(tg: Harness) -> None:
    fake = tg.fake
    friend = await fake.push_message("Our bakery opens at 7, fresh croissants every day")
    await final(fake, ALICE, "Noted:")
    await fake.push_message("/remix make it punchier for linkedin", reply_to=friend["message_id"])
    await final(fake, ALICE, "Remix for LinkedIn")
    assert "fresh croissants every day" in tg.model.last_prompt()
    assert "make it punchier" in tg.model.last_prompt()

    captions = await fake.push_message("/caption sunset over the harbour")
    assert captions
    muse = await final(fake, ALICE, "3 captions")
    # A reply to Muse's three captions: which one? (not all three, headers and all)
    await fake.push_message("/remix shorter for x", reply_to=muse.message_id)
    which = await final(fake, ALICE, "Which one should I remix?")
    ids = re.findall(r"/remix #(\d+)", which.text)
    assert len(ids) == 3 and all(re.search(rf"^#{i}\b", muse.text, re.M) for i in ids)
    await fake.push_message(f"/remix #{ids[1]} shorter for x")
    remixed = await final(fake, ALICE, f"Remix from #{ids[1]} for X")
    (shown,) = re.findall(r"^#(\d+)", remixed.text, re.M)
    # A reply to a message that shows one draft remixes that draft: its own words, and
    # the new draft comes from it.
    await fake.push_message("/remix for linkedin", reply_to=remixed.message_id)
    await final(fake, ALICE, f"Remix from #{shown} for LinkedIn")
    draft = remixed.text.split("\n")[3]  # the one draft's words, without its header
    assert f"<creator_input>{draft}</creator_input>" in tg.model.last_prompt()


async def test_long_answer_is_split_at_paragraphs_with_escaping(tg: Harness) -> None:
    fake = tg.fake
    tg.core.settings.llm.chat_max_tokens = 4000  # a budget this long answer fits in
    paragraph = " ".join(
        f"Sentence {i} compares a<b & c>d for the tram-28 crowd." for i in range(8)
    )
    text = "\n\n".join(f"{n}. {paragraph}" for n in range(24))  # ~11 KB
    assert len(text) > 10_000
    tg.model.enqueue(text)
    await fake.push_message("tell me everything")
    # The last of the three parts (each as long as Telegram's count of the visible text
    # allows, escaping aside) starts at paragraph 18.
    await fake.wait_for(lambda: any(t.startswith("18.") for t in fake.texts(ALICE)))
    parts = fake.texts(ALICE)
    assert len(parts) == 3
    assert all(len(p) <= 4096 for p in parts)
    # Nothing lost or cut inside a word; every cut is at a paragraph end.
    assert " ".join(" ".join(p.split()) for p in parts) == " ".join(text.split())
    assert all(p.strip() + "\n\n" in text for p in parts[:-1])
    assert "a&lt;b &amp; c&gt;d" in fake.messages(ALICE)[0].raw


async def test_html_rejected_falls_back_to_plain_text(tg: Harness) -> None:
    fake = tg.fake
    fake.parse_failures = 1
    await fake.push_message("/help")
    answer = await final(fake, ALICE, "Here is what I can do")
    assert answer.parse_mode is None
    assert any(c.status == 400 and c.method == "sendMessage" for c in fake.calls)
    tg.model.enqueue("Tip: 3 < 5 & <b>bold</b> is fine")
    await fake.push_message("any tips?")
    tip = await final(fake, ALICE, "Tip:")
    assert tip.text == "Tip: 3 < 5 & <b>bold</b> is fine" and tip.parse_mode == "HTML"


async def test_burst_of_50_survives_429s_in_order(tg: Harness) -> None:
    fake = tg.fake
    tg.core.settings.rate.per_minute = 0  # 50 at once is a flood otherwise (see test_policy)
    tg.adapter.cfg.edit_interval_s = 60  # placeholder + final only: keep the test quick
    fake.flood(every=15, times=3, retry_after=1)  # sends and (final) edits
    for i in range(50):
        await fake.push_message(f"note {i}")

    def finals() -> list[int]:
        return [int(m) for t in fake.texts(ALICE) for m in re.findall(r"Noted: note (\d+)\.", t)]

    await fake.wait_for(lambda: len(finals()) == 50, within=30)
    assert finals() == list(range(50))
    assert sum(c.status == 429 for c in fake.calls) == 3


async def test_photo_with_caption_is_downloaded_for_a_vision_model(tg: Harness) -> None:
    fake = tg.fake
    tg.core.settings.llm.vision = True
    photo = b"\xff\xd8\xff\xe0 fake jpeg bytes"
    await fake.push_message("sunset over the harbour", photo=photo)
    await final(fake, ALICE, "3 captions")
    assert fake.of("getFile")
    content = tg.model.calls[-1][-1].content
    assert any(p.get("type") == "image_url" for p in content if isinstance(p, dict))
    import base64

    assert base64.b64encode(photo).decode() in str(content)

    # A photo, then "/caption …" as a reply to it: the replied photo is used.
    shot = await fake.push_message("", photo=b"second photo")
    await final(fake, ALICE, "captions")
    await fake.push_message("/caption for x", reply_to=shot["message_id"])
    await final(fake, ALICE, "captions for X")
    assert base64.b64encode(b"second photo").decode() in str(tg.model.calls[-1][-1].content)


async def test_photo_without_vision_uses_the_text(tg: Harness) -> None:
    fake = tg.fake
    await fake.push_message("/caption sunset over the harbour", photo=b"jpeg")
    answer = await final(fake, ALICE, "3 captions")
    assert "can't see images, so I used only your text" in answer.text


async def test_sticker_voice_and_overlong_input(tg: Harness) -> None:
    fake = tg.fake
    sticker = {
        "file_id": "st",
        "file_unique_id": "stu",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    await fake.push_message(extra={"sticker": sticker})
    await final(fake, ALICE, "I can't use stickers yet")
    await fake.push_message(
        extra={"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 3}}
    )
    await final(fake, ALICE, "I can't use voice messages or audio yet")
    await fake.push_message("word " * 900)
    await final(fake, ALICE, "Your message was long")


async def test_export_arrives_as_a_file(tg: Harness) -> None:
    fake = tg.fake
    await fake.push_message("/export")
    await fake.wait_for(lambda: any(m.document for m in fake.messages(ALICE)))
    doc = next(m for m in fake.messages(ALICE) if m.document)
    assert doc.filename == "muse-export.json" and (doc.document or b"").startswith(b"{")


async def test_long_captions_split_with_buttons_on_the_last_part(tg: Harness) -> None:
    fake = tg.fake

    def story(n: int) -> str:  # three different ~2000-char captions
        return " ".join(f"Part{n}x{i} of story{n} & rain{n}{i}." for i in range(70))

    tg.model.enqueue("\n".join(f"{n}. {story(n)}" for n in (1, 2, 3)))
    await fake.push_message("/caption a very long story for instagram")
    await fake.wait_for(lambda: any(m.buttons for m in fake.messages(ALICE)))
    parts = fake.messages(ALICE)
    assert len(parts) >= 2 and "3 captions for Instagram" in parts[0].text
    assert not any(m.buttons for m in parts[:-1]) and parts[-1].buttons
    assert "You're the author" in parts[-1].text


async def test_every_command_answers_something(tg: Harness) -> None:
    fake = tg.fake

    def answered() -> int:
        return sum(is_final(m) for m in fake.messages(ALICE))

    for n, spec in enumerate(tg.core.registry, start=1):
        await fake.push_message(f"/{spec.name}")
        await fake.wait_for(lambda: answered() >= n)  # noqa: B023 (awaited right here)
    await fake.push_message("/nonsense")
    await final(fake, ALICE, "I don't know /nonsense")


async def test_a_forged_button_gets_one_line_and_no_spinner(tg: Harness) -> None:
    fake = tg.fake
    await fake.push_message("/help")
    help_msg = await final(fake, ALICE, "Here is what I can do")
    for data in ("m:pk:²:", "m:rx:99999999999999999999:", "m:zz:1:"):
        query = await fake.press_button(help_msg, data=data)
        answered = await fake.wait_for(lambda q=query: fake.callback_answers.get(q))  # type: ignore[misc]
        assert answered["text"] == "That button no longer works — send /help to start again."
    assert (await fake.push_message("/help")) and await final(fake, ALICE, "Here is what I can do")
