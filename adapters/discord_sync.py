"""`muse discord sync`: register the slash commands (from the core registry) and the
"Remix with Muse" message command with Discord, globally or for one guild."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import discord

from adapters.discord_commands import build_payload
from bot.config import Settings


def command_payload() -> list[dict[str, Any]]:
    """The registry's visible commands, without opening the database or loading a model."""
    from bot.core import command_registry

    return build_payload(command_registry().visible())


async def sync_command(settings: Settings, guild: str | None, dry_run: bool) -> int:
    payload = command_payload()
    if dry_run:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    if settings.discord.token is None:
        print("muse: MUSE_DISCORD__TOKEN is not set (Developer Portal → Bot → Token)")
        return 2
    from adapters.discord import set_api_base

    previous = set_api_base(settings.discord.api_base)
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(settings.discord.token.get_secret_value())
        app_id = settings.discord.application_id or (await http.application_info())["id"]
        if guild:
            # `contexts` is only valid on global commands.
            local = [{k: v for k, v in c.items() if k != "contexts"} for c in payload]
            saved = await http.bulk_upsert_guild_commands(int(app_id), int(guild), local)
            where = f"guild {guild} (available now)"
        else:
            saved = await http.bulk_upsert_global_commands(int(app_id), payload)
            where = "all servers (Discord may take up to an hour to show them)"
    except discord.LoginFailure:
        print("muse: Discord rejected the token (MUSE_DISCORD__TOKEN)")
        return 1
    except discord.HTTPException as exc:
        print(f"muse: Discord refused the commands: {exc.status} {exc.text}")
        return 1
    finally:
        await http.close()
        discord.http.Route.BASE = previous
    names = ", ".join(c["name"] for c in saved)
    print(f"Synced {len(saved)} commands to {where}: {names}")
    return 0
