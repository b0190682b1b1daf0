"""Small builders for tests: messages the way an adapter would make them."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.core import Core
from bot.messages import Action, Incoming, Reply, SessionKey


def message(
    text: str = "",
    *,
    user: str = "u1",
    chat: str = "c1",
    platform: str = "console",
    group: bool = False,
    action: Action | None = None,
    **extra: object,
) -> Incoming:
    return Incoming(
        SessionKey(platform, chat),
        user,
        text=text,
        user_name=f"name-{user}",
        is_group=group,
        action=action,
        **extra,  # type: ignore[arg-type]
    )


async def ask(core: Core, text: str = "", **kw: object) -> Reply:
    """Send one message and return the last reply (the answer a user reads)."""
    replies = await core.respond(message(text, **kw))  # type: ignore[arg-type]
    assert replies, f"no reply to {text!r}"
    return replies[-1]


@dataclass
class Stopped:
    returncode: int | None = None
    stderr: str = ""
    proc: asyncio.subprocess.Process | None = None

    async def kill(self) -> None:
        """SIGKILL: the process dies on the spot, as in a crash or an OOM kill."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()


@asynccontextmanager
async def muse_run(platform: str) -> AsyncIterator[Stopped]:
    """`muse run <platform>` as a real process (configured by the env), stopped with
    SIGTERM on exit; its exit code and stderr are filled in once it has stopped."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "muse",
        "run",
        platform,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stopped = Stopped(proc=proc)
    try:
        yield stopped
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        stopped.returncode, stopped.stderr = proc.returncode, err.decode()


def muse_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The `muse` command line as a user runs it (configured by the env), stdin piped."""
    return subprocess.run(
        [sys.executable, "-m", "muse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def slow_answers(
    llm: Any,
    monkeypatch: Any,
    *,
    before: Callable[[], Awaitable[object]] | None = None,
    after_first: Callable[[], Awaitable[object]] | None = None,
    after_each: Callable[[str], Awaitable[object]] | None = None,
) -> None:
    """A slow model, where the skills call it (LLMEngine.answer): every answer waits on
    `before()` before its first words, on `after_first()` right after them, and/or on
    `after_each(text so far)` after each piece."""
    from bot.llm.engine import Answer

    original = llm.answer

    def answer(*args: Any, **kwargs: Any) -> Answer:
        inner = original(*args, **kwargs)

        async def produce(outer: Answer) -> AsyncIterator[str]:
            if before is not None:
                await before()
            first = True
            async for text in inner:
                outer.text = text
                yield text
                if first and after_first is not None:
                    first = False
                    await after_first()
                if after_each is not None:
                    await after_each(text)
            outer.truncated, outer.provider, outer.style = (
                inner.truncated,
                inner.provider,
                inner.style,
            )

        return Answer(produce)

    monkeypatch.setattr(llm, "answer", answer)


def code_lines(parts: list[str]) -> list[str]:
    """The lines a Markdown platform shows as code (between a part's ``` lines), in order."""
    lines: list[str] = []
    for part in parts:
        inside = False
        for line in part.split("\n"):
            if line.startswith("```"):
                inside = not inside
            elif inside:
                lines.append(line.rstrip())
    return lines


@dataclass
class HeldForForget:
    writing: asyncio.Event  # an answer is being written, held until /forget waits
    queued: asyncio.Event  # the request whose text starts with the prefix reached the core
    go_on: asyncio.Event  # set by /forget's wait for earlier requests: answers go on


def held_until_forget_waits(core: Core, monkeypatch: Any, queued: str = "") -> HeldForForget:
    """Every answer waits before its first words until a /forget starts waiting for the
    person's earlier requests (AtWork.settle), so requests can queue behind it. With
    `queued`, `.queued` is set once a message starting with it is received by the core
    (Core.receive: an adapter takes its place in its own line right after, no await)."""
    held = HeldForForget(asyncio.Event(), asyncio.Event(), asyncio.Event())

    async def slow() -> None:
        held.writing.set()
        await held.go_on.wait()

    slow_answers(core.llm, monkeypatch, before=slow)
    receive, settle = core.receive, core.at_work.settle

    def receiving(msg: Incoming) -> Any:
        entry = receive(msg)
        if queued and msg.text.startswith(queued):
            held.queued.set()
        return entry

    async def settling(*args: Any, **kwargs: Any) -> None:
        held.go_on.set()  # /forget is waiting now: the answer in progress can finish
        await settle(*args, **kwargs)

    monkeypatch.setattr(core, "receive", receiving)
    monkeypatch.setattr(core.at_work, "settle", settling)
    return held
