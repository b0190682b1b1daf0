"""Slash command options typed the way people type them."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from adapters.discord_commands import command_payload
from adapters.discord_sync import cli_tree
from bot.commands import CommandSpec, Registry
from bot.llm.fake import ScriptedChatModel
from tests.discord.fake_discord import FakeDiscord
from tests.session_kit import SEEDS


async def test_counts_in_arabic_indic_digits_are_numbers_in_options_too(
    muse: DiscordAdapter,
    fake: FakeDiscord,
    model: ScriptedChatModel,
) -> None:
    """ "/brainstorm tram ٣" typed as text gave 3 ideas, yet the count option "٣" was
    "must be a whole number from 1 to 10" (the minutes "٢٠" of /session start too)."""
    i = await fake.send_slash("brainstorm", {"topic": "night trams", "count": "٣"}, dm=True)
    await fake.wait_for(lambda: "Like one?" in i.text() or i.followups)
    assert i.text().startswith("3 ideas for “night trams”")
    model.enqueue(SEEDS)
    s = await fake.send_slash("session", {"topic": "stream names", "minutes": "٢٠"}, sub="start")
    await fake.wait_for(lambda: s.followups or "Bring your ideas there" in s.text())
    assert "whole number" not in s.text()
    assert "until 18:20 UTC" in s.text()  # the clock stands at 18:00: 20 minutes
    bad = await fake.send_slash("brainstorm", {"topic": "trams", "count": "²"}, dm=True)
    await fake.wait_for(lambda: bad.followups)
    assert "must be a whole number from 1 to 10" in bad.text()


async def test_a_session_command_in_a_dm_points_to_a_server_channel(
    muse: DiscordAdapter, fake: FakeDiscord
) -> None:
    """In a DM, "/session start" said "Brainstorm sessions happen in groups — add me to
    one": on Discord a group is a group DM, where Muse can't be added."""
    for name, options, sub in (
        ("session", {"topic": "names"}, "start"),
        ("idea", {"text": "Retro Rain Radio"}, None),
        ("riff", {"idea": "#1"}, None),
    ):
        i = await fake.send_slash(name, options, sub=sub, dm=True)
        await fake.wait_for(lambda i=i: i.followups)
        assert i.text() == (
            "Brainstorm sessions happen in a server's channels — send /session start <topic> "
            "in a channel I'm in."
        )


async def test_the_style_form_can_clear_the_style(muse: DiscordAdapter, fake: FakeDiscord) -> None:
    """README: "/style reset clears everything"; typed it did, but the slash form had no
    way to, so a Discord user could only blank each field."""
    saved = await fake.send_slash("style", {"voice": "dry", "audience": "cyclists"}, dm=True)
    await fake.wait_for(lambda: "Saved" in saved.text())
    reset = await fake.send_slash("style", {"reset": "yes"}, dm=True)
    await fake.wait_for(lambda: "cleared" in reset.text())
    after = await fake.send_slash("style", {"platforms": "x"}, dm=True)  # shows the rest
    await fake.wait_for(lambda: "Saved" in after.text())
    assert "Voice: — · Audience: —" in after.text()


def _options(command: dict[str, Any]) -> list[dict[str, Any]]:
    """Every option of a slash command and of its subcommands."""
    found = []
    for option in command.get("options", []):
        found += _options(option) if option["type"] == 1 else [option]
    return found


def test_every_slash_option_has_a_meaningful_name_and_description() -> None:
    """/pick and /more showed one option named "args", described "/pick #id" (their
    draft id was only in the usage); /forget's too. Each is named for what it takes."""
    _, tree = cli_tree()
    payload = {c["name"]: c for c in command_payload(tree)}
    for command in payload.values():
        for option in _options(command):
            assert option["name"] != "args", command["name"]
            assert not option["description"].startswith("/"), command["name"]
    for name in ("pick", "more"):
        (draft,) = payload[name]["options"]
        assert draft["name"] == "draft" and draft["required"] is True
    (confirm,) = payload["forget"]["options"]
    assert confirm["name"] == "confirm" and not confirm.get("required")
    (asked,) = payload["help"]["options"]
    assert asked["name"] == "command" and {"caption", "series"} <= {
        c["value"] for c in asked["choices"]
    }


def test_a_command_showing_arguments_must_declare_them() -> None:
    """The registry refuses what would become an "args" option on Discord again."""

    async def handler(ctx: Any) -> Any:
        yield None

    registry = Registry()
    with pytest.raises(ValueError, match="declares no params"):
        registry.add(CommandSpec("plan", "Plan.", "/plan <topic>", handler))


async def test_slash_options_are_typed_like_text_commands(
    muse: DiscordAdapter, fake: FakeDiscord
) -> None:
    """/pick draft: 1 and /help command: caption do what "/pick #1" and "/help caption"
    do on Telegram; /forget confirm: confirm deletes at once, as "/forget confirm" does."""
    cap = await fake.send_slash("caption", {"description": "a rainy tram"}, dm=True)
    await fake.wait_for(lambda: "captions for" in cap.text() and "✍️" not in cap.text())
    pick = await fake.send_slash("pick", {"draft": "1"}, dm=True)
    await fake.wait_for(lambda: "Picked #1" in pick.text())
    asked = await fake.send_slash("help", {"command": "caption"}, dm=True)
    await fake.wait_for(lambda: "/caption <what the post shows>" in asked.text())
    assert "Here is what I can do" not in asked.text()
    gone = await fake.send_slash("forget", {"confirm": "confirm"}, dm=True)
    await fake.wait_for(lambda: "I no longer know you" in gone.text())
