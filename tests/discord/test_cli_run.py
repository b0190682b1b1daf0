"""`muse run discord` as a real process, configured only through the public env names
(MUSE_DISCORD__TOKEN, MUSE_DISCORD__API_BASE, MUSE_DISCORD__GATEWAY_URL)."""

from __future__ import annotations

import asyncio
import signal
import sys

from tests.discord.fake_discord import FakeDiscord


async def test_muse_run_discord_process(fake: FakeDiscord) -> None:
    # The env (token, fake URLs, data dir, fake model) is set by the fixtures.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "discord",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: fake.identified, limit_s=60)
        assert fake.identified[0]["token"] == fake.token
        i = await fake.send_slash("caption", {"description": "a neon diner at night"})
        await fake.wait_for(lambda: "captions for" in i.text() and "✍️" not in i.text())
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert fake.token not in err.decode()
