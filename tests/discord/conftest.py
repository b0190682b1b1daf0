"""Discord end-to-end fixtures: a fake Discord per test and a real discord.py client
(the adapter) connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord import DiscordAdapter
from bot.core import Core
from tests.discord.fake_discord import FakeDiscord


@pytest.fixture(autouse=True)
async def fake(muse_env: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    monkeypatch.setenv("MUSE_DISCORD__TOKEN", server.token)
    monkeypatch.setenv("MUSE_DISCORD__API_BASE", server.api_base)
    monkeypatch.setenv("MUSE_DISCORD__GATEWAY_URL", server.gateway_url)
    yield server
    await server.close()


@pytest.fixture
async def adapter(core: Core, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    bot = DiscordAdapter(core, edit_interval=0.05)
    await bot.start()
    yield bot
    await bot.stop()
    assert not fake.unhandled, fake.unhandled


@pytest.fixture
async def muse(core: Core, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    """Muse running as `muse run discord` starts it (core.start() after the adapter)."""
    from tests.discord.test_sessions import run_muse
    from tests.fakes.clock import FakeClock

    bot = await run_muse(core, FakeClock())
    yield bot
    await bot.stop()
    core.detach("discord")
    assert not fake.unhandled, fake.unhandled
