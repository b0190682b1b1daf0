"""A group's brainstorm over a real afternoon: members sending at the same moment."""

from __future__ import annotations

import asyncio

import pytest

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import SessionKey
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import RecordingOutbox
from tests.session_kit import SEEDS, Group, idea_posts


@pytest.fixture
def group(core: Core) -> Group:
    core.clock = FakeClock()
    outbox = RecordingOutbox()
    core.attach("demo", outbox)
    return Group(core, outbox)


async def open_session(group: Group, model: ScriptedChatModel) -> SessionKey:
    model.enqueue(SEEDS)
    await group.say("ana", "/session start names for our Friday stream 20")
    return group.outbox.posts[0].key


async def test_two_members_sending_the_same_idea_at_once_get_it_in_once(
    group: Group, model: ScriptedChatModel
) -> None:
    """Ben and Cai both type "Retro Rain Radio" and send it in the same second: one idea
    to vote on, and the second sender hears where it is — not two copies that split
    the group's votes."""
    thread = await open_session(group, model)
    ben, cai = await asyncio.gather(
        group.say("ben", "/idea Retro Rain Radio", thread=thread),
        group.say("cai", "/idea retro rain radio", thread=thread),
    )
    assert [p.text for p in idea_posts(group.outbox, thread)][3:] == ["#4 Retro Rain Radio — Ben"]
    assert all(r.is_empty for r in ben)
    assert [r.text for r in cai] == ["That one is already in as #4 — vote for it with 👍."]
