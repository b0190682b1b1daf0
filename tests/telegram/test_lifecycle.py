"""Running and stopping: webhook mode, clean shutdown, start-up errors, logging hygiene."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from aiohttp import ClientSession
from pydantic import SecretStr

from adapters.telegram import TelegramAdapter, webhook_secret
from bot.config import SettingsError
from bot.core import Core
from bot.messages import Action, Button, Reply, SessionKey
from tests.telegram.conftest import Harness, fast_limiter, final
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI

ALICE = 111


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_webhook_mode_accepts_posted_updates(fake: FakeBotAPI, core: Core) -> None:
    port = free_port()
    cfg = core.settings.telegram
    cfg.webhook_url, cfg.listen, cfg.port = f"http://127.0.0.1:{port}/muse-hook", "127.0.0.1", port
    adapter = TelegramAdapter(core, rate_limiter=fast_limiter())
    await adapter.start()
    try:
        assert fake.webhook is not None and fake.webhook["url"] == cfg.webhook_url
        assert fake.webhook["secret_token"] == webhook_secret(TOKEN)
        await fake.push_message("/help")  # the fake POSTs it to the webhook
        await final(fake, ALICE, "Here is what I can do")
        # Without Telegram's secret header the update is refused.
        async with (
            ClientSession() as http,
            http.post(cfg.webhook_url, json={"update_id": 99, "message": {}}) as response,
        ):
            assert response.status == 403
        assert not fake.of("getUpdates")
    finally:
        await adapter.stop()


async def test_stop_finishes_in_flight_replies_and_loses_nothing(tg: Harness) -> None:
    fake = tg.fake
    gate = fake.hold("sendMessage")  # the answer is under way but stuck
    first = await fake.push_message("first")
    await fake.wait_for(lambda: fake.held)
    stopping = asyncio.create_task(tg.adapter.stop())
    await asyncio.sleep(0.05)
    second = await fake.push_message("second")
    gate.set()
    await stopping
    assert "Noted: first." in " ".join(fake.texts(ALICE))
    # The second message was either answered or is still waiting, unconfirmed, for
    # the next start: never acknowledged and dropped.
    answered = "Noted: second." in " ".join(fake.texts(ALICE))
    pending = [u["message"]["text"] for u in fake.updates if "message" in u]
    assert answered or pending == ["second"]
    assert first["text"] not in pending
    assert second


async def test_rejected_token_is_one_clear_line(fake: FakeBotAPI, core: Core) -> None:
    core.settings.telegram.token = SecretStr("999:wrong")
    with pytest.raises(SettingsError, match="rejected by Telegram"):
        await TelegramAdapter(core, rate_limiter=fast_limiter()).start()


async def test_unexpected_failure_is_a_friendly_line(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(msg: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(tg.core, "handle", broken)
    await tg.fake.push_message("hello")
    await final(tg.fake, ALICE, "Something went wrong on my side")


async def test_no_token_or_user_text_in_info_logs(
    fake: FakeBotAPI, core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    adapter = TelegramAdapter(core, rate_limiter=fast_limiter())
    await adapter.start()
    try:
        await fake.push_message("/caption my secret launch plan")
        await final(fake, ALICE, "3 captions")
        fake.parse_failures = 1
        await fake.push_message("/help")
        await final(fake, ALICE, "Here is what I can do")
    finally:
        await adapter.stop()
    assert caplog.records
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    assert "secret launch plan" not in caplog.text


async def test_webhook_port_in_use_is_one_clear_line(fake: FakeBotAPI, core: Core) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cfg = core.settings.telegram
        cfg.webhook_url, cfg.port = f"http://127.0.0.1:{port}/hook", port
        with pytest.raises(SettingsError, match="can't listen"):
            await TelegramAdapter(core, rate_limiter=fast_limiter()).start()


async def test_post_delivers_a_notice_outside_a_request(tg: Harness) -> None:
    notice = Reply(
        "Heads-up: <maintenance> at 5 & back soon",
        buttons=((Button("Help", Action("caption", 1)),),),
    )
    ids = await tg.adapter.post(SessionKey("telegram", "-100500", "77"), notice)
    sent = await final(tg.fake, -100500, "Heads-up")
    assert sent.text == notice.text and sent.thread_id == 77 and sent.buttons
    assert ids == [str(sent.message_id)]
