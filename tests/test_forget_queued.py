"""/forget covers what the person asked before it, also what was still waiting in line
in another chat: never stored after the delete under a person Muse no longer knows."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core import Core
from tests.helpers import ask, held_until_forget_waits, message


async def test_forget_waits_for_a_request_still_queued_in_another_chat(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ann's caption is being written in the team group and her /brainstorm waits in
    line behind it when she sends /forget confirm in private. The brainstorm ran after
    the delete: its drafts and turn were stored under a brand-new Ann, who was back in
    the database. Now /forget lets it finish first and deletes it with the rest."""
    held = held_until_forget_waits(core, monkeypatch)

    def team(text: str) -> Any:
        return message(text, user="ann", chat="team", group=True)

    caption = asyncio.create_task(core.respond(team("/caption our launch party")))
    await held.writing.wait()
    queued = asyncio.create_task(core.respond(team("/brainstorm launch party games 3")))
    forget = asyncio.create_task(ask(core, "/forget confirm", user="ann", chat="ann"))
    forget.add_done_callback(lambda _: held.go_on.set())  # had it not waited, never hang
    assert "#1" in (await caption)[-1].text
    brainstorm = (await queued)[-1]
    assert not brainstorm.is_error, brainstorm.text
    done = await forget
    assert done.text.startswith("Done — I deleted 6 drafts, 4 messages."), done.text
    assert await core.memory.find_user("console", "ann") is None  # not back
    group = await core.memory.find_user("console", "chat:team")
    assert group is not None
    assert await core.memory.drafts(group) == []
    assert await core.memory.recent_turns(group, "console:team") == []
