"""Evaluate the embedders novelty uses, on short fixed social-media texts.

    python bench/bench_embeddings.py

Prints a table and one JSON line: load time, milliseconds per text (one at a time and
batched, one thread), resident memory, and the cosine similarity ranges of paraphrase
pairs, different ideas on one topic, unrelated pairs, and captions against the request
they answer (on and off topic) — what the thresholds in bot/novelty/embedders.py are
calibrated from."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.novelty.embedders import Embedder, LexicalEmbedder, LocalEmbedder

PARAPHRASES = [
    ("Launch my first pixel art demo on Steam", "Launch your first pixel art demo on Steam"),
    (
        "Rain on the rails, espresso in hand. Lisbon doesn't stop for weather",
        "Espresso in hand and rain on the tracks: Lisbon keeps going in any weather",
    ),
    (
        "Behind the scenes of our bakery at 5am",
        "What our bakery looks like at 5 in the morning, behind the counter",
    ),
    (
        "Three guitar chords that unlock 50 songs",
        "3 chords on the guitar that let you play fifty songs",
    ),
    (
        "Our new sourdough croissant is finally here",
        "The sourdough croissant we've been working on is finally out",
    ),
]
SAME_TOPIC = [
    "Day 1 vs day 100 of building my pixel-art roguelike",
    "The bug that almost delayed our Steam demo",
    "Rate our pixel-art enemies from 1 to 10",
    "How I draw one dungeon tile in 60 seconds",
    "Wishlist day: what the Steam numbers taught me",
]
UNRELATED = [
    ("Launch my first pixel art demo on Steam", "Our new sourdough croissant is finally here"),
    ("Rain on the rails, espresso in hand", "Three guitar chords that unlock 50 songs"),
    ("Behind the scenes of our bakery at 5am", "Is it too late to learn guitar at 40?"),
    ("Tram 28 at 6am: empty seats and gold light", "Day 1 vs day 100 of learning guitar"),
    ("I have to brush it off. #Bread", "Rate our rainy-day coffee drinks from 1 to 10"),
]
REQUEST = "our new sourdough croissant"
ON_TOPIC = [
    "Our new sourdough croissant: 72 hours of patience, one flaky bite. #Sourdough",
    "Me: I'll just have one. The sourdough croissant: think again. #Croissants",
    "Butter, time and a little sour tang. Meet our new croissant. #Bakery",
]
OFF_TOPIC = [
    "I have to brush it off. #Bread #Croissants",
    "Rate our rainy-day coffee drinks from 1 to 10 #Coffee",
]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


async def measure(embedder: Embedder) -> dict[str, object]:
    rss0 = rss_mb()
    start = time.perf_counter()
    await embedder.embed(["warm-up"])
    load_s = time.perf_counter() - start
    texts = [t for pair in PARAPHRASES for t in pair] + SAME_TOPIC + ON_TOPIC + OFF_TOPIC
    start = time.perf_counter()
    for text in texts:
        await embedder.embed([text])
    single_ms = (time.perf_counter() - start) / len(texts) * 1000
    start = time.perf_counter()
    await embedder.embed(texts)
    batch_ms = (time.perf_counter() - start) / len(texts) * 1000

    async def sims(pairs: list[tuple[str, str]]) -> list[float]:
        vectors = await embedder.embed([t for pair in pairs for t in pair])
        return [round(float(vectors[2 * i] @ vectors[2 * i + 1]), 3) for i in range(len(pairs))]

    same_pairs = [(a, b) for i, a in enumerate(SAME_TOPIC) for b in SAME_TOPIC[i + 1 :]]
    query = (await embedder.embed([REQUEST], query=True))[0]
    on = (await embedder.embed(ON_TOPIC)) @ query
    off = (await embedder.embed(OFF_TOPIC)) @ query
    para, same, unrel = await sims(PARAPHRASES), await sims(same_pairs), await sims(UNRELATED)
    return {
        "embedder": embedder.name,
        "load_s": round(load_s, 3),
        "ms_per_text": round(single_ms, 1),
        "ms_per_text_batched": round(batch_ms, 1),
        "rss_added_mb": round(rss_mb() - rss0, 1),
        "paraphrase": [min(para), max(para)],
        "same_topic_different": [min(same), max(same)],
        "unrelated": [min(unrel), max(unrel)],
        "request_vs_on_topic": [round(float(on.min()), 3), round(float(on.max()), 3)],
        "request_vs_off_topic": [round(float(off.min()), 3), round(float(off.max()), 3)],
        "threshold": embedder.threshold,
        "min_relevance": embedder.min_relevance,
    }


async def main() -> None:
    rows = []
    for embedder in (LocalEmbedder(), LocalEmbedder("e5-small-enpt"), LexicalEmbedder()):
        rows.append(await measure(embedder))
        embedder.close()
    keys = [k for k in rows[0] if k != "embedder"]
    print(f"{'':<24}" + "".join(f"{str(r['embedder'])[-22:]:>24}" for r in rows))
    for key in keys:
        print(f"{key:<24}" + "".join(f"{r[key]!s:>24}" for r in rows))
    print(json.dumps({"bench": "embeddings", "cpus": os.cpu_count(), "rows": rows}))


if __name__ == "__main__":
    asyncio.run(main())
