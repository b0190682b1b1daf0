"""The embedded model on a slow CPU: MUSE_LLM__TIMEOUT_S is how long it may go without a
next word, not a cap on the whole answer, so a long answer written slowly still arrives;
a model that stalls still fails with one line."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import load_settings
from bot.core import Core
from bot.llm.embedded import EmbeddedLLM
from tests.helpers import ask
from tests.test_cut_answers import FakeLlama

ANSWER = "Film it from the back window at dawn, when the light comes in low and gold."


class SlowLlama(FakeLlama):
    """A word every `step_s` (in llama.cpp's worker thread); `stall` holds the second
    word until it is set (or 5 s pass)."""

    def __init__(self, step_s: float, stall: threading.Event | None = None) -> None:
        super().__init__(ANSWER)
        self.step_s, self.stall = step_s, stall

    def __call__(self, prompt: str, stream: bool, max_tokens: int, **kw: Any) -> Iterator[dict]:  # type: ignore[type-arg]
        for n, part in enumerate(super().__call__(prompt, stream, max_tokens, **kw)):
            if n == 1 and self.stall is not None:
                self.stall.wait(5)
            time.sleep(self.step_s)
            yield part


async def answer_with(llama: SlowLlama, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "embedded")
    model = EmbeddedLLM(timeout_s=1.0)
    model._llama = llama
    core = await Core.create(load_settings(), model=model)
    try:
        return (await ask(core, "how do I film a tram reel?")).text
    finally:
        await core.close()


async def test_a_long_answer_written_slowly_still_arrives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 17 words at 0.2 s: 3.4 s in all, against a 1 s timeout, never 1 s without a word.
    assert await answer_with(SlowLlama(0.2), monkeypatch) == ANSWER


async def test_a_model_that_stalls_still_fails_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stall = threading.Event()
    try:
        text = await answer_with(SlowLlama(0.0, stall), monkeypatch)
    finally:
        stall.set()
    assert text.startswith("My writing engine")
