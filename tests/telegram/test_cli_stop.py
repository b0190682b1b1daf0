"""`muse run telegram` stopped by SIGTERM or Ctrl-C: exit 0, and muse.log says it stopped."""

from __future__ import annotations

import signal

import pytest

from bot.config import Settings
from tests.helpers import muse_run
from tests.telegram.conftest import final
from tests.telegram.fake_bot_api import FakeBotAPI

ALICE = 111


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
async def test_the_logs_last_line_says_muse_stopped(
    fake: FakeBotAPI, settings: Settings, sig: signal.Signals
) -> None:
    """The log ended on "shutting down: finishing in-flight replies" after a clean stop,
    the same as a stop that hung or was killed half-way: an operator reading it after
    `systemctl stop` couldn't tell which."""
    async with muse_run("telegram") as run:
        await fake.wait_for(lambda: fake.of("deleteWebhook"), 60)
        await fake.push_message("/help")
        await final(fake, ALICE, "Here is what I can do", within=60)
        assert run.proc is not None
        run.proc.send_signal(sig)
    assert run.returncode == 0, run.stderr[-2000:]
    last = (settings.data_dir / "muse.log").read_text().splitlines()[-1]
    assert last.endswith("WARNING muse: stopped (exit code 0)"), last
