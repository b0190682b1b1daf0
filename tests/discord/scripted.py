"""Stand-ins for the core's answers, for tests about the Discord side only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.core import Core
from bot.messages import Incoming, Outgoing


def script_core(
    core: Core, monkeypatch: pytest.MonkeyPatch, answer: Callable[[Incoming], list[Outgoing]]
) -> list[Incoming]:
    """Replace the core's answer with `answer(msg)`; returns the messages it was given."""
    seen: list[Incoming] = []

    async def handle(msg: Incoming, entry: object = None) -> AsyncIterator[Outgoing]:
        seen.append(msg)
        for out in answer(msg):
            yield out

    monkeypatch.setattr(core, "handle", handle)
    return seen
