"""A skill that crashes for one person only, for the isolation tests of both platforms."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.context import Context
from bot.core import Core
from bot.messages import Outgoing


def crash_for(
    core: Core,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    victim: str,
    error: BaseException,
) -> asyncio.Event:
    """`/command` raises `error` for user `victim` (a bug only their request hits); for
    everyone else it waits until the returned event is set, then answers as usual."""
    spec = core.registry.get(command)
    assert spec is not None
    others_may_go = asyncio.Event()

    async def flaky(ctx: Context) -> AsyncIterator[Outgoing]:
        if ctx.msg.user_id == victim:
            raise error
        await others_may_go.wait()
        async for out in spec.handler(ctx):
            yield out

    monkeypatch.setitem(core.registry._commands, command, replace(spec, handler=flaky))
    return others_may_go


ERRORS = [
    pytest.param(RuntimeError("a bug only this request hits"), id="exception"),
    # Not a cancellation of the answer: a stray one from a library the skill used.
    pytest.param(asyncio.CancelledError(), id="stray-cancellation"),
]
