"""Stopping and starting Muse again around a session's post: a platform that holds one
idea's post, a stop while it waits, and a start on the same data."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.config import Settings
from bot.core import Core
from bot.messages import Reply, SessionKey
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import RecordingOutbox
from tests.session_kit import Group, model_of
from tests.test_core_robustness import GatedModel


class HeldIdeaPosts(RecordingOutbox):
    """A platform that takes its time posting one idea (a slow Telegram call): Muse may
    be stopped while it waits."""

    def __init__(self, holding: str = "#4 ") -> None:
        super().__init__()
        self.holding = holding
        self.hold = True
        self.posting = asyncio.Event()
        self.go = asyncio.Event()  # set: the held post goes out after all

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        if self.hold and reply.text.startswith(self.holding):
            self.posting.set()
            await self.go.wait()  # until Muse stops
        return await super().post(key, reply, reply_to=reply_to)


def booting(
    settings: Settings, clock: FakeClock, outbox: HeldIdeaPosts, restarts: list[Core]
) -> Callable[..., Awaitable[Group]]:
    """Starting Muse (again) on the same data, clock and platform; `boot(*script)` has
    the model answer `script` first."""

    async def boot(*script: str) -> Group:
        core = await Core.create(settings)
        core.clock = clock
        core.attach("demo", outbox)
        model_of(core).enqueue(*script)
        await core.start()
        restarts.append(core)
        return Group(core, outbox)

    return boot


async def stop_while_posting(
    group: Group,
    outbox: HeldIdeaPosts,
    text: str,
    who: str = "cai",
    keep_holding: bool = False,
    **kw: object,
) -> None:
    """`who` sends `text`; Muse is stopped while the platform holds the idea it posts
    (and, with `keep_holding`, holds it again when the next start posts it)."""
    incoming = group.incoming(who, text, **kw)  # type: ignore[arg-type]

    async def adapter() -> None:
        async for _ in group.core.handle(incoming):
            pass

    reading = asyncio.create_task(adapter())
    await asyncio.wait_for(outbox.posting.wait(), 10)
    await group.core.shutting_down()
    reading.cancel()
    await asyncio.gather(reading, return_exceptions=True)
    await group.core.close(grace_s=0)
    outbox.hold = keep_holding


async def stopped_while_seeding(
    settings: Settings, clock: FakeClock, outbox: RecordingOutbox, start: str
) -> SessionKey:
    """Ana sends `start` (a /session start whose text holds the model: SLOW); Muse is
    stopped while the model writes the seeds, its opening out. The session's thread."""
    model = GatedModel()
    core = await Core.create(settings, model=model)
    core.clock = clock
    core.attach("demo", outbox)
    await core.start()
    incoming = Group(core, outbox).incoming("ana", start)

    async def adapter() -> None:
        async for _ in core.handle(incoming):
            pass

    reading = asyncio.create_task(adapter())
    await asyncio.wait_for(model.__dict__["started"].wait(), 10)
    await core.shutting_down()
    reading.cancel()
    await asyncio.gather(reading, return_exceptions=True)
    model.__dict__["release"].set()
    await core.close()
    (thread,) = {p.key for p in outbox.posts}
    return thread
