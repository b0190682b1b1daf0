"""Shared fixtures: every test gets its own data dir and a Core on the scripted model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture(autouse=True)
def muse_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Isolate every test: its own data dir, the fake provider, no user config."""
    for key in list(__import__("os").environ):
        if key.startswith("MUSE_"):
            monkeypatch.delenv(key, raising=False)
    data = tmp_path / "data"
    monkeypatch.setenv("MUSE_DATA_DIR", str(data))
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "fake")
    # The scripted model's answers share one template ("Plot twist: <subject>, told
    # witty"), which a real sentence embedder rightly calls near-duplicates: tests
    # compare words unless they choose an embedder (tests/test_novelty*.py do).
    monkeypatch.setenv("MUSE_EMBEDDINGS__PROVIDER", "off")
    return data


@pytest.fixture
def settings(muse_env: Path) -> Settings:
    return load_settings()


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    core = await Core.create(settings)
    yield core
    await core.close()


@pytest.fixture
def model(core: Core) -> ScriptedChatModel:
    """The scripted model behind `core`: enqueue() answers, read .calls."""
    assert isinstance(core.llm.model, ScriptedChatModel)
    return core.llm.model


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeOpenAI]:
    """The fake OpenAI-compatible server, with Muse pointed at it (provider openai);
    a test's own fixtures add the other MUSE_LLM__* settings it needs."""
    fake = FakeOpenAI()
    await fake.start()
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "openai")
    monkeypatch.setenv("MUSE_LLM__BASE_URL", fake.base_url)
    yield fake
    await fake.close()


@pytest.fixture
async def restarts(settings: Settings) -> AsyncIterator[list[Core]]:
    """The cores a test starts (again) on its data dir: each closed at its end."""
    running: list[Core] = []
    yield running
    for core in running:
        if core.memory._db is not None:
            await core.close()
