"""A file over Discord's upload limit (10 MiB from a bot, whatever the server's boost; a
DM never takes more) is refused with 413 and fails its whole message: a heavy creator's
/export must still arrive. The fake takes a lower limit, and tells it in each interaction
(`attachment_size_limit`) as Discord does, so no test builds 10 MB."""

from __future__ import annotations

import io
import json
import secrets
import sqlite3
import zipfile

from adapters.discord import DiscordAdapter
from bot.core import Core
from tests.discord.fake_discord import FakeDiscord
from tests.discord.test_interactions import finished

LIMIT = 256 * 1024


async def _drafts(core: Core, fake: FakeDiscord, texts: list[str]) -> None:
    style = await fake.send_slash("style", {"voice": "warm"})
    await fake.wait_for(lambda: finished(style, "Saved"))
    person = await core.memory.find_user("discord", fake.user()["id"])
    with sqlite3.connect(core.settings.db_path) as db:  # a year of daily captions
        db.executemany(
            "insert into drafts (owner_id, author_id, kind, platform, label, text, request, "
            "status, created_at) values (?, ?, 'caption', 'instagram', 'warm', ?, "
            "'a tram at dawn', 'draft', '2026-01-01T08:00:00+00:00')",
            [(person, person, text) for text in texts],
        )


async def test_an_export_over_the_upload_limit_comes_zipped(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core
) -> None:
    """It came with "(muse-export.json is 10.4 MB, more than the 10 MB …, so I couldn't
    attach it.)" and no file: JSON zips to a fraction, so it now comes as one zip."""
    fake.upload_limit = LIMIT
    await _drafts(core, fake, [f"Tram {n} at dawn, empty and gold. " * 8 for n in range(2000)])
    export = await fake.send_slash("export")
    await fake.wait_for(lambda: finished(export, "everything I keep about you"))
    assert "so here it is zipped" in export.text()
    (file,) = [a for m in export.visible() for a in m["attachments"]]
    assert file["filename"] == "muse-export.zip" and len(file["data"]) <= LIMIT
    with zipfile.ZipFile(io.BytesIO(file["data"])) as archive:
        data = json.loads(archive.read("muse-export.json"))
    assert len(data["drafts"]) == 2000


async def test_an_export_too_big_even_zipped_is_an_answer_not_silence(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core
) -> None:
    fake.upload_limit = LIMIT
    await _drafts(core, fake, [secrets.token_urlsafe(300) for _ in range(2000)])
    export = await fake.send_slash("export")
    await fake.wait_for(lambda: finished(export, "everything I keep about you"))
    assert "muse-export.json" in export.text() and "even zipped" in export.text()
    assert not [a for m in export.visible() for a in m["attachments"]]
