"""`muse run discord` as a real process, configured only through the public env names
(MUSE_DISCORD__TOKEN, MUSE_DISCORD__API_BASE, MUSE_DISCORD__GATEWAY_URL)."""

from __future__ import annotations

from tests.discord.fake_discord import FakeDiscord
from tests.helpers import muse_run


async def test_muse_run_discord_process(fake: FakeDiscord) -> None:
    # The env (token, fake URLs, data dir, fake model) is set by the fixtures.
    async with muse_run("discord") as proc:
        await fake.wait_for(lambda: fake.identified, limit_s=60)
        assert fake.identified[0]["token"] == fake.token
        i = await fake.send_slash("caption", {"description": "a neon diner at night"})
        await fake.wait_for(lambda: "captions for" in i.text() and "✍️" not in i.text())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert fake.token not in proc.stderr
