"""A bot process (Muse's `muse run telegram`, or the bare echo bot) against the fake
Bot API and the fake OpenAI-compatible server from tests/, with users that write to it
and a clock on when their answers arrive. The fakes run in this process; the bot runs
in its own, so its CPU time is its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from bench.common import ROOT, cpu_seconds, rss_mb
from tests.fakes.openai_server import FakeOpenAI
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI, Sent

# A bot process stopped mid-request drops its connections: not news worth a traceback.
logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)

ANSWER = "Noted: that's a good start. What should the first line say?"
FIRST_USER = 5000


@dataclass
class Rig:
    fake: FakeBotAPI
    model: FakeOpenAI
    proc: asyncio.subprocess.Process
    marker: str  # text that only a finished answer contains
    arrived: dict[int, float] = field(default_factory=dict)  # chat -> when answered
    log: _Tail | None = None  # the bot's stderr, for a figure that fails
    asked: set[int] = field(default_factory=set)  # chats that wrote in a burst

    def answered(self, chat_id: int) -> bool:
        return chat_id in self.arrived

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def rss(self) -> float:
        return rss_mb(self.proc.pid)

    def _scan(self) -> None:
        """Note when each chat's finished answer first shows (placeholders and streamed
        views end with ✍️; the finished text contains the marker)."""
        now = time.perf_counter()
        for sent in self.fake.sent:
            if sent.chat_id not in self.arrived and _finished(sent, self.marker):
                self.arrived[sent.chat_id] = now

    async def until(self, predicate: Callable[[], bool], within: float = 300.0) -> None:
        def check() -> bool:
            self._scan()
            return predicate()

        try:
            await self.fake.wait_for(check, within)
        except TimeoutError:
            raise TimeoutError(f"not there after {within:.0f} s: {self.missing()}") from None

    def missing(self) -> str:
        """What the people still without an answer got, and the bot's last words."""
        waiting = sorted(self.asked - set(self.arrived))
        example = waiting[0] if waiting else None
        got = [m.text[:60] for m in self.fake.sent if m.chat_id == example]
        log = self.log.text()[-600:] if self.log else ""
        return (
            f"{len(waiting)} waiting, e.g. chat {example} got {got}; "
            f"bot exit {self.proc.returncode}; {log}"
        )

    async def burst(
        self, users: int, text: str = "hello number {i}", first: int = FIRST_USER
    ) -> float:
        """`users` different people (ids from `first`) write one message each at once;
        seconds until every one of them has a finished answer."""
        start = time.perf_counter()
        for i in range(users):
            uid = first + i
            user = self.fake.user(uid, f"user{uid}", f"User {i}")
            await self.fake.push_message(text.format(i=i), user=user)
        chats = [first + i for i in range(users)]
        self.asked.update(chats)
        await self.until(lambda: all(self.answered(c) for c in chats))
        return max(self.arrived[c] for c in chats) - start


def _finished(sent: Sent, marker: str) -> bool:
    return marker in sent.text and not sent.text.rstrip().endswith("✍️")


@contextlib.asynccontextmanager
async def running(
    bot: str = "muse",
    *,
    limits: bool = False,
    model_delay_s: float = 0.0,
    env: dict[str, str] | None = None,
) -> AsyncIterator[Rig]:
    """`bot` = "muse" (the real `muse run telegram`), "echo" (bench/echo_bot.py) or "gpt"
    (bench/gpt_bot.py)."""
    fake = FakeBotAPI()
    await fake.start()
    if limits:
        fake.enforce_limits()
    model = FakeOpenAI(default=ANSWER)
    model.latency_s = model_delay_s
    await model.start()
    data = tempfile.mkdtemp(prefix="muse-bench-")
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("MUSE_")}
    child_env.update(
        MUSE_DATA_DIR=data,
        MUSE_TELEGRAM__TOKEN=TOKEN,
        MUSE_TELEGRAM__BASE_URL=fake.base_url,
        MUSE_LLM__PROVIDER="openai",
        MUSE_LLM__BASE_URL=model.base_url,
        MUSE_LLM__MODEL="fake-model",
        PYTHONPATH=str(ROOT),
        **(env or {}),
    )
    script = [str(ROOT / f"bench/{bot}_bot.py")]
    args = ["-m", "muse", "run", "telegram"] if bot == "muse" else script
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=str(ROOT),
        env=child_env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    # Read its stderr as it comes: a bot that logs a lot (the echo bot's 429 tracebacks)
    # would otherwise fill the pipe and block, and then never finish shutting down.
    tail = _Tail()
    rig = Rig(fake, model, proc, "Noted:", log=tail)
    drain = asyncio.create_task(tail.read(proc))
    try:
        # Ready once it polls: both bots delete any webhook right before polling.
        await fake.wait_for(lambda: fake.of("deleteWebhook") or proc.returncode is not None, 120)
        if proc.returncode is not None:
            await drain
            raise RuntimeError(f"{bot} did not start: {tail.text()}")
        await fake.wait_for(lambda: fake.of("getUpdates") or True, 5)
        yield rig
    finally:
        if proc.returncode is None:
            proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 10)
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await drain
        await model.close()
        await fake.stop()


class _Tail:
    """The last few kilobytes a process wrote to stderr."""

    def __init__(self, keep: int = 4000) -> None:
        self._buf = bytearray()
        self._keep = keep

    async def read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while chunk := await proc.stderr.read(65536):
            self._buf += chunk
            del self._buf[: -self._keep]

    def text(self) -> str:
        return self._buf.decode(errors="replace")
