"""The real embedded model (gemma-3-270m via llama.cpp) through the real Core: one
model load for the module, one generation per test. Marked slow; CI runs it too."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.config import Settings, load_settings
from bot.core import Core
from bot.llm.embedded import EmbeddedLLM
from bot.skills.chat import CUT_NOTE
from bot.skills.common import similarity
from tests.fakes.openai_server import closed_port
from tests.helpers import ask

pytest.importorskip("llama_cpp")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gemma() -> EmbeddedLLM:
    """Loaded once for the module; each test still gets its own Core and data dir.
    A fixed seed keeps the run reproducible on one machine."""
    model = EmbeddedLLM(seed=1234, timeout_s=120)
    model.load()
    return model


@pytest.fixture
def embedded_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "embedded")
    settings = load_settings()
    assert settings.llm.provider == "embedded" and settings.llm.prompt_style == "auto"
    return settings


@pytest.fixture
async def core(embedded_settings: Settings, gemma: EmbeddedLLM) -> AsyncIterator[Core]:
    core = await Core.create(embedded_settings, model=gemma)
    assert core.llm.style == "completion"
    yield core
    await core.close()


async def test_caption_gives_three_distinct_captions(core: Core) -> None:
    answer = await ask(core, "/caption a rainy morning in Lisbon for instagram")

    assert not answer.is_error, answer.text
    captions = [d.text for d in answer.drafts]
    assert len(captions) >= 3, answer.text
    assert all(c.strip() for c in captions)
    assert len({c.strip().lower() for c in captions}) == len(captions)
    assert all(similarity(a, b) < 0.8 for i, a in enumerate(captions) for b in captions[i + 1 :])
    assert all(len(c) <= 2200 for c in captions)
    assert "3 captions for Instagram" in answer.text


async def test_a_caption_asked_in_french_comes_in_french(core: Core) -> None:
    """Before the form had an example in the request's language, this got "A croissant
    and coffee on an outdoor terrace in Paris" (bench/README.md, "Other languages")."""
    answer = await ask(core, "/caption un croissant et un café sur une terrasse à Paris")
    assert not answer.is_error, answer.text
    french = re.compile(r"\b(?:le|la|les|un|une|et|du|des|sur|au)\b", re.I)
    assert sum(bool(french.search(d.text)) for d in answer.drafts) >= 2, answer.text


async def test_brainstorm_gives_ideas_with_hook_angle_and_format(core: Core) -> None:
    answer = await ask(core, "/brainstorm home workouts for beginners 3")

    assert not answer.is_error, answer.text
    ideas = re.findall(r"^#\d+ \[([^\]]+)\] (.+)\n    Angle: (.+)$", answer.text, re.M)
    assert len(ideas) >= 3, answer.text
    assert all(fmt.strip() and hook.strip() and angle.strip() for fmt, hook, angle in ideas)


async def test_an_answer_at_the_token_cap_says_so_and_continues(
    embedded_settings: Settings, gemma: EmbeddedLLM
) -> None:
    embedded_settings.llm.chat_max_tokens = 4  # cuts "Use the hashtag #" (seeded)
    core = await Core.create(embedded_settings, model=gemma)
    try:
        answer = await ask(core, "How do I make my travel photos look better? Explain in detail.")
        assert answer.text.endswith(CUT_NOTE), answer.text
        more = await ask(core, "/continue")
    finally:
        await core.close()
    assert not more.is_error and more.text.startswith("…"), more.text


async def test_a_refused_server_falls_back_to_the_embedded_model(
    monkeypatch: pytest.MonkeyPatch, gemma: EmbeddedLLM
) -> None:
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "openai")
    monkeypatch.setenv("MUSE_LLM__BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("MUSE_LLM__MAX_RETRIES", "1")
    monkeypatch.setenv("MUSE_LLM__RETRY_INITIAL_S", "0.01")
    monkeypatch.setenv("MUSE_LLM__FALLBACK", "embedded")
    core = await Core.create(load_settings())
    core.llm.providers[1] = replace(core.llm.providers[1], model=gemma)  # loaded once
    try:
        answer = await ask(core, "/caption a rainy morning in Lisbon for instagram")
    finally:
        await core.close()
    assert not answer.is_error, answer.text
    assert len(answer.drafts) >= 1 and "captions for Instagram" in answer.text
