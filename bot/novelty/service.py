"""Novelty for the skills: embed candidates (off the event loop), compare them with the
owner's earlier drafts and posts, pick, and store the vectors of what was shown."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

from bot.memory.embeddings import Known
from bot.novelty.embedders import Embedder, LexicalEmbedder, make_embedder
from bot.novelty.pick import Pick, pick

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.memory import Memory

log = logging.getLogger(__name__)

T = TypeVar("T")
Key = tuple[str, int]  # ("draft" | "post", id)
# After a failure of the configured embedder, the word-overlap one stands in this long.
FALLBACK_S = 300.0
# Earlier items without a vector are embedded when next needed, this many at a time.
BACKFILL = 50
ANGLE_RE = re.compile(r"\n\s*Angle:\s*(.*?)(?:\s*·\s*Format:.*)?$", re.S)


def embed_text(kind: str, text: str) -> str:
    """What of an item says what it is about: an idea's hook and angle (not the labels,
    which every idea shares), or the whole text."""
    if kind == "idea":
        hook, _, rest = text.partition("\n")
        angle = ANGLE_RE.match("\n" + rest)
        return f"{hook}. {angle.group(1)}" if angle and angle.group(1) else hook
    return text


# An installment's number ("week 3", "ep. 12", "#4", "dia 5"): what tells two posts of
# a series apart, not what either is about.
INSTALMENT_RE = re.compile(
    r"(?:\b(?:week|day|episode|ep|part|chapter|vol|volume|no|semana|dia|día|episódio|"
    r"episodio|parte|cap[íi]tulo)\.?\s*|#)\d+\b",
    re.I,
)
# Earlier items compared without the frame too (embedded again, not stored): the newest.
REFRAME = 20


def without_frame(text: str, frame: str) -> str:
    """What a post of a series is about: the text without the series' name and its
    installment number. Left in, every post of a series read as the same one (e5 put
    "Sourdough diaries, week 2: the first bake" and "…, week 3: the crumb shot" at
    0.95, past the repeat threshold; without them 0.89)."""
    out = re.sub(re.escape(frame.strip()), " ", text, flags=re.I) if frame.strip() else text
    out = " ".join(INSTALMENT_RE.sub(" ", out).split()).strip(" ,.:;-–—|·")
    return out or text


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


class Novelty:
    """One per Core. The embedder is built on first use, so start-up never waits."""

    def __init__(
        self, settings: Settings, memory: Memory, embedder: Embedder | None = None
    ) -> None:
        self.settings = settings
        self.memory = memory
        self._embedder = embedder
        self._lexical = LexicalEmbedder()
        self._down_until = 0.0
        # (embedder, texts) -> vectors of fixed texts (few-shot example subjects).
        self._fixed: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    def current(self) -> Embedder:
        """The configured embedder, or the lexical stand-in while it is failing."""
        return self._lexical if time.monotonic() < self._down_until else self.embedder

    @property
    def semantic(self) -> bool:
        """The embedder in use compares meaning (not only words)."""
        return self.current().semantic

    def threshold(self, embedder: Embedder) -> float:
        configured = self.settings.novelty.threshold
        if configured is not None and embedder is self.embedder:
            return configured
        return embedder.threshold

    async def embed(
        self, texts: Sequence[str], *, query: bool = False, embedder: Embedder | None = None
    ) -> tuple[Embedder, np.ndarray]:
        """Vectors and the embedder that made them (the fallback, if the real one failed)."""
        embedder = embedder or self.current()
        try:
            return embedder, await embedder.embed(texts, query=query)
        except Exception as exc:
            if embedder is self._lexical:
                raise
            log.warning("embedder %s failed (%s); word overlap for now", embedder.name, exc)
            self._down_until = time.monotonic() + FALLBACK_S
            return self._lexical, await self._lexical.embed(texts, query=query)

    async def known(self, owner: int, embedder: Embedder, exclude: Sequence[Key] = ()) -> Known:
        """The owner's earlier drafts and posts under this embedder (embedding any that
        have no vector yet, e.g. from before this feature or another embedder)."""
        missing = await self.memory.missing_vectors(owner, embedder.name, BACKFILL)
        if missing:
            texts = [embed_text(draft_kind, text) for _, _, draft_kind, text in missing]
            used, vectors = await self.embed(texts, embedder=embedder)
            if used is embedder:
                keys = [(kind, item_id) for kind, item_id, _, _ in missing]
                await self.memory.save_vectors(owner, embedder.name, keys, vectors)
        known = await self.memory.known_vectors(owner, embedder.name)
        if not exclude or not known.keys:
            return known
        keep = [i for i, key in enumerate(known.keys) if key not in set(exclude)]
        return Known(
            tuple(known.keys[i] for i in keep),
            tuple(known.texts[i] for i in keep),
            known.matrix[keep],
            tuple(known.kinds[i] for i in keep),
        )

    async def remember(
        self, owner: int, keys: Sequence[Key], texts: Sequence[str], kinds: Sequence[str] = ()
    ) -> None:
        """Embed and store items just saved (a remix, a post, a /next idea)."""
        if not keys:
            return
        kinds = kinds or ["draft"] * len(keys)
        embedder, vectors = await self.embed(
            [embed_text(k, t) for k, t in zip(kinds, texts, strict=True)]
        )
        await self.memory.save_vectors(owner, embedder.name, keys, vectors)

    def picker(
        self,
        owner: int,
        request: str,
        n: int,
        exclude: Sequence[Key] = (),
        *,
        relevance: bool = True,
        unlike: Sequence[str] = (),
        also_unlike: Sequence[str] = (),
        kind: Callable[[T], Hashable] | None = None,
        frame: str = "",
    ) -> Picker[T]:
        """A picker for one request: `n` to show, `exclude` the items a candidate may
        resemble (e.g. the draft being remixed); `relevance` False when the request is only
        a loose frame (a series' premise) rather than what every candidate must be about;
        `unlike` the subjects of the prompt's few-shot examples: a candidate closer to one
        of them than to the request copies an example and is never shown (judged only by
        an embedder that compares meaning), unless the example is itself about what was
        asked; `also_unlike` the same, always checked: an example in the request's own
        language, which the embedder rates close to any request in it (朝のコーヒー and
        the Japanese example's 少ない予算で家ごはん: 0.86, over the 0.84 of "related"), so
        copies of it were shown; `kind` of an item (a caption's tone): one of each kind is
        shown before two of any; `frame` a series' name, left out of what is compared
        (see without_frame).

        Its setup (the request's vector, the owner's earlier items) starts at once and
        runs while the model writes: it needs nothing from the answer, and a request
        waiting in the model's line hears its place at once, not after an embedding
        that competes with the model for the CPU (measured: the 5th of five captions on
        the embedded model was told after 0.7–0.9 s, bench/README.md)."""
        found: Picker[T] = Picker(
            self,
            owner,
            request,
            n,
            exclude,
            relevance,
            unlike,
            kind,
            also_unlike=also_unlike,
            frame=frame,
        )
        found.begin()
        return found

    async def fixed(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """Query vectors of texts that never change (embedded once per embedder)."""
        key = (embedder.name, tuple(texts))
        if key not in self._fixed:
            self._fixed[key] = await embedder.embed(texts, query=True)
        return self._fixed[key]

    def close(self) -> None:
        if self._embedder is not None:
            self._embedder.close()


@dataclass(frozen=True)
class Choice(Generic[T]):
    """A shown candidate: what the skill passed in, and "close to #12" when it repeats."""

    item: T
    text: str
    note: str = ""
    on_topic: bool = True


class Picker(Generic[T]):
    """One request's candidates, gathered over one or more generations."""

    def __init__(
        self,
        novelty: Novelty,
        owner: int,
        request: str,
        n: int,
        exclude: Sequence[Key],
        relevance: bool = True,
        unlike: Sequence[str] = (),
        kind: Callable[[T], Hashable] | None = None,
        also_unlike: Sequence[str] = (),
        frame: str = "",
    ) -> None:
        self.novelty, self.owner, self.request, self.n = novelty, owner, request, n
        self.kind, self.frame = kind, frame
        self.exclude = tuple(exclude)
        self.relevance = relevance
        self.unlike = tuple(unlike)
        self.also_unlike = tuple(also_unlike)
        self.examples = np.zeros((0, 0), dtype=np.float32)
        self.items: list[T] = []
        self.texts: list[str] = []
        self.embedder: Embedder = novelty.current()
        self.query = np.zeros(0, dtype=np.float32)
        self.pool = np.zeros((0, 0), dtype=np.float32)
        self.known = Known.empty()
        self._pick = Pick(())
        self._setup: asyncio.Task[None] | None = None

    def begin(self) -> None:
        """Start the setup in the background; add() and remember() wait for it."""
        self._setup = asyncio.create_task(self._start())
        # Its failure surfaces in add(); one that nobody awaits (the request failed
        # first) is not worth a "never retrieved" warning.
        self._setup.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _ready(self) -> None:
        if self._setup is not None:
            await self._setup

    async def _start(self) -> None:
        embedder, query = await self.novelty.embed([self.request], query=True)
        await self._judge_with(embedder, query[0])

    async def _judge_with(self, embedder: Embedder, query: np.ndarray) -> None:
        """What candidates are compared with, all under one embedder: the request, the
        owner's earlier items and the few-shot examples."""
        self.embedder, self.query = embedder, query
        self.known = await self.novelty.known(self.owner, embedder, self.exclude)
        await self._reframe()
        await self._examples()

    async def _reframe(self) -> None:
        """The newest earlier items that carry the frame, compared without it."""
        if not self.frame:
            return
        whole = [embed_text(k, t) for k, t in zip(self.known.kinds, self.known.texts, strict=True)]
        rows = [i for i, t in enumerate(whole) if without_frame(t, self.frame) != t][:REFRAME]
        if not rows:
            return
        try:
            vectors = await self.embedder.embed([without_frame(whole[i], self.frame) for i in rows])
        except Exception as exc:  # compared as stored: nothing is lost but the reframing
            log.warning("could not embed earlier items without their series name: %s", exc)
            return
        matrix = self.known.matrix.copy()
        matrix[rows] = vectors
        self.known = replace(self.known, matrix=matrix)

    async def _examples(self) -> None:
        self.examples = np.zeros((0, 0), dtype=np.float32)
        subjects = (*self.unlike, *self.also_unlike)
        if not subjects or not self.embedder.semantic:
            return
        try:
            examples = await self.novelty.fixed(self.embedder, subjects)
        except Exception as exc:  # judged without them: nothing is lost but the check
            log.warning("could not embed the example subjects: %s", exc)
            return
        # An example about what was asked (ramen, asked for ramen) is no wrong turn.
        related = self.embedder.min_relevance
        if related is not None:
            keep = np.ones(len(subjects), dtype=bool)
            keep[: len(self.unlike)] = examples[: len(self.unlike)] @ self.query < related
            examples = examples[keep]
        self.examples = examples

    def _copies(self) -> np.ndarray | None:
        if not len(self.examples) or not len(self.pool):
            return None
        to_examples = (self.pool @ self.examples.T).max(axis=1)
        return np.asarray(to_examples > self.pool @ self.query)

    async def add(self, candidates: Sequence[tuple[str, T]]) -> None:
        """More candidates (text to compare, the skill's item); exact repeats are skipped."""
        await self._ready()
        seen = {_normal(t) for t in self.texts}
        new: list[tuple[str, T]] = []
        for text, item in candidates:
            if text.strip() and _normal(text) not in seen:
                seen.add(_normal(text))
                new.append((text, item))
        if not new:
            return
        compared = [without_frame(t, self.frame) if self.frame else t for t, _ in new]
        embedder, vectors = await self.novelty.embed(compared, embedder=self.embedder)
        if embedder is not self.embedder:  # the embedder failed mid-request: start over
            await self._judge_with(embedder, (await embedder.embed([self.request], query=True))[0])
            earlier = [without_frame(t, self.frame) if self.frame else t for t in self.texts]
            self.pool = await embedder.embed(earlier) if earlier else self.pool[:0]
        self.texts += [t for t, _ in new]
        self.items += [i for _, i in new]
        self.pool = vectors if not len(self.pool) else np.vstack([self.pool, vectors])
        self._pick = pick(
            self.query,
            self.pool,
            self.known.matrix,
            self.n,
            self.novelty.threshold(self.embedder),
            self.embedder.min_relevance if self.relevance else None,
            ranked=self.relevance,
            copies=self._copies(),
            kinds=[self.kind(i) for i in self.items] if self.kind else None,
        )

    @property
    def complete(self) -> bool:
        """Enough fresh, on-topic, distinct candidates: no need to generate more."""
        return self._pick.complete

    @property
    def filled(self) -> bool:
        """Enough fresh, distinct candidates, whether on topic or not."""
        return self._pick.filled

    def why_fewer(self) -> str:
        """Why fewer than `n` are shown, for a line saying so: a short answer with no word
        of why read as a count ignored (asked for 5 ideas, 1 came)."""
        if self._pick.twins:
            return "the model's others repeated " + (
                "it" if len(self._pick.chosen) == 1 else "these"
            )
        if self._pick.copies:
            return "the model's others were about something else"
        return "the model gave no more usable ones"

    def chosen(self) -> list[Choice[T]]:
        out = []
        for i in self._pick.chosen:
            note = ""
            if i in self._pick.close:
                note = self._close_note(self._pick.close[i])
            on_topic = i not in self._pick.off_topic
            out.append(Choice(self.items[i], self.texts[i], note, on_topic))
        return out

    def _close_note(self, index: int) -> str:
        kind, item_id = self.known.keys[index]
        if kind == "draft":
            return f"close to #{item_id}"
        text = " ".join(self.known.texts[index].split())
        return f"close to what you posted: “{text[:40]}{'…' if len(text) > 40 else ''}”"

    async def remember(self, keys: Sequence[Key]) -> None:
        """Store the vectors of the chosen candidates, saved under `keys` (same order)."""
        await self._ready()
        vectors = self.pool[list(self._pick.chosen)][: len(keys)]
        if self.frame and len(keys):  # stored whole, as every other item is
            try:
                vectors = await self.embedder.embed(
                    [self.texts[i] for i in self._pick.chosen][: len(keys)]
                )
            except Exception as exc:  # left without: embedded when next needed
                log.warning("could not embed the chosen items: %s", exc)
                return
        if len(keys):
            await self.novelty.memory.save_vectors(self.owner, self.embedder.name, keys, vectors)
