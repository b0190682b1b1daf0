"""`muse discord sync`: the payload comes from the one registry; --dry-run sends nothing."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.core import command_registry
from bot.platforms import PLATFORMS
from muse.cli import main
from tests.discord.fake_discord import FakeDiscord


def test_dry_run_prints_every_command(
    capsys: pytest.CaptureFixture[str], fake: FakeDiscord
) -> None:
    assert main(["discord", "sync", "--dry-run"]) == 0
    payload = json.loads(capsys.readouterr().out)
    registry = command_registry()
    by_name = {c["name"]: c for c in payload}
    for spec in registry.visible():
        command = by_name[spec.name]
        assert command["type"] == 1 and command["description"] == spec.summary
        declared = {p.name for p in spec.params}
        assert declared <= {o["name"] for o in command["options"]}
        required = [o["required"] for o in command["options"]]
        assert required == sorted(required, reverse=True)  # required options first
    for name in ("brainstorm", "caption", "remix", "style", "history", "export", "forget", "help"):
        assert name in by_name
    assert "start" not in by_name  # hidden
    caption = {o["name"]: o for o in by_name["caption"]["options"]}
    assert [c["value"] for c in caption["platform"]["choices"]] == list(PLATFORMS)
    assert caption["tone"]["choices"] and len(caption["tone"]["choices"]) <= 25
    assert caption["description"]["required"] is True
    assert {o["name"] for o in by_name["style"]["options"]} == {
        "voice",
        "audience",
        "platforms",
        "avoid",
    }
    (menu,) = [c for c in payload if c["type"] == 3]
    assert menu["name"] == "Remix with Muse" and menu["contexts"] == [0, 1]
    assert all(c["contexts"] == [0, 1] for c in payload)  # servers and DMs with Muse
    assert not fake.calls  # no network


async def test_sync_puts_the_commands(
    fake: FakeDiscord, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(main, ["discord", "sync", "--guild", fake.guild_id])
    assert code == 0, capsys.readouterr()
    saved = fake.commands[fake.guild_id]
    assert "Remix with Muse" in {c["name"] for c in saved}
    assert all("contexts" not in c for c in saved)
    assert any(
        c.method == "PUT" and c.path.endswith(f"/guilds/{fake.guild_id}/commands")
        for c in fake.calls
    )
    code = await asyncio.to_thread(main, ["discord", "sync"])
    assert code == 0
    assert {c["name"] for c in fake.commands["global"]} == {c["name"] for c in saved}
    assert "Synced" in capsys.readouterr().out
