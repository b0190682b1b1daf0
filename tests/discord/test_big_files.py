"""A file over Discord's upload limit (10 MiB from a bot, whatever the server's boost; a
DM never takes more) is refused with 413 and fails its whole message: a heavy creator's
/export must still get an answer."""

from __future__ import annotations

import sqlite3

from adapters.discord import DiscordAdapter
from bot.core import Core
from tests.discord.fake_discord import FakeDiscord
from tests.discord.test_interactions import finished

DISCORD_LIMIT = 10 * 1024 * 1024


async def test_an_export_over_the_upload_limit_is_an_answer_not_silence(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core
) -> None:
    fake.upload_limit = DISCORD_LIMIT
    style = await fake.send_slash("style", {"voice": "warm"})
    await fake.wait_for(lambda: finished(style, "Saved"))
    person = await core.memory.find_user("discord", fake.user()["id"])
    with sqlite3.connect(core.settings.db_path) as db:  # a year of daily captions
        db.executemany(
            "insert into drafts (owner_id, author_id, kind, platform, label, text, request, "
            "status, created_at) values (?, ?, 'caption', 'instagram', 'warm', ?, "
            "'a tram at dawn', 'draft', '2026-01-01T08:00:00+00:00')",
            [(person, person, f"Tram {n} at dawn, empty and gold. " * 8) for n in range(40000)],
        )
    export = await fake.send_slash("export")
    await fake.wait_for(lambda: finished(export, "everything I keep about you"))
    shown = export.text()
    assert "muse-export.json" in shown and "10 MB" in shown
    assert all(len(a["data"]) <= DISCORD_LIMIT for m in export.visible() for a in m["attachments"])
