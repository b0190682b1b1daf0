"""Benchmark the embedded model (gemma-3-270m, llama.cpp) on this machine.

    python bench/bench_embedded.py [--runs 1]

Prints a table and one JSON line: model load time, generation speed (tokens/s),
and /caption wall time and distinct captions through the real Core, per topic."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_settings
from bot.core import Core
from bot.llm.embedded import EmbeddedLLM
from bot.messages import Incoming, SessionKey

TOPICS = (
    "a rainy morning in Lisbon for instagram",
    "my first marathon finish line for x",
    "a homemade sourdough loaf for threads",
    "unboxing my new mechanical keyboard for tiktok",
    "a yoga class in the park for instagram",
)


def tokens_per_second(model: EmbeddedLLM, n: int = 128) -> float:
    llama = model.load()
    prompt = "Post: a walk along the river at dusk\nCaptions:\n1."
    start = time.perf_counter()
    out = llama(prompt, max_tokens=n, temperature=0.8, stop=[], seed=1)
    elapsed = time.perf_counter() - start
    return float(out["usage"]["completion_tokens"]) / elapsed


async def captions(runs: int) -> list[dict[str, object]]:
    os.environ["MUSE_LLM__PROVIDER"] = "embedded"
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MUSE_DATA_DIR"] = tmp
        settings = load_settings()
        model = EmbeddedLLM(timeout_s=settings.llm.timeout_s)
        start = time.perf_counter()
        await model.aload()
        load_s = time.perf_counter() - start
        tps = await asyncio.to_thread(tokens_per_second, model)
        rows.append({"what": "model load", "seconds": round(load_s, 2)})
        rows.append({"what": "generation", "tokens_per_s": round(tps, 1)})
        core = await Core.create(settings, model=model)
        try:
            for run in range(runs):
                for i, topic in enumerate(TOPICS):
                    session = SessionKey("bench", f"{run}-{i}")
                    msg = Incoming(session, f"u{run}-{i}", text=f"/caption {topic}")
                    start = time.perf_counter()
                    replies = await core.respond(msg)
                    wall = time.perf_counter() - start
                    final = replies[-1]
                    texts = [d.text for d in final.drafts]
                    rows.append(
                        {
                            "what": f"/caption {topic}",
                            "seconds": round(wall, 2),
                            "captions": len(texts),
                            "distinct": len({t.strip().lower() for t in texts}),
                            "error": final.text if final.is_error else "",
                            "sample": texts[0][:70] if texts else "",
                        }
                    )
        finally:
            await core.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    rows = asyncio.run(captions(args.runs))
    print(f"{'what':<58} {'s':>6} {'tok/s':>6} {'caps':>4} {'dist':>4}  sample")
    for r in rows:
        print(
            f"{str(r['what'])[:58]:<58} {r.get('seconds', ''):>6} {r.get('tokens_per_s', ''):>6}"
            f" {r.get('captions', ''):>4} {r.get('distinct', ''):>4}  {r.get('sample', '')}"
        )
    print(json.dumps({"bench": "embedded", "cpus": os.cpu_count(), "rows": rows}))


if __name__ == "__main__":
    main()
