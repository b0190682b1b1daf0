"""Drafts: the token budget holds what the target platform allows, and a draft is never
shown cut mid-sentence — even when something below Muse (a server's own cap, the
embedded model's context) stops the model early."""

from __future__ import annotations

import re

import pytest

from bot.config import Settings, load_settings
from bot.core import Core
from bot.llm.embedded import EmbeddedLLM
from bot.platforms import PLATFORMS
from tests.fakes.openai_server import FakeOpenAI, reply
from tests.helpers import ask
from tests.test_cut_answers import FakeLlama

SENTENCES = [
    f"Week {n}: we shipped the {thing} and learned that {lesson}."
    for n, (thing, lesson) in enumerate(
        [
            ("offline mode", "people open the app on the train more than at home"),
            ("new onboarding", "three screens beat seven every single time"),
            ("team calendar", "nobody reads release notes longer than a tweet"),
            ("dark theme", "support tickets drop when the app explains itself"),
            ("export button", "small teams want their data back, and that's fair"),
        ]
        * 5,
        start=1,
    )
]
LONG_POST = " ".join(SENTENCES)  # ~2500 characters: a long LinkedIn post
ENDS_A_SENTENCE = re.compile(r"[.!?…][\"'”’)]*$")


@pytest.fixture
def settings(server: FakeOpenAI) -> Settings:
    """The shared `core` fixture runs on these."""
    return load_settings()


async def test_a_long_linkedin_remix_comes_back_whole(core: Core, server: FakeOpenAI) -> None:
    assert 2000 < len(LONG_POST) < 3000
    server.enqueue(reply(LONG_POST))
    # (A rewrite of the post's opening: one identical to its source is no remix.)
    answer = await ask(core, f"/remix {LONG_POST[:600]} for linkedin")

    (draft,) = answer.drafts
    assert draft.text == LONG_POST  # the whole rewrite, not the first 1300 characters
    assert f"({len(LONG_POST)}/3000)" in answer.text
    asked = server.requests[0].json["max_completion_tokens"]
    assert asked * 3 >= PLATFORMS["linkedin"].max_chars  # the budget holds a full post


async def test_a_rewrite_cut_by_the_server_ends_at_a_sentence(
    core: Core, server: FakeOpenAI
) -> None:
    server.token_cap = 150  # the server stops at ~600 characters, whatever was asked
    server.enqueue(reply(LONG_POST))
    answer = await ask(core, f"/remix {LONG_POST} for linkedin")

    (draft,) = answer.drafts
    assert ENDS_A_SENTENCE.search(draft.text), draft.text
    assert LONG_POST.startswith(draft.text) and 400 < len(draft.text) <= 600


async def test_captions_cut_by_the_server_never_show_the_cut(
    core: Core, server: FakeOpenAI
) -> None:
    server.token_cap = 60  # 240 characters
    server.enqueue(
        reply(
            "1. Tram 28 at dawn, empty and gold. #Lisbon\n"
            "2. The bell rings twice, then the hill begins. #Tram28\n"
            "3. Nobody warned me the tram would be the best part of Lisbon. It was, and "
            "the view from the last stop was better still, all the way down to the river"
        )
    )
    answer = await ask(core, "/caption tram 28 in Lisbon for instagram")

    texts = [d.text for d in answer.drafts]
    assert texts[:2] == [
        "Tram 28 at dawn, empty and gold. #Lisbon",
        "The bell rings twice, then the hill begins. #Tram28",
    ]
    assert "Nobody warned me the tram would be the best part of Lisbon." in texts
    assert all(ENDS_A_SENTENCE.search(t) or t.split()[-1].startswith("#") for t in texts)


async def test_a_cut_brainstorm_drops_its_unfinished_idea(core: Core, server: FakeOpenAI) -> None:
    server.token_cap = 40  # 160 characters: two ideas and the start of a third
    ideas = "\n".join(
        f"{n}. Hook: Idea number {n} about trams | Angle: story | Format: reel" for n in range(1, 4)
    )
    server.enqueue(
        reply(ideas), reply("1. Hook: A fresh one about trams | Angle: poll | Format: poll")
    )
    answer = await ask(core, "/brainstorm trams 3")

    assert "Idea number 1" in answer.text and "Idea number 2" in answer.text
    assert "Idea number 3" not in answer.text  # it was cut: never shown half-written
    assert "A fresh one about trams" in answer.text


async def test_the_embedded_model_s_full_context_does_not_cut_a_remix_mid_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "embedded")
    source = "We shipped offline mode. People open the app on the train."
    llama = FakeLlama(LONG_POST)
    model = EmbeddedLLM(n_ctx=10_000)
    model._llama = llama
    core = await Core.create(load_settings(), model=model)
    try:
        await ask(core, f"/remix {source} for linkedin")  # to measure the prompt
        # A context only 60 tokens bigger than the prompt: llama.cpp stops at "length".
        model.n_ctx = len(llama.prompts[-1].split()) + 60
        llama.answers = [LONG_POST] * 3
        answer = await ask(core, f"/remix {source} for linkedin")
    finally:
        await core.close()

    (draft,) = answer.drafts
    assert ENDS_A_SENTENCE.search(draft.text), draft.text
    assert LONG_POST.startswith(draft.text)
    assert len(draft.text) < 400  # it was cut: 60 tokens
