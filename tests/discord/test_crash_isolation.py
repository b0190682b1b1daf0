"""A crash while answering one conversation never stops the others, nor the adapter."""

from __future__ import annotations

import re

import pytest

from adapters.discord import DiscordAdapter
from tests.crash import ERRORS, crash_for
from tests.discord.fake_discord import FakeDiscord


@pytest.mark.parametrize("error", ERRORS)
async def test_a_crash_for_one_person_leaves_the_others_answered(
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    alice = fake.user(name="alice")["id"]
    others_may_go = crash_for(adapter.core, monkeypatch, "caption", alice, error)
    bob = await fake.send_slash("caption", {"description": "a rainy tram"}, user="bob", dm=True)
    crashed = await fake.send_slash("caption", {"description": "a neon diner"}, user="alice")
    await fake.wait_for(lambda: "Something went wrong" in crashed.text())
    assert re.fullmatch(
        r"Something went wrong on my side — try again\. \(ref [0-9a-f]{4}\)", crashed.text()
    )
    others_may_go.set()
    await fake.wait_for(lambda: "captions for" in bob.text() and "✍️" not in bob.text())
    # Alice's conversation and the adapter go on as before.
    again = await fake.send_slash("brainstorm", {"topic": "neon diners"}, user="alice")
    await fake.wait_for(lambda: "Like one?" in again.text())  # the whole brainstorm
