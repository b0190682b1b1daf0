"""The bot token is in every Bot API URL: it never reaches the log, stderr or a chat —
even at DEBUG, even when a server's error page quotes the URL back."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from bot.config import Settings
from tests.helpers import muse_run
from tests.telegram.conftest import final
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI

ALICE = 111


async def test_the_token_never_shows_in_logs_or_chats(
    fake: FakeBotAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSE_LOG_LEVEL", "DEBUG")
    fake.broken_files = True  # downloads fail with an error page that quotes the URL
    async with muse_run("telegram") as run:
        await fake.push_message("hello")
        await final(fake, ALICE, "Noted: hello", within=60)
        await fake.push_message("caption this please", photo=b"\xff\xd8\xff-a-photo")
        oops = await final(fake, ALICE, "couldn't fetch your photo", within=60)
    assert run.returncode == 0, run.stderr[-2000:]
    log = (settings.data_dir / "muse.log").read_text()
    assert "DEBUG" in log
    assert "Internal error while serving" in log and "/file/bot[secret]/" in log
    secret_half = TOKEN.split(":", 1)[1]
    for text in (log, run.stderr, oops.text, *fake.texts(ALICE)):
        assert secret_half not in text and quote(TOKEN, safe="") not in text
