"""Answers longer than one Telegram message: split by the length Telegram counts (the
text shown, not its HTML), and shown while being written with the newest words in view."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.telegram_format import MAX_CHARS, progress_view
from tests.helpers import slow_answers
from tests.telegram.conftest import Harness, final, is_final
from tests.telegram.fake_wire import utf16

ALICE = 111
GROUP = -100500


async def test_a_long_link_full_of_html_characters_takes_two_messages_not_six(
    tg: Harness,
) -> None:
    fake = tg.fake
    tg.core.settings.llm.chat_max_tokens = 5000
    link = "https://example.com/?" + "a&b<c>" * 1100  # 6.6k characters, 20k as HTML
    text = f"Here it is:\n{link}\nThat's the one."
    tg.model.enqueue(text)
    await fake.push_message("give me the link")
    await final(fake, ALICE, "That's the one.")
    parts = fake.messages(ALICE)
    assert len(parts) == 2
    assert all(utf16(m.text) <= MAX_CHARS and m.parse_mode == "HTML" for m in parts)
    assert "".join(m.text for m in parts).replace("\n", "") == text.replace("\n", "")


async def test_a_long_code_block_is_code_in_every_message(tg: Harness) -> None:
    """A model's ``` block longer than a message showed its fences as typed; now each
    message shows its share of the code as a code block, and nothing is lost."""
    fake = tg.fake
    tg.core.settings.llm.chat_max_tokens = 5000
    code = "\n".join(f"step_{i} = '<tram>' & {i}  # **keep**" for i in range(150))
    tg.model.enqueue(f"Here is the script:\n```python\n{code}\n```\nThat's **all**.")
    await fake.push_message("write me the script")
    await final(fake, ALICE, "That's all.")
    parts = fake.messages(ALICE)
    assert len(parts) == 2 and all(m.parse_mode == "HTML" for m in parts)
    assert all('<pre><code class="language-python">' in m.raw for m in parts)
    shown = "\n".join(m.text for m in parts)
    assert "```" not in shown
    assert shown.split() == f"Here is the script:\n{code}\nThat's all.".split()


async def test_bold_running_past_one_message_is_bold_in_both(tg: Harness) -> None:
    """A long answer in **bold** (or *italic*) cut in two showed a raw ** at the start
    of the first message and at the end of the second; now each message closes or
    reopens it, and shows its share bold, nothing lost."""
    fake = tg.fake
    tg.core.settings.llm.chat_max_tokens = 5000
    words = "word " * 1500
    tg.model.enqueue(f"Note: **{words.strip()}** and *{words.strip()}* done.")
    await fake.push_message("say it loudly")
    await final(fake, ALICE, "done.")
    parts = fake.messages(ALICE)
    assert len(parts) == 4 and all(utf16(m.text) <= MAX_CHARS for m in parts)
    assert not any("*" in m.text for m in parts)
    assert parts[0].raw.startswith("Note: <b>word") and parts[1].raw.startswith("<b>word")
    assert "</b> and <i>word" in parts[1].raw and parts[2].raw.startswith("<i>word")
    assert " ".join(m.text for m in parts).split() == f"Note: {words}and {words}done.".split()


def pause_when(llm: Any, monkeypatch: pytest.MonkeyPatch, marker: str) -> asyncio.Event:
    """The model stops streaming once its text contains `marker`, until released."""
    release = asyncio.Event()

    async def hold(text: str) -> None:
        if marker in text:
            await release.wait()

    slow_answers(llm, monkeypatch, after_each=hold)
    return release


async def test_a_long_answer_being_written_shows_its_newest_words(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tg.fake
    tg.adapter.cfg.stream_after_s = 0
    tg.core.settings.llm.chat_max_tokens = 5000
    lines = [f"Stop {n}: the tram bell rings again at the corner." for n in range(120)]
    lines[90] = "Stop 90: the newest words, here at last."
    tg.model.enqueue(" ".join(lines))
    release = pause_when(tg.core.llm, monkeypatch, "here at last.")
    await fake.push_message("tell me about every stop")

    def writing() -> Any:
        shown = [m for m in fake.messages(ALICE) if not is_final(m)]
        return shown and "here at last." in shown[0].text and shown[0]

    view = await fake.wait_for(writing)  # past 4,000 characters and still up to date
    assert view.text.startswith("… Stop ") and view.text.endswith("here at last. ✍️")
    assert utf16(view.text) <= MAX_CHARS
    release.set()
    await final(fake, ALICE, "Stop 119")
    parts = fake.messages(ALICE)
    assert len(parts) == 2 and all(is_final(m) for m in parts)
    assert " ".join(m.text for m in parts) == " ".join(lines)


def test_the_view_while_writing_fits_one_message_and_ends_with_the_newest_text() -> None:
    text = " ".join(f"word{n}&" for n in range(3000))
    view = progress_view(text)
    assert utf16(view) <= MAX_CHARS and view.endswith("word2999& ✍️")
    assert progress_view("short so far") == "short so far ✍️"


async def test_a_long_answer_in_a_group_is_not_split_by_another_members_answer(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members of a group are answered side by side; an answer in several messages
    still arrives as one block, not with another member's answer between its parts."""
    fake, sender = tg.fake, tg.adapter.sender
    group = fake.group(GROUP)
    tg.core.settings.llm.chat_max_tokens = 5000
    stops = " ".join(f"Stop {n}: the tram bell rings again at the corner." for n in range(120))
    tg.model.enqueue(stops)
    delivering, deliver = asyncio.Event(), sender.deliver

    async def spy(reply: Any, *args: Any, **kwargs: Any) -> list[int]:
        if "Noted: hi" in reply.text:
            delivering.set()
        return await deliver(reply, *args, **kwargs)

    monkeypatch.setattr(sender, "deliver", spy)
    gate = fake.hold("sendMessage")
    asked = await fake.push_message("@muse_test_bot tell me every stop", chat=group)
    await fake.wait_for(lambda: len(fake.held) == 1)  # its first part is on the wire
    bob = fake.user(222, "bob", "Bob")
    await fake.push_message("@muse_test_bot hi", chat=group, user=bob)
    await delivering.wait()
    # Bob's answer is on the wire too, or waiting for the chat to be free.
    await fake.wait_for(lambda: len(fake.held) == 2 or sender.lines.waiting(f"{GROUP}|None") == 2)
    gate.set()
    await final(fake, GROUP, "Noted: hi")
    await final(fake, GROUP, "Stop 119")
    shown = fake.messages(GROUP)
    assert [m.text.startswith("Stop") for m in shown] == [True, True, False]
    assert shown[0].reply_to == asked["message_id"]


async def test_a_long_japanese_answer_is_split_after_a_sentence_and_an_emoji_stays_whole(
    tg: Harness,
) -> None:
    """Japanese and Chinese put no space after a sentence: a long answer in either was
    cut wherever the 4096th unit fell, mid-word ("…静かで" / "す。東…"), and a run of
    emoji sequences cut 👨‍👩‍👧‍👦 into a man in one message and the rest of his family
    in the next. Parts now end after a 。 and between whole characters."""
    fake = tg.fake
    tg.core.settings.llm.chat_max_tokens = 5000
    japanese = "".join(f"{n}番目の路面電車は朝の光の中をゆっくり走ります。" for n in range(250))
    family = "👨‍👩‍👧‍👦" * 700  # 7,700 UTF-16 units, not one space
    tg.model.enqueue(japanese, family)
    await fake.push_message("東京の路面電車について全部教えて")
    await final(fake, ALICE, "249番目")
    parts = [m.text for m in fake.messages(ALICE)]
    assert len(parts) > 1 and all(p.endswith("走ります。") for p in parts)
    assert "".join(parts) == japanese
    await fake.push_message("家族の絵文字をたくさん")
    await fake.wait_for(lambda: len(fake.messages(ALICE)) > len(parts) + 1)
    pieces = [m.text for m in fake.messages(ALICE)][len(parts) :]
    assert all(utf16(p) <= MAX_CHARS for p in pieces)
    assert all(p.startswith("👨") and p.endswith("👦") for p in pieces)
    assert "".join(pieces) == family
