"""Figure 7 — the embedded model (gemma-3-270m on llama.cpp): tokens/s and time to first
token through Muse's model layer vs llama-cpp-python called directly with the same
prompt and settings; and that the model loads at start, in the background.

    python bench/fig_embedded.py [--runs 3]"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, median, muse_env, run_alone
from bot.config import load_settings
from bot.core import Core
from bot.llm.chains import CONTINUATION, completion_prompt
from bot.llm.embedded import EmbeddedLLM
from bot.llm.engine import LLMEngine
from bot.platforms import PLATFORMS
from bot.skills.common import platform_vars

SEED = 1234
VARIABLES = {
    **platform_vars(PLATFORMS["instagram"]),
    "description": "a rainy morning in Lisbon, tram 28",
    "tones": "warm, witty, poetic",
    "like": "",
    "profile": "No style set yet: write in a natural, friendly voice.",
    "voice": "natural, friendly",
    "audience": "everyone",
    "count": 3,
    "series": "",
}


def direct(model: EmbeddedLLM, prompt: str, stop: list[str]) -> tuple[float, float, str]:
    """(seconds to first token, tokens/s after it, text) straight from llama-cpp-python."""
    llama = model.load()
    llama.reset()  # no KV-cache reuse from the previous run: both sides start cold
    params = model._params(llama, prompt, stop, {})
    params["seed"] = SEED
    start = time.perf_counter()
    first = 0.0
    text = ""
    for part in llama(prompt, stream=True, **params):
        if not first:
            first = time.perf_counter()
        text += part["choices"][0]["text"]
    end = time.perf_counter()
    return first - start, tokens(llama, text) / max(end - first, 1e-9), text


async def through_muse(engine: LLMEngine, llama: Any, primer: str) -> tuple[float, float, str]:
    llama.reset()
    start = time.perf_counter()
    first = 0.0
    text = ""
    async for delta in engine.stream("caption", VARIABLES):
        if not text and delta == primer:
            continue  # the engine puts the prompt's primer back in front: not a token
        if not first:
            first = time.perf_counter()
        text += delta
    end = time.perf_counter()
    return first - start, tokens(llama, text) / max(end - first, 1e-9), text


def tokens(llama: Any, text: str) -> int:
    return len(llama.tokenize(text.encode(), add_bos=False, special=False))


async def measure(runs: int) -> list[Row]:
    with muse_env(llm__provider="embedded"):
        settings = load_settings()
        core = await Core.create(settings)
        try:
            model = core.llm.model
            assert isinstance(model, EmbeddedLLM)
            model.seed = SEED  # same sampling as the direct calls
            started = time.perf_counter()
            await core.start()  # begins the background load
            load_s = time.perf_counter() - started
            assert core._warm is not None
            await asyncio.wait([core._warm])
            loaded_s = time.perf_counter() - started
            llama = model.load()
            spec = core.llm.prompts["caption"]
            prompt = completion_prompt(spec).replace("{" + CONTINUATION + "}", "")
            values = {name: VARIABLES.get(name, "") for name in spec.variables}
            prompt = prompt.format(**values, history="")
            stop = [*spec.completion.stop, "\n4."]  # as the engine asks for 3 items
            muse_ttft, muse_tps, direct_ttft, direct_tps = [], [], [], []
            for _ in range(runs):
                d_first, d_rate, _ = await asyncio.to_thread(direct, model, prompt, stop)
                primer = spec.completion.primer.rstrip(" \t")
                m_first, m_rate, _ = await through_muse(core.llm, llama, primer)
                direct_ttft.append(d_first * 1000)
                direct_tps.append(d_rate)
                muse_ttft.append(m_first * 1000)
                muse_tps.append(m_rate)
        finally:
            await core.close()
    tps, ref_tps = median(muse_tps), median(direct_tps)
    ttft, ref_ttft = median(muse_ttft), median(direct_ttft)
    return [
        Row(
            "7",
            "embedded tokens/s (median)",
            "tok/s",
            tps,
            ref_tps,
            "≥ 0.9× direct",
            tps >= 0.9 * ref_tps,
            "reference = llama-cpp-python called directly",
        ),
        Row(
            "7",
            "embedded time to first token (median)",
            "ms",
            ttft,
            ref_ttft,
            "≤ 1/0.9 × direct",
            ttft <= ref_ttft / 0.9,
        ),
        Row(
            "7",
            "model load, in the background from Core.start()",
            "s",
            loaded_s,
            None,
            "not on 1st message",
            load_s < 0.5,
            f"Core.start() returned after {load_s * 1000:.0f} ms; the load went on behind it",
        ),
    ]


async def run(quick: bool) -> list[Row]:
    return await measure(2 if quick else 5)


if __name__ == "__main__":
    run_alone(measure, "--runs", 5)
