"""The offline base model continues its prompt's pattern: after its answer it sometimes
writes the next block's first line, "(This creator's voice: …)", or a turn of its own
("Muse: …"), and it copies the layout of what its prompt shows. What is the prompt's is
never shown as part of the answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import load_settings
from bot.core import Core
from bot.llm.embedded import EmbeddedLLM
from tests.helpers import ask
from tests.test_cut_answers import FakeLlama


class StoppingLlama(FakeLlama):
    """Like llama.cpp, ends the answer where one of the request's stop strings begins."""

    def __call__(self, prompt: str, stream: bool, max_tokens: int, **kw: Any) -> Iterator[dict]:  # type: ignore[type-arg]
        self.prompts.append(prompt)
        text = self.answers.pop(0) if self.answers else ""
        for stop in kw.get("stop") or []:
            text = text.split(stop, 1)[0]
        yield {"choices": [{"text": text, "finish_reason": None}]}
        yield {"choices": [{"text": "", "finish_reason": "stop"}]}


async def chat_on(llama: StoppingLlama, monkeypatch: pytest.MonkeyPatch, *texts: str) -> str:
    """`texts` sent in turn to a Muse on the embedded model behind `llama`; the last answer."""
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "embedded")
    model = EmbeddedLLM()
    model._llama = llama
    core = await Core.create(load_settings(), model=model)
    try:
        for text in texts:
            answer = await ask(core, text)
    finally:
        await core.close()
    return answer.text


@pytest.mark.parametrize(
    ("asked", "written", "shown"),
    [
        (  # it goes on with the template's first line
            "what time is best to post?",
            " I suggest 12:00 to 3:00 p.m. on Instagram.\n(This creator's voice: natural.)",
            "I suggest 12:00 to 3:00 p.m. on Instagram.",
        ),
        (  # or with a turn of its own: the prompt's speaker label, shown to the creator
            "thanks, write me a caption for it",
            " A slow close-up of the sanding works well.\nMuse: You can use my photos.",
            "A slow close-up of the sanding works well.",
        ),
    ],
    ids=["template line", "next turn"],
)
async def test_the_offline_model_going_on_with_its_prompt_is_not_shown(
    monkeypatch: pytest.MonkeyPatch, asked: str, written: str, shown: str
) -> None:
    assert await chat_on(StoppingLlama(written), monkeypatch, asked) == shown


async def test_a_chat_after_drafts_is_not_prompted_with_the_drafts_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen in `muse chat`: after /caption, the base model answered "thanks" with
    "/caption a rainy day in Lisbon #7 (poetic) (16/2200) …", copying the earlier
    exchange's layout from its prompt. Commands and their drafts stay out of the chat's
    history on the offline model; the conversation itself stays in."""
    llama = StoppingLlama(
        " Try the golden hour.",
        "1. Rain on the tram windows, gold light inside. #Lisbon\n2. Tram 28 in the rain.\n"
        "3. Wet cobbles, warm coffee, tram bells.",
        " Glad it helps.",
    )
    await chat_on(
        llama,
        monkeypatch,
        "when should I shoot the tram?",
        "/caption a rainy morning in Lisbon, tram 28, for instagram",
        "thanks",
    )
    last = llama.prompts[-1]
    assert last.endswith("Creator: thanks\nMuse:")
    assert "Creator: when should I shoot the tram?\nMuse: Try the golden hour." in last
    assert "/caption" not in last and "(2200" not in last and "Rain on the tram" not in last
