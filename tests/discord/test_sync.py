"""`muse discord sync`: the payload comes from the one registry; --dry-run sends nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from bot.commands import CommandSpec
from bot.config import Settings, SettingsError, load_settings
from bot.core import Core
from bot.messages import Reply
from bot.platforms import PLATFORMS
from bot.skills import command_registry
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
        # A command with subcommands has them as its options, each with its params.
        subs = {o["name"]: o for o in command["options"] if o["type"] == 1}
        assert set(subs) == {sub.name for sub in spec.subs}
        for params, options in [(spec.params, command["options"])] * (not spec.subs) + [
            (sub.params, subs[sub.name]["options"]) for sub in spec.subs
        ]:
            assert {p.name for p in params} <= {o["name"] for o in options}
            required = [o["required"] for o in options]
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
        "reset",
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


def command_puts(fake: FakeDiscord) -> list[str]:
    return [c.path for c in fake.calls if c.method == "PUT" and c.path.endswith("/commands")]


async def start_and_stop(core: Core) -> None:
    bot = DiscordAdapter(core)
    await bot.start()
    await bot.stop()


async def _note(ctx: Any) -> AsyncIterator[Any]:
    yield Reply("noted")


async def test_start_syncs_only_when_the_commands_changed(core: Core, fake: FakeDiscord) -> None:
    await start_and_stop(core)
    assert command_puts(fake) == [f"/applications/{fake.app_id}/commands"]
    assert "caption" in {c["name"] for c in fake.commands["global"]}
    await start_and_stop(core)  # same commands: nothing sent
    assert len(command_puts(fake)) == 1
    core.registry.add(CommandSpec("note", "Keep a note.", "/note", handler=_note))
    await start_and_stop(core)  # a new command: synced again
    assert len(command_puts(fake)) == 2
    assert "note" in {c["name"] for c in fake.commands["global"]}


async def test_sync_off_never_syncs(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.settings.discord, "sync", "off")
    await start_and_stop(core)
    core.registry.add(CommandSpec("note", "Keep a note.", "/note", handler=_note))
    await start_and_stop(core)
    assert command_puts(fake) == []


async def test_sync_to_one_server(settings: Settings, fake: FakeDiscord) -> None:
    settings.discord.sync = fake.guild_id
    core = await Core.create(settings)
    try:
        await start_and_stop(core)
        await start_and_stop(core)
    finally:
        await core.close()
    assert command_puts(fake) == [f"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands"]
    assert all("contexts" not in c for c in fake.commands[fake.guild_id])


def test_sync_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSE_DISCORD__SYNC", "sometimes")
    with pytest.raises(SettingsError, match="MUSE_DISCORD__SYNC"):
        load_settings()
    monkeypatch.setenv("MUSE_DISCORD__SYNC", "OFF")
    assert load_settings().discord.sync == "off"


async def test_manual_sync_counts_as_synced(core: Core, fake: FakeDiscord) -> None:
    assert await asyncio.to_thread(main, ["discord", "sync"]) == 0
    await start_and_stop(core)  # `muse discord sync` already sent these
    assert len(command_puts(fake)) == 1


async def test_a_refused_sync_does_not_stop_the_bot(
    core: Core, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.refuse_sync = True
    bot = DiscordAdapter(core)
    await bot.start()
    try:
        i = await fake.send_slash("help")
        await fake.wait_for(lambda: "/caption" in i.text())
    finally:
        await bot.stop()
    assert "could not sync the slash commands" in caplog.text
    await start_and_stop(core)  # not remembered as synced: tried again next start
    fake.refuse_sync = False
    await start_and_stop(core)
    assert "caption" in {c["name"] for c in fake.commands["global"]}
