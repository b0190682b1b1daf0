"""The pick with a deterministic fake embedder: relevance first, then variety (MMR), then
different from what the creator has; repeats regenerated (bounded), else marked."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.novelty import Novelty, pick
from tests.helpers import ask


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


class TableEmbedder:
    """Texts -> fixed vectors, by the first table key the text contains; anything else
    gets a vector of its own (orthogonal to the table's axes)."""

    name = "fake:table"
    threshold = 0.95
    min_relevance: float | None = 0.5
    semantic = True

    def __init__(self, table: dict[str, np.ndarray], dim: int = 8) -> None:
        self.table, self.dim = table, dim
        self.calls: list[list[str]] = []

    def vector(self, text: str) -> np.ndarray:
        for key, vec in self.table.items():
            if key in text.lower():
                return vec
        v = np.zeros(self.dim, dtype=np.float32)
        v[-1 - (sum(map(ord, text)) % 3)] = 1.0
        return v

    async def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        self.calls.append(list(texts))
        return np.stack([self.vector(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def close(self) -> None:
        pass


Q = unit(1, 0, 0, 0)


def test_most_relevant_first_then_the_most_different() -> None:
    pool = np.stack(
        [
            unit(1, 0.05, 0, 0),  # 0: most relevant
            unit(1, 0.3, 0, 0),  # 1: relevant, but close to 0 (0.97)
            unit(0.8, 0, 0.6, 0),  # 2: less relevant, different from 0
        ]
    )
    chosen = pick(Q, pool, np.zeros((0, 4)), n=2, threshold=0.99, diversity=0.5)
    assert chosen.chosen == (0, 2) and chosen.complete
    assert pick(Q, pool, np.zeros((0, 4)), n=2, threshold=0.99, diversity=0.0).chosen == (0, 1)


def test_near_twins_within_an_answer_are_never_both_shown() -> None:
    pool = np.stack([unit(1, 0, 0, 0), unit(1, 0.01, 0, 0), unit(0.6, 0.8, 0, 0)])
    result = pick(Q, pool, np.zeros((0, 4)), n=3, threshold=0.95)
    assert result.chosen == (0, 2) and result.twins == (1,) and not result.complete


def test_repeat_of_an_earlier_draft_is_left_out_else_shown_marked() -> None:
    known = np.stack([unit(0, 0, 0, 1), unit(1, 0, 0.1, 0)])
    pool = np.stack([unit(1, 0, 0.12, 0), unit(0.7, 0.7, 0, 0)])
    result = pick(Q, pool, known, n=1, threshold=0.95)
    assert result.chosen == (1,) and result.repeats == (0,) and result.complete
    # Nothing fresh left: the repeat is shown, with the earlier item it is close to.
    result = pick(Q, pool, known, n=2, threshold=0.95)
    assert result.chosen == (1, 0) and result.close == {0: 1} and not result.complete


def test_off_topic_candidates_come_last() -> None:
    pool = np.stack([unit(0, 1, 0, 0), unit(1, 0.2, 0, 0)])
    result = pick(Q, pool, np.zeros((0, 4)), n=2, threshold=0.95, min_relevance=0.5)
    assert result.chosen == (1, 0) and result.off_topic == (0,) and not result.complete


def test_copies_of_an_example_are_never_shown_and_the_pick_is_not_filled() -> None:
    pool = np.stack([unit(1, 0.1, 0, 0), unit(1, 0, 0.2, 0), unit(0.3, 0, 0, 1)])
    copies = np.array([False, True, False])
    result = pick(Q, pool, np.zeros((0, 4)), n=3, threshold=0.95, copies=copies)
    assert 1 not in result.chosen and result.copies == (1,)
    assert len(result.chosen) == 2 and not result.filled  # so the skill asks again


TRAM = unit(1, 0, 0, 0, 0, 0, 0, 0)
TABLE = {
    "tram at dawn": TRAM,  # the request
    "gold light": unit(1, 0.1, 0, 0, 0, 0, 0, 0),
    "golden light": unit(1, 0.12, 0, 0, 0, 0, 0, 0),  # a paraphrase of "gold light"
    "empty seats": unit(1, 0, 0.6, 0, 0, 0, 0, 0),
    "driver": unit(1, 0, 0, 0.7, 0, 0, 0, 0),
    "rain": unit(1, 0, 0, 0, 0.8, 0, 0, 0),
    "conductor": unit(1, 0, 0, 0, 0, 0.9, 0, 0),
}


def table_core(core: Core) -> TableEmbedder:
    embedder = TableEmbedder(TABLE)
    core.novelty = Novelty(core.settings, core.memory, embedder)
    return embedder


async def test_a_repeat_is_regenerated_and_a_lasting_one_marked_close(
    core: Core, model: ScriptedChatModel
) -> None:
    table_core(core)
    model.enqueue("1. Gold light #Tram\n2. Empty seats #Tram\n3. The driver #Tram")
    first = await ask(core, "/caption tram at dawn")
    gold = next(d.id for d in first.drafts if "Gold" in d.text)

    # Every answer repeats "gold light": the first try is topped up by a second one,
    # whose fresh captions are shown; the repeat is dropped.
    model.enqueue(
        "1. Golden light #Tram\n2. Rain on the tram #Tram",
        "1. Golden light again #Tram\n2. The conductor #Tram",
    )
    calls = len(model.calls)
    second = await ask(core, "/caption tram at dawn")
    assert len(model.calls) - calls == 2  # bounded: one regeneration on a chat model
    texts = [d.text for d in second.drafts]
    assert "Rain on the tram #Tram" in texts and "The conductor #Tram" in texts
    # With only two fresh ones, the least close repeat fills the third place, marked.
    assert re.search(rf"#\d+ \(\w+\) \(\d+/2200\) · close to #{gold}\nGolden light", second.text)


async def test_no_repeat_no_regeneration(core: Core, model: ScriptedChatModel) -> None:
    embedder = table_core(core)
    model.enqueue("1. Gold light #Tram\n2. Empty seats #Tram\n3. The driver #Tram\n4. Rain #T")
    reply = await ask(core, "/caption tram at dawn")
    assert len(model.calls) == 1 and len(reply.drafts) == 3
    assert "· close to" not in reply.text
    # Embedded once: the request, then the candidates; the shown ones are stored.
    assert embedder.calls[0] == ["tram at dawn"]
    stored = await core.memory.known_vectors(1, embedder.name)
    assert sorted(k for k, _ in stored.keys) == ["draft"] * 3
    assert len(embedder.calls) == 2  # nothing embedded twice
