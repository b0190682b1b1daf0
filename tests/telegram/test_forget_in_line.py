"""/forget covers a request still waiting in the Telegram adapter's own line for its
conversation (it keeps one before the core, so a message recorded in the inbox is not
lost while an earlier answer is written): it finishes first and is deleted with the rest,
never stored afterwards under a person Muse no longer knows."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.messages import Incoming
from bot.recovery import InboxEntry
from tests.helpers import slow_answers
from tests.telegram.conftest import Harness, final

GROUP = -100500
ANN = 222


async def test_forget_waits_for_a_request_queued_in_the_adapters_line(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ann's caption is being written in the team group and her /brainstorm waits in the
    adapter's line behind it when she sends /forget confirm in private. The brainstorm
    ran after the delete and stored its drafts and turn under a brand-new Ann."""
    fake, core = tg.fake, tg.core
    writing, go_on, queued = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        writing.set()
        await go_on.wait()

    slow_answers(core.llm, monkeypatch, before=slow)
    receive = core.receive

    def spy(msg: Incoming) -> InboxEntry | None:
        entry = receive(msg)
        if msg.text.startswith("/brainstorm"):
            queued.set()  # the adapter takes its place in line right after, no await
        return entry

    monkeypatch.setattr(core, "receive", spy)
    settle = core.at_work.settle

    async def settling(*args: Any, **kwargs: Any) -> None:
        go_on.set()  # /forget is waiting now: the caption can finish
        await settle(*args, **kwargs)

    monkeypatch.setattr(core.at_work, "settle", settling)
    ann = fake.user(ANN, "ann", "Ann")
    group = fake.group(GROUP)
    await fake.push_message("/caption@muse_test_bot our launch party", chat=group, user=ann)
    await writing.wait()
    await fake.push_message("/brainstorm@muse_test_bot launch party games 3", chat=group, user=ann)
    await queued.wait()
    await fake.push_message("/forget confirm", user=ann)

    done = await final(fake, ANN, "Done — I deleted")
    assert "6 drafts" in done.text, done.text  # the caption's 3 and the brainstorm's 3
    assert await core.memory.find_user("telegram", str(ANN)) is None  # not back
    team = await core.memory.find_user("telegram", f"chat:{GROUP}")
    assert team is not None
    assert await core.memory.drafts(team) == []
