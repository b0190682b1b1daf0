"""Series, /posted as a reply and /link in a group, through the real Telegram adapter."""

from __future__ import annotations

import re

from tests.telegram.conftest import Harness, final, is_final

ALICE = 111
GROUP = -100500


async def test_link_in_a_group_sends_the_code_privately(tg: Harness) -> None:
    fake = tg.fake
    await fake.push_message("/link", chat=fake.group(GROUP))
    await final(fake, GROUP, "I sent that to you in a private chat")
    private = await final(fake, ALICE, "Your code:")
    code = re.search(r"Your code: ([A-Z0-9]{6})", private.text)
    assert code and "within 10 minutes" in private.text
    assert not any(code.group(1) in m.text for m in fake.messages(GROUP))


async def test_posted_as_a_reply_records_that_draft_and_next_builds_on_it(tg: Harness) -> None:
    fake = tg.fake
    await fake.push_message("/series new Lisbon Mornings | a weekly dawn tram ride")
    await final(fake, ALICE, "“Lisbon Mornings” started")

    # A reply to an answer with three drafts: Muse asks which one.
    await fake.push_message("/caption tram 28 at 6am, empty seats and gold light")
    captions = await final(fake, ALICE, "3 captions")
    ids = re.findall(r"#(\d+) \(", captions.text)
    await fake.push_message("/posted", reply_to=captions.message_id)
    ask = await final(fake, ALICE, "Which one did you publish?")
    assert all(f"/posted #{i}" in ask.text for i in ids)

    # A reply to a single remix records it.
    await fake.push_message(f"/remix #{ids[1]} for x")
    remix = await final(fake, ALICE, f"Remix from #{ids[1]} for X")
    remix_id = re.findall(r"#(\d+) \(", remix.text)[0]
    await fake.push_message("/posted", reply_to=remix.message_id)
    recorded = await final(fake, ALICE, "as published in “Lisbon Mornings”")
    assert f"#{remix_id}" in recorded.text and "(post 1)" in recorded.text
    posted_text = remix.text.split("\n")[3]

    # The next request carries the series and that post to the model.
    await fake.push_message("/next")
    nxt = await final(fake, ALICE, "Next for “Lisbon Mornings”")
    assert "Why:" in nxt.text
    prompt = tg.model.last_prompt()
    assert "a weekly dawn tram ride" in prompt and posted_text[:100] in prompt
    await fake.push_message("/history")
    history = await final(fake, ALICE, "Your latest drafts")
    assert f"#{remix_id} remix · x · from #{ids[1]} ✓ posted" in history.text


async def test_a_code_typed_in_a_group_and_not_used_there_stops_working(tg: Harness) -> None:
    """Alice typed her own code in a group ("That's your own code"): everyone there saw
    it, and it stayed good, so any member could send it to Muse and join her account,
    reading her drafts, style and history. A code shown in a group and not used there
    is cancelled, and she is told so."""
    fake = tg.fake
    await fake.push_message("/caption a rainy tram in Lisbon")
    await final(fake, ALICE, "3 captions")
    await fake.push_message("/link")
    code = re.search(r"Your code: ([A-Z0-9]{6})", (await final(fake, ALICE, "Your code:")).text)
    assert code
    await fake.push_message(f"/link {code.group(1)}", chat=fake.group(GROUP))
    told = await final(fake, ALICE, "cancelled it")
    assert "your own code" in told.text and "/link" in told.text

    mallory = fake.user(666, "mallory", "Mallory")
    await fake.push_message(f"/link {code.group(1)}", user=mallory)
    refused = await final(fake, 666, "doesn't work")
    assert "Linked" not in refused.text
    await fake.push_message("/history", user=mallory)
    assert "rainy tram" not in (await final(fake, 666, "Nothing here yet")).text


async def test_a_reply_to_drafts_no_longer_hers_is_not_taken_as_her_text(tg: Harness) -> None:
    """After /forget (or /unlink) the captions in her chat are no longer hers: /posted or
    /remix as a reply to that message recorded, or remixed, Muse's whole message (its
    heading, '#1 (warm) (47/2200)', its footer) as if she had written it."""
    fake = tg.fake
    await fake.push_message("/caption a rainy tram in Lisbon")
    captions = await final(fake, ALICE, "3 captions")
    first = re.findall(r"#(\d+) \(", captions.text)[0]
    await fake.push_message("/forget confirm")
    await final(fake, ALICE, "I no longer know you")
    answers = []
    for asked in ("/posted", "/remix make it shorter"):
        before = len(fake.messages(ALICE))
        await fake.push_message(asked, reply_to=captions.message_id)
        answer = await fake.wait_for(
            lambda before=before: next(  # type: ignore[misc]
                (m for m in fake.messages(ALICE)[before:] if is_final(m)), None
            )
        )
        answers.append(answer.text)
    assert all(f"I can't find draft #{first}" in a for a in answers), answers
