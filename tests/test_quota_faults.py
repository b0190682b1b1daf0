"""A request Muse could not answer costs none of the person's daily quota: the failure
is Muse's (its model server was down), and the answer says to try again."""

from __future__ import annotations

import pytest

from bot.config import Settings, load_settings
from bot.core import Core
from tests.fakes.openai_server import FakeOpenAI, server_error
from tests.helpers import ask
from tests.test_policy import all_two_requests_left


@pytest.fixture
def settings(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The shared `core` fixture runs on these: the fake server, no retries."""
    monkeypatch.setenv("MUSE_LLM__MAX_RETRIES", "0")
    monkeypatch.setenv("MUSE_TELEGRAM__DAILY_QUOTA", "2")
    return load_settings()


async def test_a_request_the_model_server_failed_costs_none_of_the_quota(
    core: Core, server: FakeOpenAI
) -> None:
    server.enqueue(server_error(), server_error())
    for _ in range(2):
        down = await ask(core, "/caption a tram", platform="telegram")
        assert down.is_error and "try again in a minute" in down.text
    await all_two_requests_left(core)
