"""Inline mode, the allow-list, admins and the daily quota."""

from __future__ import annotations

from tests.telegram.conftest import Harness, final

ALICE, BOB = 111, 333


async def test_inline_query_offers_caption_drafts(tg: Harness) -> None:
    fake = tg.fake
    query = await fake.push_inline_query("a rainy tram in Lisbon")
    answer = await fake.wait_for(lambda: fake.inline_answers.get(query))
    results = answer["results"]
    assert len(results) == 3 and answer["cache_time"] <= 30 and answer["is_personal"]
    assert all(r["type"] == "article" for r in results)
    texts = [r["input_message_content"]["message_text"] for r in results]
    assert all("rainy tram in Lisbon" in t for t in texts)
    assert results[0]["title"].startswith("#1 (warm)")
    # Drafts are the user's own, so buttons and /remix #id work on them later.
    await fake.push_message("/pick #2")
    await final(fake, ALICE, "Picked #2 ✓")

    empty = await fake.push_inline_query("")
    hint = await fake.wait_for(lambda: fake.inline_answers.get(empty))
    assert hint["results"] == [] and hint["button"]["start_parameter"] == "inline"


async def test_inline_waits_for_typing_to_pause(tg: Harness) -> None:
    fake = tg.fake
    tg.adapter.cfg.inline_debounce_s = 0.3
    first = await fake.push_inline_query("a rai")
    second = await fake.push_inline_query("a rainy tram")
    await fake.wait_for(lambda: fake.inline_answers.get(second))
    assert first not in fake.inline_answers and len(tg.model.calls) == 1


async def test_allow_list_refuses_others_with_one_line(tg: Harness) -> None:
    fake = tg.fake
    tg.adapter.cfg.allowed_users = ["@Bob", "222"]
    await fake.push_message("/caption hello")
    refusal = await final(fake, ALICE, "this Muse is private")
    assert "111" in refusal.text and len(fake.messages(ALICE)) == 1
    assert not tg.model.calls

    bob = fake.user(BOB, "bob", "Bob")
    await fake.push_message("hi there", user=bob)
    await final(fake, BOB, "Noted: hi there")
    nameless = fake.user(222, None, "Cat")
    await fake.push_message("hi too", user=nameless)
    await final(fake, 222, "Noted: hi too")

    query = await fake.push_inline_query("a tram")
    answer = await fake.wait_for(lambda: fake.inline_answers.get(query))
    assert answer["results"] == [] and "private" in answer["button"]["text"]

    tg.adapter.cfg.admin_ids = ["111"]  # admins are always let in
    await fake.push_message("I'm the admin")
    await final(fake, ALICE, "Noted: I'm the admin")


async def test_daily_quota(tg: Harness) -> None:
    fake = tg.fake
    tg.adapter.cfg.daily_quota = 2
    for text in ("one", "two"):
        await fake.push_message(text)
        await final(fake, ALICE, f"Noted: {text}")
    await fake.push_message("/help")  # free
    await final(fake, ALICE, "Here is what I can do")
    await fake.push_message("three")
    await final(fake, ALICE, "You've used today's 2 requests")
    assert len(tg.model.calls) == 2

    tg.adapter.cfg.admin_ids = ["@alice"]
    await fake.push_message("four")
    await final(fake, ALICE, "Noted: four")
