"""Each caption is labelled with the tone it was written in — whatever was dropped or
reordered on the way — or not labelled at all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.helpers import ask


def labels_match_texts(drafts: tuple) -> None:  # type: ignore[type-arg]
    for d in drafts:
        assert d.label and f"({d.label})" in d.text, (d.label, d.text)


async def test_labels_follow_the_captions_when_one_is_dropped(
    core: Core, model: ScriptedChatModel
) -> None:
    await ask(core, "/style avoid: wanderlust")
    model.enqueue(
        "1. Wanderlust and trams (warm)\n2. Trams never run late, I do (witty)\n"
        "3. Yellow light on wet rails (poetic)",
        "1. The tram driver waved at me (warm)\n2. Tram 28: cardio for tourists (witty)\n"
        "3. Rails like silver threads (poetic)",
    )
    reply = await ask(core, "/caption a tram ride in Lisbon for x")

    assert [d.label for d in reply.drafts] == ["witty", "poetic", "warm"]
    labels_match_texts(reply.drafts)


async def test_labels_follow_the_captions_when_repeats_are_dropped(
    core: Core, model: ScriptedChatModel
) -> None:
    model.enqueue("1. Morning tram, warm bread (warm)\n2. a (witty)\n3. b (poetic)")
    await ask(core, "/caption bakery for x")
    model.enqueue(
        "1. Morning tram, warm bread (warm)\n2. Croissant math: one is never enough (witty)\n"
        "3. Flour drifting like snow in the light (poetic)",
        "1. Our baker has been up since four (warm)\n2. Bread first, words later (witty)\n"
        "3. Crust and steam at dawn (poetic)",
    )
    reply = await ask(core, "/caption bakery at dawn for x")

    assert reply.drafts[0].text.startswith("Croissant math")
    labels_match_texts(reply.drafts)


async def test_no_labels_when_the_model_did_not_write_one_per_tone(
    core: Core, model: ScriptedChatModel
) -> None:
    # More captions than the tones a chat model is asked for (five: three shown, two spare).
    model.enqueue(
        "1. one tram\n2. two trams\n3. three trams\n4. four trams\n5. five trams\n6. six trams"
    )
    reply = await ask(core, "/caption trams for x")
    assert len(reply.drafts) == 3
    assert [d.label for d in reply.drafts] == ["", "", ""]
    assert "(warm)" not in reply.text and "(witty)" not in reply.text


@pytest.fixture
async def base_core(settings: Settings) -> AsyncIterator[Core]:
    """The scripted model prompted as the embedded base model is (few-shot completion)."""
    settings.llm.prompt_style = "completion"
    core = await Core.create(settings)
    yield core
    await core.close()


async def test_base_model_labels_survive_the_on_topic_reordering(base_core: Core) -> None:
    model = base_core.llm.model
    assert isinstance(model, ScriptedChatModel)
    # The few-shot examples teach warm, witty, poetic; the witty one misses the topic and
    # goes last (after another try that only repeats itself). Each try is continued to
    # the fourth caption the examples show, which here only repeats the first.
    answer = (
        " Rainy Lisbon, warm coffee (warm)\n2. My umbrella quit its job (witty)\n"
        "3. Lisbon rain on silver rails (poetic)"
    )
    fourth = " Rainy Lisbon, warm coffee (warm)"
    model.enqueue(answer, fourth, answer, fourth)
    reply = await ask(base_core, "/caption rainy Lisbon for x")

    assert [d.label for d in reply.drafts] == ["warm", "poetic", "witty"]
    labels_match_texts(reply.drafts)


async def test_base_model_second_try_adds_a_tone_not_shown_yet(base_core: Core) -> None:
    """The base model writes in its examples' order every time, so a second try's first
    caption is warm again: the missing witty one is shown, not a second warm one."""
    model = base_core.llm.model
    assert isinstance(model, ScriptedChatModel)
    first = (  # the witty one only repeats the warm one, and so does the fourth
        " Rainy Lisbon, warm coffee (warm)\n2. Rainy Lisbon, warm coffee (warm)\n"
        "3. Lisbon rain on silver rails (poetic)"
    )
    second = (
        " Rainy Lisbon morning, rainy Lisbon coffee (warm)\n"
        "2. My umbrella quit its job in Lisbon (witty)\n"
        "3. Silver rails, grey Lisbon sky (poetic)"
    )
    fourth = " Rainy Lisbon, warm coffee (warm)"
    model.enqueue(first, fourth, second, fourth)
    reply = await ask(base_core, "/caption rainy Lisbon for x")

    assert sorted(d.label for d in reply.drafts) == ["poetic", "warm", "witty"], reply.text
    labels_match_texts(reply.drafts)


async def test_base_model_says_it_cannot_lead_with_an_asked_tone(base_core: Core) -> None:
    reply = await ask(base_core, "/caption a rainy tram ride for x tone: sarcastic")
    assert "to lead with “sarcastic”, connect a chat model" in reply.text
