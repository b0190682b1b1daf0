"""The embedder choices around the pick: the openai provider's /v1/embeddings (against the
fake OpenAI server), falling back to word overlap when it fails, embedding older drafts
once, and /novelty."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.novelty import Novelty, OpenAIEmbedder
from tests.fakes.openai_server import FakeOpenAI, reply
from tests.helpers import ask
from tests.test_novelty_pick import TABLE, TableEmbedder


@pytest.fixture
async def openai_core(
    server: FakeOpenAI, muse_env: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Core]:
    for key, value in {
        "MUSE_LLM__API_KEY": "sk-test-embed-1234",
        "MUSE_LLM__MAX_RETRIES": "0",
        "MUSE_EMBEDDINGS__PROVIDER": "openai",
        "MUSE_EMBEDDINGS__MODEL": "embed-test-model",
        "MUSE_NOVELTY__THRESHOLD": "0.9",
    }.items():
        monkeypatch.setenv(key, value)
    core = await Core.create(load_settings())
    yield core
    await core.close()


ANSWER = (
    "1. Rain on the tram window, warm coffee in my hands. #Lisbon\n"
    "2. Lisbon said sun. Lisbon lied. #RainyDay\n"
    "3. Grey sky, yellow tram, zero regrets. #Portugal"
)


async def test_openai_embeddings_catch_a_repeat(openai_core: Core, server: FakeOpenAI) -> None:
    assert isinstance(openai_core.novelty.embedder, OpenAIEmbedder)
    server.enqueue(reply(ANSWER))
    first = await ask(openai_core, "/caption a rainy morning in Lisbon")
    assert len(first.drafts) == 3
    sent = server.embedding_requests
    assert sent and sent[0].json["model"] == "embed-test-model"
    assert sent[0].headers["Authorization"] == "Bearer sk-test-embed-1234"
    assert sent[0].json["input"] == ["a rainy morning in Lisbon"]

    # The same three again, plus one new: the repeats are dropped, a second generation
    # brings fresh ones, and what is still short is filled with marked repeats.
    server.enqueue(
        reply(ANSWER + "\n4. Trams, puddles and pastel de nata. #Lisbon"),
        reply("1. Fado on a wet evening in Alfama. #Lisbon"),
    )
    second = await ask(openai_core, "/caption a rainy morning in Lisbon")
    texts = [d.text for d in second.drafts]
    assert set(texts[:2]) == {
        "Trams, puddles and pastel de nata. #Lisbon",
        "Fado on a wet evening in Alfama. #Lisbon",
    }
    assert texts[2] in ANSWER and "· close to #" in second.text


async def test_a_server_without_embeddings_falls_back_to_word_overlap(
    openai_core: Core, server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    server.embeddings_status = 404
    server.enqueue(reply(ANSWER), reply(ANSWER))
    with caplog.at_level(logging.WARNING):
        first = await ask(openai_core, "/caption a rainy morning in Lisbon")
        second = await ask(openai_core, "/caption a rainy morning in Lisbon")
    assert len(first.drafts) == 3 and not first.is_error
    assert "close to #1" in second.text  # the repeats are still noticed
    assert "word overlap for now" in caplog.text
    # Down for a while: the failing server is not asked again for every message.
    assert len(server.embedding_requests) == 1


RUSSIAN = (
    "1. Дождь на окне трамвая, тёплый кофе в руках. #Лиссабон\n"
    "2. Лиссабон обещал солнце. Лиссабон соврал. #Дождь\n"
    "3. Серое небо, жёлтый трамвай, ни о чём не жалею. #Португалия"
)


async def test_word_overlap_notices_a_repeat_in_any_script(
    openai_core: Core, server: FakeOpenAI
) -> None:
    """With a server that has no embeddings (or MUSE_EMBEDDINGS__PROVIDER=off), words
    are compared: only a-z words were, so in Russian, Greek, Arabic or Japanese every
    text had none, and the same three captions came back as fresh, unmarked."""
    server.embeddings_status = 404
    server.enqueue(*[reply(RUSSIAN)] * 4)
    first = await ask(openai_core, "/caption дождливое утро в Лиссабоне")
    second = await ask(openai_core, "/caption дождливое утро в Лиссабоне")
    assert len(first.drafts) == 3 and not first.is_error
    assert "close to #1" in second.text


async def test_older_drafts_are_embedded_once_when_first_needed(
    core: Core, model: ScriptedChatModel
) -> None:
    await ask(core, "/caption a rainy morning in Lisbon")  # stored with word vectors only
    embedder = TableEmbedder(TABLE)
    core.novelty = Novelty(core.settings, core.memory, embedder)
    await ask(core, "/caption tram at dawn")
    await ask(core, "/caption tram at dawn")
    embedded = [t for call in embedder.calls for t in call]
    older = [t for t in embedded if "rainy morning in Lisbon" in t and "told" in t]
    assert len(older) == 3  # the three earlier captions, once


async def test_novelty_shows_a_score_and_the_closest_pairs(
    core: Core, model: ScriptedChatModel
) -> None:
    assert "Not enough drafts yet" in (await ask(core, "/novelty")).text
    person = await core.memory.user_for("console", "u1", "", "person")
    texts = [
        "Launch my first pixel art demo on Steam",
        "The bug that almost delayed our demo",
        "Rate our pixel-art enemies",
        "Launch my first pixel art demo on Steam today",
        "Dungeon tiles in 60 seconds",
    ]
    # Drafts kept from before novelty checks existed (so twins could slip in).
    await core.memory.add_drafts(
        owner=person,
        author=person,
        session="console:c1",
        kind="caption",
        platform="x",
        request="pixel-art roguelike demo",
        items=[(t, "") for t in texts],
    )
    report = await ask(core, "/novelty")
    assert report.private
    lines = report.text.splitlines()
    assert lines[0].startswith("Variety of your last 5 drafts: 60/100 — 2 of them have a near-twin")
    assert lines[2].startswith("#4 ↔ #1 · ") and "near-twins" in lines[2]
    assert "“Launch my first pixel art demo on Steam today” / “Launch my first" in lines[3]
