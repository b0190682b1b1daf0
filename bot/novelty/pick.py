"""Which candidates to show: relevant to the request first, then different from each
other (maximal marginal relevance), then different from what the creator already has.
Pure numpy over normalised vectors, so it is easy to test with made-up ones."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

# Weight of "different from what is already chosen" against "relevant to the request"
# (sentence-embedding similarities span a narrow range, so a little goes a long way).
DIVERSITY = 0.3


@dataclass(frozen=True)
class Pick:
    """Indices into the candidate pool, in the order to show them."""

    chosen: tuple[int, ...]
    # Chosen although too close to something the creator has: pool index -> index of
    # that earlier item (shown marked "close to #12").
    close: dict[int, int] = field(default_factory=dict)
    # n chosen that are all on topic, fresh and distinct: no need to generate more.
    complete: bool = False
    # n chosen that are fresh and distinct, on topic or not.
    filled: bool = False
    # Left out: too close to an earlier item, or to a candidate already chosen.
    repeats: tuple[int, ...] = ()
    twins: tuple[int, ...] = ()
    off_topic: tuple[int, ...] = ()
    # Left out: copies of the model's own few-shot examples, never shown.
    copies: tuple[int, ...] = ()


def pick(
    query: np.ndarray,
    pool: np.ndarray,
    known: np.ndarray,
    n: int,
    threshold: float,
    min_relevance: float | None = None,
    diversity: float = DIVERSITY,
    ranked: bool = True,
    copies: np.ndarray | None = None,
    kinds: Sequence[Hashable] | None = None,
) -> Pick:
    """Choose up to `n` rows of `pool`: first fresh on-topic ones by MMR, then fresh
    off-topic ones, and only then repeats of `known` (least close first), which the
    caller marks. A candidate at `threshold` or above to one already chosen is a twin
    and never shown. `ranked` False: relevance can't be judged (e.g. word overlap on a
    chat model's paraphrases), so the fresh ones keep the pool's order — the model's own.
    `copies` (a boolean per row) marks candidates that are never shown at all. `kinds`
    (one per row, e.g. a caption's tone): within each group, a kind not chosen yet goes
    first, so two of a kind are shown only when nothing else is left."""
    size = len(pool)
    if size == 0 or n <= 0:
        return Pick(())
    relevance = pool @ query
    if len(known):
        to_known = pool @ known.T
        nearest = to_known.argmax(axis=1)
        nearest_sim = to_known[np.arange(size), nearest]
    else:
        nearest = np.zeros(size, dtype=int)
        nearest_sim = np.full(size, -1.0)
    repeat = nearest_sim >= threshold
    on_topic = (
        relevance >= min_relevance if min_relevance is not None else np.ones(size, dtype=bool)
    )
    between = pool @ pool.T
    chosen: list[int] = []
    twins: set[int] = set()

    def take(group: list[int], least_close_first: bool = False) -> None:
        left = [i for i in group if i not in twins]
        while left and len(chosen) < n:
            taken = {kinds[j] for j in chosen} if kinds is not None else set()
            options = [i for i in left if kinds is None or kinds[i] not in taken] or left
            if least_close_first:
                best = min(options, key=lambda i: (nearest_sim[i], -relevance[i]))
            elif ranked:
                best = max(options, key=lambda i: mmr(i))
            else:
                best = options[0]
            left.remove(best)
            if chosen and max(between[best, j] for j in chosen) >= threshold:
                twins.add(best)
                continue
            chosen.append(best)

    def mmr(i: int) -> float:
        overlap = max((between[i, j] for j in chosen), default=0.0)
        return float((1 - diversity) * relevance[i] - diversity * overlap)

    shown = [i for i in range(size) if copies is None or not copies[i]]
    fresh = [i for i in shown if not repeat[i]]
    take([i for i in fresh if on_topic[i]])
    complete = len(chosen) >= n
    take([i for i in fresh if not on_topic[i]])
    filled = len(chosen) >= n
    take([i for i in shown if repeat[i]], least_close_first=True)
    close = {i: int(nearest[i]) for i in chosen if repeat[i]}
    return Pick(
        chosen=tuple(chosen),
        close=close,
        complete=complete,
        filled=filled,
        repeats=tuple(i for i in shown if repeat[i] and i not in chosen),
        twins=tuple(sorted(twins)),
        off_topic=tuple(i for i in range(size) if not on_topic[i]),
        copies=tuple(i for i in range(size) if copies is not None and copies[i]),
    )
