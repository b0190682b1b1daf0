"""A crash while answering one conversation never stops the others, nor the adapter."""

from __future__ import annotations

import re

import pytest

from tests.crash import ERRORS, crash_for
from tests.telegram.conftest import Harness, final

ALICE, BOB = 111, 222


@pytest.mark.parametrize("error", ERRORS)
async def test_a_crash_for_one_person_leaves_the_others_answered(
    tg: Harness, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    others_may_go = crash_for(tg.core, monkeypatch, "caption", str(ALICE), error)
    bob = tg.fake.user(BOB, "bob", "Bob")
    await tg.fake.push_message("/caption a rainy tram for x", user=bob)  # in flight
    await tg.fake.push_message("/caption a neon diner for x")  # Alice's hits the bug
    line = await final(tg.fake, ALICE, "Something went wrong")
    assert re.fullmatch(
        r"Something went wrong on my side — try again\. \(ref [0-9a-f]{4}\)", line.text
    )
    others_may_go.set()
    await final(tg.fake, BOB, "captions for X")
    # Alice's conversation and the adapter go on as before.
    await tg.fake.push_message("hello again")
    await final(tg.fake, ALICE, "Noted: hello again")
    assert len(tg.fake.messages(ALICE)) == 2
