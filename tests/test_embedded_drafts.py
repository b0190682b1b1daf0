"""What the offline base model really writes, and what a creator must never be shown
as a draft: the text they asked to rewrite handed back unchanged under a new number, or
their own description of the post handed back as a caption. (Model outputs below are
the embedded model's, seen in `muse chat`.)"""

from __future__ import annotations

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.helpers import ask

BOOKSHOP = "I quit my job to open a tiny bookshop in Porto, opening day photo."


async def remixed_draft(core: Core, model: ScriptedChatModel, text: str) -> int:
    model.enqueue(f" {text}")
    reply = await ask(core, "/remix Opening day! I left my job to open a bookshop in Porto")
    assert [d.text for d in reply.drafts] == [text]
    return reply.drafts[0].id


async def test_a_remix_that_hands_the_draft_back_unchanged_is_not_shown(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"  # how the embedded base model is prompted
    draft = await remixed_draft(core, model, BOOKSHOP)
    # The base model copied its source word for word (seen: "/remix #1 for threads").
    model.enqueue(f" {BOOKSHOP}", " Day one of the bookshop: I traded my badge for shelves.")
    reply = await ask(core, f"/remix #{draft} for threads")
    assert [d.text for d in reply.drafts] == [
        "Day one of the bookshop: I traded my badge for shelves."
    ]


async def test_a_remix_that_only_ever_copies_its_draft_says_so(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    draft = await remixed_draft(core, model, BOOKSHOP)
    model.enqueue(*[f" {BOOKSHOP.lower().rstrip('.')}"] * 3)  # the same words each time
    reply = await ask(core, f"/remix #{draft} for threads")
    assert reply.is_error and not reply.drafts
    assert reply.text == f"The offline model couldn't rewrite #{draft} this time — try again."
    assert len(await core.memory.drafts(await owner(core))) == 1  # no copy saved


async def owner(core: Core) -> int:
    found = await core.memory.find_user("console", "u1")
    assert found is not None
    return found


async def test_a_caption_that_only_repeats_the_description_is_not_shown(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    # The base model's first caption was the prompt's "Post:" line again (seen, twice).
    model.enqueue(
        " Rainy morning in Lisbon, a tram 28. #Lisbon\n"
        "2. Tram 28 in the rain: fogged windows, yellow paint, nowhere to be. #Tram28\n"
        "3. Lisbon doesn't stop for rain, and neither does tram 28.\n"
        "4. A rainy Lisbon morning smells like wet stone and espresso. #Lisbon"
    )
    reply = await ask(core, "/caption a rainy morning in Lisbon, tram 28, for instagram")
    assert {(d.text, d.label) for d in reply.drafts} == {
        ("Tram 28 in the rain: fogged windows, yellow paint, nowhere to be. #Tram28", "witty"),
        ("Lisbon doesn't stop for rain, and neither does tram 28.", "poetic"),
        ("A rainy Lisbon morning smells like wet stone and espresso. #Lisbon", ""),
    }


async def test_a_caption_repeating_the_description_fills_in_when_too_few_came(
    core: Core, model: ScriptedChatModel
) -> None:
    """Three captions are promised: with only two others in two tries and the top-ups,
    one caption that hands the description back fills the third place, rather than two
    captions alone."""
    core.llm.style = "completion"
    # Four captions asked each time (one spare): the description handed back, again and
    # again, and one other; the two lists continued for a third give it back again too.
    echo = "Rainy morning in Lisbon, a tram 28. #Lisbon"
    echoes = f" {echo}\n2. {echo}\n3. {echo}\n"
    model.enqueue(
        echoes + "4. Tram 28 in the rain: fogged windows, yellow paint, nowhere to be.",
        echoes + "4. Lisbon doesn't stop for rain, and neither does tram 28.",
        f" {echo}",
        f" {echo}",
    )
    reply = await ask(core, "/caption a rainy morning in Lisbon, tram 28, for instagram")
    texts = {d.text for d in reply.drafts}
    assert texts >= {
        "Tram 28 in the rain: fogged windows, yellow paint, nowhere to be.",
        "Lisbon doesn't stop for rain, and neither does tram 28.",
    }
    assert len(texts) == 3 and reply.text.startswith("3 captions for Instagram")


async def test_the_prompt_s_platform_echoed_at_a_caption_s_end_goes(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    # Seen: "Rainy day in Lisbon (via Instagram).", "Game Jam: The end of an adventure
    # (YouTube)" — the "(Instagram)" after the prompt's "Post:" line, reworded.
    model.enqueue(
        " Rainy day on tram 28 (via Instagram).\n"
        "2. Tram 28 in the rain: the end of an adventure (YouTube)\n"
        "3. Fogged windows on tram 28 (on Instagram)\n"
        "4. Tram 28, rain and nowhere to be (for Instagram)"
    )
    reply = await ask(core, "/caption tram 28 in the rain for instagram")
    assert {d.text for d in reply.drafts} <= {
        "Rainy day on tram 28",
        "Tram 28 in the rain: the end of an adventure",
        "Fogged windows on tram 28",
        "Tram 28, rain and nowhere to be",
    }
    assert len(reply.drafts) == 3


TRAM = "Tram 28 in the rain: fogged windows, yellow paint, nowhere to be. #Tram28"
STONE = "A rainy Lisbon morning smells like wet stone and espresso. #Lisbon"
GOLD = "Lisbon doesn't stop for rain, and neither does tram 28."


async def test_captions_the_offline_model_gave_too_few_of_are_topped_up(
    core: Core, model: ScriptedChatModel
) -> None:
    """Seen on the embedded model about 1 /caption in 7: both tries' other captions were
    copies of a few-shot example or twins of each other, and 2 captions were shown. The
    list of the good ones is continued for the missing one instead."""
    core.llm.style = "completion"
    # Four captions asked each time: two usable, the rest the same again.
    model.enqueue(
        f" {TRAM}\n2. {TRAM}\n3. {STONE}\n4. {STONE}",
        f" {STONE}\n2. {TRAM}\n3. {TRAM}\n4. {STONE}",
        f" {GOLD}",  # the continuation of "1. …\n2. …\n3."
    )
    reply = await ask(core, "/caption a rainy morning in Lisbon, tram 28, for instagram")
    assert {d.text for d in reply.drafts} == {TRAM, STONE, GOLD}
    assert reply.text.startswith("3 captions for Instagram")
    # The model went on from the two good captions, as the next item of their list.
    assert model.last_prompt().endswith(f"Captions:\n1. {STONE}\n2. {TRAM}\n3.")


async def test_fewer_captions_than_asked_say_so(core: Core, model: ScriptedChatModel) -> None:
    core.llm.style = "completion"
    model.enqueue(
        f" {TRAM}\n2. {TRAM}\n3. {STONE}\n4. {STONE}",
        f" {STONE}\n2. {TRAM}\n3. {TRAM}\n4. {STONE}",
        f" {TRAM}",
        f" {STONE}",
    )
    reply = await ask(core, "/caption a rainy morning in Lisbon, tram 28, for instagram")
    assert {d.text for d in reply.drafts} == {TRAM, STONE}
    assert reply.text.startswith("(Only 2 captions of the 3 I write: "), reply.text
    assert "\n2 captions for Instagram\n" in reply.text


async def test_fewer_ideas_than_asked_say_so(core: Core, model: ScriptedChatModel) -> None:
    """'/brainstorm … 3' on the embedded model showed '2 ideas for …' and nothing more
    when its other ideas were repeats (bench/README.md: 38 of 40 ideas shown)."""
    core.llm.style = "completion"
    twice = " Tram 28 at dawn | Angle: ride along | Format: reel\n"
    twice += "2. Hook: Tram 28 at dawn | Angle: ride along | Format: reel\n"
    twice += "3. Hook: Rain on the tram window | Angle: mood piece | Format: photo"
    model.enqueue(twice, twice)
    reply = await ask(core, "/brainstorm tram 28 in the rain 3")
    assert reply.text.startswith("(Only 2 ideas of the 3 you asked for: "), reply.text
    assert "\n2 ideas for “tram 28 in the rain”:" in reply.text


async def test_a_top_up_the_model_fails_on_still_shows_the_captions_it_had(
    core: Core, model: ScriptedChatModel
) -> None:
    """Two good captions came, and the model failed on the round asked for a third (its
    server gone, a timeout): the person lost both for 'My writing engine is unreachable'.
    A top-up is extra: its failure ends the topping up, and the two are shown, saying so."""
    core.llm.style = "completion"
    model.enqueue(
        f" {TRAM}\n2. {TRAM}\n3. {STONE}\n4. {STONE}",
        f" {STONE}\n2. {TRAM}\n3. {TRAM}\n4. {STONE}",
        *[ConnectionError("the model's server went away")] * 6,
    )
    reply = await ask(core, "/caption a rainy morning in Lisbon, tram 28, for instagram")
    assert not reply.is_error, reply.text
    assert {d.text for d in reply.drafts} == {TRAM, STONE}
    assert reply.text.startswith("(Only 2 captions of the 3 I write: "), reply.text
