"""A request in another language, on the embedded base model: it writes in the language
of its few-shot examples, so the completion prompt ends with an example in the
request's language (prompts/*.yaml `languages`). Measured on the real model in
bench/README.md ("Other languages")."""

from __future__ import annotations

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.llm.language import language_of
from tests.helpers import ask


def test_the_language_of_a_request_is_told_only_when_it_is_clear() -> None:
    assert language_of("café de manhã em Lisboa") == "pt"
    assert language_of("una tarde de playa con mi perro en Valencia") == "es"
    assert language_of("un croissant et un café sur une terrasse à Paris") == "fr"
    assert language_of("Tipps für einen kleinen Garten auf dem Balkon") == "de"
    assert language_of("朝のコーヒー") == "ja"
    # English, with a word or two that other languages have too: no other language.
    for english in ("a rainy morning in Lisbon, tram 28", "Robert de Niro movie night"):
        assert language_of(english) == ""


async def test_an_english_request_naming_a_foreign_dish_or_place_stays_english(
    core: Core, model: ScriptedChatModel
) -> None:
    """'/caption crème brûlée for dessert tonight' is English: its accents name a dish,
    yet they outscored the one English word, and the prompt ended with the French
    example (the base model follows it into French). A language is told by its own
    words too, more of them than English ones."""
    for english in (
        "crème brûlée for dessert tonight",
        "Über cool Müller bakery",
        "piña coladas, mañana vibes",
        "a weekend in São João da Madeira",
    ):
        assert language_of(english) == "", english
    core.llm.style = "completion"
    await ask(core, "/caption crème brûlée for dessert tonight, for instagram")
    assert "pique-nique" not in model.last_prompt()


async def test_a_caption_asked_in_portuguese_is_shown_a_portuguese_example(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    await ask(core, "/caption café de manhã em Lisboa, para instagram")
    prompt = model.last_prompt()
    # The Portuguese example comes last, right before the request, after the English ones.
    example = prompt.index("Post: um piquenique no parque com os amigos")
    assert prompt.index("Post: a bowl of ramen") < example < prompt.index("Post: café de manhã")
    assert "Captions:\n1. Um piquenique no parque" in prompt


async def test_a_brainstorm_asked_in_japanese_is_shown_a_japanese_example(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    await ask(core, "/brainstorm 朝のコーヒー")
    prompt = model.last_prompt()
    assert prompt.index("Topic: 少ない予算で家ごはん") < prompt.index("Topic: 朝のコーヒー")


async def test_an_english_request_gets_the_prompt_it_always_had(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    await ask(core, "/caption a rainy morning in Lisbon, tram 28, for instagram")
    prompt = model.last_prompt()
    assert "piquenique" not in prompt and "Picknick" not in prompt
    assert "Painting my tiny balcony garden" not in prompt  # (the English examples stay)
    assert prompt.index("Post: painting my tiny balcony garden") < prompt.index("Post: a rainy")


def test_copies_are_judged_against_the_examples_the_prompt_shows(core: Core) -> None:
    """An English draft closer to the German example's subject than to the request was
    taken for a copy of it, though the model never saw that example."""
    form = core.llm.prompts["caption"].completion
    assert "a bowl of ramen on a rainy night (Instagram)" in form.subjects()
    assert not any("Picknick" in s or "piquenique" in s for s in form.subjects())
    assert form.language_subjects("a rainy morning in Lisbon") == []
    assert form.language_subjects("café de manhã em Lisboa") == [
        "um piquenique no parque com os amigos (Instagram)"
    ]
