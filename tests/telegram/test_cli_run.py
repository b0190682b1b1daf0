"""`muse run telegram` as a real process, configured only through the public env names
(MUSE_TELEGRAM__TOKEN, MUSE_TELEGRAM__BASE_URL), stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import json

from bot.config import Settings
from tests.helpers import muse_run
from tests.telegram.conftest import final
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI

ALICE = 111


async def test_muse_run_telegram_process(fake: FakeBotAPI, settings: Settings) -> None:
    # The env (token, the fake's base URL, data dir, fake model) is set by the fixtures.
    async with muse_run("telegram") as proc:
        await fake.wait_for(lambda: fake.of("deleteWebhook"), 60)  # polling is starting
        menu = fake.of("setMyCommands")[-1].params["commands"]
        names = {c["command"] for c in (json.loads(menu) if isinstance(menu, str) else menu)}
        assert {"caption", "brainstorm", "remix", "style", "export", "forget"} <= names
        await fake.push_message("/caption a neon diner at night for x")
        answer = await final(fake, ALICE, "captions for X", within=60)
        assert any(label.startswith("Pick") for row in answer.buttons for label, _ in row)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert TOKEN not in proc.stderr


async def test_a_vote_just_before_a_restart_shows_on_its_button(
    fake: FakeBotAPI, settings: Settings
) -> None:
    """Vote counts are edited a few seconds after the votes. Stopped in between, Muse
    sends the edit before its Telegram connection goes: nothing would refresh it later."""
    group = fake.group(-1009876543210)
    alice, bob = fake.user(ALICE, "alice", "Alice"), fake.user(222, "bob", "Bob")
    async with muse_run("telegram"):
        await fake.wait_for(lambda: fake.of("deleteWebhook"), 60)
        await fake.push_message("/session start stream names 30", user=alice, chat=group)
        seed = await final(fake, group["id"], "— Muse", within=60)  # the first seed idea
        assert seed.buttons[0][0][0] == "👍 0"
        query = await fake.press_button(seed, "👍", user=bob)
        await fake.wait_for(lambda: fake.callback_answers.get(query))
    assert seed.buttons[0][0][0] == "👍 1"


async def test_muse_run_telegram_exits_when_its_token_is_revoked(
    fake: FakeBotAPI, settings: Settings
) -> None:
    """The token is revoked in @BotFather while Muse runs: polling can never succeed
    again. A process left running would answer nobody, and a supervisor would never
    restart it with the new token: it exits 1, saying why."""
    async with muse_run("telegram") as proc:
        await fake.wait_for(lambda: fake.of("deleteWebhook"), 60)  # polling is starting
        await fake.revoke_token()
        assert proc.proc is not None
        await asyncio.wait_for(proc.proc.wait(), 60)
    assert proc.returncode == 1
    assert "muse: telegram stopped for good: Telegram rejected the token" in proc.stderr
    assert TOKEN not in proc.stderr
    assert "Traceback" not in proc.stderr
