"""Inline mode's edges: clearing the query, the one-line hint above the results (64
characters at most on Telegram), and a refusal the core keeps silent."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.helpers import slow_answers
from tests.telegram.conftest import Harness, final, partial

ALICE = 111
HINT_MAX = 64  # Telegram's limit for an InlineQueryResultsButton's text


async def test_clearing_the_query_drops_the_one_waiting_to_be_drafted(tg: Harness) -> None:
    fake = tg.fake
    tg.adapter.cfg.inline_debounce_s = 0.5
    typed = await fake.push_inline_query("a rainy tram")
    cleared = await fake.push_inline_query("")
    hint = await fake.wait_for(lambda: fake.inline_answers.get(cleared))
    assert hint["button"]["text"] == "Describe your post…"
    await tg.adapter.drain()  # every inline query handled, the typed one included
    assert typed not in fake.inline_answers
    assert not tg.model.calls  # nothing drafted, no quota spent


def whole_words_of(hint: str, full: str) -> bool:
    """Every word of the hint is a whole word of the full line (nothing cut mid-word)."""
    words = set(full.split())
    return all(w in words or w.rstrip(".,;:") in words for w in hint.split())


async def test_an_error_hint_fits_and_keeps_its_error_id(tg: Harness) -> None:
    fake = tg.fake
    tg.core.settings.llm.max_retries = 0
    for _ in range(6):
        tg.model.enqueue(ConnectionError("down"))
    query = await fake.push_inline_query("a rainy tram")
    answer = await fake.wait_for(lambda: fake.inline_answers.get(query))
    text = answer["button"]["text"]
    assert answer["results"] == [] and len(text) <= HINT_MAX
    assert re.fullmatch(r"My writing engine is unreachable right now \(ref \w+\)", text), text


async def test_the_quota_hint_fits_in_whole_words(tg: Harness) -> None:
    fake = tg.fake
    tg.adapter.cfg.daily_quota = 1
    await fake.push_message("one")
    await final(fake, ALICE, "Noted: one")
    await fake.push_message("two")
    refusal = (await final(fake, ALICE, "You've used today's")).text
    assert len(refusal) > HINT_MAX  # what the hint has to shorten

    query = await fake.push_inline_query("a rainy tram")
    answer = await fake.wait_for(lambda: fake.inline_answers.get(query))
    hint = answer["button"]["text"]
    assert hint == "You've used today's 1 request" and whole_words_of(hint, refusal)


async def test_a_refusal_kept_silent_shows_no_error(tg: Harness) -> None:
    fake = tg.fake
    tg.core.settings.rate.per_minute = 1
    await fake.push_message("one")
    await final(fake, ALICE, "Noted: one")
    await fake.push_message("two")
    await final(fake, ALICE, "Easy there")  # said once; from now on silence

    query = await fake.push_inline_query("a rainy tram")
    answer = await fake.wait_for(lambda: fake.inline_answers.get(query))
    assert answer["results"] == [] and not answer.get("button")
    assert not tg.model.calls[1:]


async def test_an_inline_query_never_waits_behind_the_private_chat(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram forgets an inline query after some 10 s: it must not wait in line behind
    an answer being written in the same person's private chat."""
    fake = tg.fake
    tg.adapter.cfg.stream_after_s = 0
    release, answers = asyncio.Event(), [0]

    async def hold_the_first() -> None:
        answers[0] += 1
        if answers[0] == 1:
            await release.wait()

    slow_answers(tg.core.llm, monkeypatch, after_first=hold_the_first)
    await fake.push_message("tell me a long story")
    await partial(fake, ALICE)  # being written, and held
    try:
        query = await fake.push_inline_query("a rainy tram")
        answer = await fake.wait_for(lambda: fake.inline_answers.get(query))
        assert answer["results"]
    finally:
        release.set()
    await final(fake, ALICE, "tell me a long story")


async def test_a_hint_never_ends_on_an_abbreviation(tg: Harness) -> None:
    """Inline "@muse for x" (no post described yet): the line is too long for the hint, and
    cutting it after "e.g." left "Tell me what the post shows, e.g." over the results."""
    fake = tg.fake
    query = await fake.push_inline_query("for x")
    answer = await fake.wait_for(lambda: fake.inline_answers.get(query))
    assert answer["results"] == []
    assert answer["button"]["text"] == "Tell me what the post shows"


async def test_a_command_typed_inline_is_not_captioned_as_words(tg: Harness) -> None:
    """ "@muse /brainstorm cats" gave captions about "/brainstorm cats"; "/caption" typed
    inline is the same as the words alone."""
    fake = tg.fake
    tg.adapter.cfg.inline_debounce_s = 0
    other = await fake.push_inline_query("/brainstorm cats")
    hint = await fake.wait_for(lambda: fake.inline_answers.get(other))
    assert hint["results"] == [] and len(hint["button"]["text"]) <= HINT_MAX
    assert hint["button"]["text"].startswith("Inline I write captions — send /brainstorm")
    assert not tg.model.calls
    same = await fake.push_inline_query("/caption a rainy tram")
    drafts = await fake.wait_for(lambda: fake.inline_answers.get(same))
    assert drafts["results"]
    assert "/caption" not in str(tg.model.calls[-1])


async def test_inline_drafts_show_the_notice_the_chat_answer_shows(tg: Harness) -> None:
    """ "@muse a sunset for facebook" offered Instagram drafts without a word; the chat
    says Muse has no rules for Facebook. The line above the results now says it too (the
    drafts, posted as the person's own, stay just the drafts)."""
    fake = tg.fake
    query = await fake.push_inline_query("a sunset over the bay for facebook")
    answer = await fake.wait_for(lambda: fake.inline_answers.get(query))
    assert answer["results"]
    assert answer["button"]["text"] == "I don't know Facebook's rules, so this is for Instagram"
    posted = [r["input_message_content"]["message_text"] for r in answer["results"]]
    assert not any("Facebook" in text or "rules" in text for text in posted)
    plain = await fake.push_inline_query("a sunset over the bay")
    answer = await fake.wait_for(lambda: fake.inline_answers.get(plain))
    assert answer["results"] and not answer.get("button")


async def test_inline_drafts_name_their_platform(tg: Harness) -> None:
    """Titles read "#1 (warm) · x" (the platform's key, like a close mark); now "· X"."""
    fake = tg.fake
    query = await fake.push_inline_query("a sunset over the bay for linkedin")
    answer = await fake.wait_for(lambda: fake.inline_answers.get(query))
    assert answer["results"][0]["title"].endswith(" · LinkedIn")
    query = await fake.push_inline_query("a sunset over the bay for x")
    answer = await fake.wait_for(lambda: fake.inline_answers.get(query))
    assert answer["results"][0]["title"].endswith(" · X")
