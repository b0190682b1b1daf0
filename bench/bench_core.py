"""Benchmark the core on the fake provider (no model cost): messages/s with N
concurrent conversations, and whether a slow conversation delays another.

    python bench/bench_core.py [--conversations 20] [--messages 10]

Printed as a table and one JSON line, never asserted."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from bot.config import load_settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import Incoming, SessionKey

SLOW_S = 2.0


class SlowWhenAsked(ScriptedChatModel):
    """The scripted model, but a request mentioning 'slowly' takes SLOW_S seconds."""

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        if "slowly" in str(messages[-1].content):
            await asyncio.sleep(SLOW_S)
        for chunk in self._stream(messages, stop, None, **kwargs):
            yield chunk


def msg(chat: str, text: str) -> Incoming:
    return Incoming(SessionKey("bench", chat), f"user-{chat}", text=text)


async def throughput(core: Core, conversations: int, messages: int) -> dict[str, float]:
    async def one(c: int) -> None:
        for m in range(messages):
            text = ("/caption a tram ride number %d" if m % 2 else "idea %d for a post") % m
            await core.respond(msg(f"c{c}", text))

    start = time.perf_counter()
    await asyncio.gather(*(one(c) for c in range(conversations)))
    elapsed = time.perf_counter() - start
    total = conversations * messages
    return {
        "conversations": conversations,
        "messages": total,
        "seconds": round(elapsed, 2),
        "messages_per_s": round(total / elapsed, 1),
    }


async def isolation(core: Core) -> dict[str, float]:
    start = time.perf_counter()
    slow = asyncio.create_task(core.respond(msg("slow", "write slowly about rain")))
    await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    await core.respond(msg("fast", "/caption a quick espresso"))
    fast_s = time.perf_counter() - t0
    await slow
    return {
        "slow_conversation_s": round(time.perf_counter() - start, 2),
        "other_conversation_s": round(fast_s, 3),
    }


async def run(conversations: int, messages: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MUSE_DATA_DIR"] = tmp
        os.environ["MUSE_LLM__PROVIDER"] = "fake"
        core = await Core.create(load_settings(), model=SlowWhenAsked())
        try:
            return {**await throughput(core, conversations, messages), **await isolation(core)}
        finally:
            await core.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10)
    args = parser.parse_args()
    result = asyncio.run(run(args.conversations, args.messages))
    for key, value in result.items():
        print(f"{key:<24} {value}")
    delayed = result["other_conversation_s"] >= SLOW_S
    print(f"{'slow one delays other':<24} {'YES' if delayed else 'no'}")
    print(json.dumps({"bench": "core", **result}))


if __name__ == "__main__":
    main()
