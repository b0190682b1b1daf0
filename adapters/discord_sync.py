"""Registering the slash commands with Discord: at start when they changed
(`MUSE_DISCORD__SYNC` = auto | off | a server id) and by hand with `muse discord sync`.

What was last synced is remembered as a hash of the exact payload, per application and
scope, in the data dir: a restart with the same commands sends nothing (Discord limits
command creation per day), a new or changed command is synced on the next start."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

import aiohttp
import discord
from discord import app_commands

from adapters.discord_commands import build_tree, command_payload, payload_hash
from bot.config import Settings
from bot.url_secrets import mask_urls

log = logging.getLogger(__name__)

STATE_FILE = "discord-commands.json"


def _scope(app_id: int, guild: int | None) -> str:
    return f"{app_id}:{guild if guild is not None else 'global'}"


def _read_state(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(path: Path, scope: str, digest: str) -> None:
    state = _read_state(path)
    state[scope] = digest
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.replace(path)


async def upload(
    http: discord.http.HTTPClient,
    tree: app_commands.CommandTree[Any],
    app_id: int,
    guild: int | None,
    state_dir: Path,
) -> list[dict[str, Any]]:
    """PUT the tree's commands (globally or to one guild) and remember what was sent."""
    payload = command_payload(tree, guild=guild is not None)
    if guild is None:
        saved = await http.bulk_upsert_global_commands(app_id, payload)
    else:
        saved = await http.bulk_upsert_guild_commands(app_id, guild, payload)
    await asyncio.to_thread(
        _write_state, state_dir / STATE_FILE, _scope(app_id, guild), payload_hash(payload)
    )
    return [dict(c) for c in saved]


async def sync_if_changed(
    client: discord.Client, tree: app_commands.CommandTree[Any], settings: Settings
) -> bool:
    """At start: sync when the payload differs from the last one synced to that scope.
    Never stops the bot: a refusal is one warning in the log. True if it synced."""
    mode = settings.discord.sync
    if mode == "off" or client.application_id is None:
        return False
    guild = int(mode) if mode.isdigit() else None
    payload = command_payload(tree, guild=guild is not None)
    path = settings.data_dir / STATE_FILE
    state = await asyncio.to_thread(_read_state, path)
    if state.get(_scope(client.application_id, guild)) == payload_hash(payload):
        return False
    where = f"server {guild}" if guild is not None else "all servers"
    try:
        saved = await upload(client.http, tree, client.application_id, guild, settings.data_dir)
    except discord.HTTPException as exc:
        log.warning(
            "could not sync the slash commands to %s: %s %s (try `muse discord sync`)",
            where,
            exc.status,
            exc.text,
        )
        return False
    log.warning("synced %d slash commands to %s", len(saved), where)
    return True


class NoAnswers:
    """The CLI only needs the tree's shape; its callbacks never run."""

    async def on_slash(self, *args: Any) -> None:
        raise RuntimeError("not running")

    on_remix_menu = on_command_error = on_slash


def without_voice() -> None:
    """Muse never joins a voice channel: discord.py's start-up warnings that its voice
    libraries are missing read as a fault to whoever runs it."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def cli_tree() -> tuple[discord.Client, app_commands.CommandTree[Any]]:
    """The tree from the registry, without a database, a model or a connection (the
    guilds intent only so that discord.py doesn't warn it is off)."""
    from bot.skills import command_registry

    without_voice()
    client = discord.Client(intents=discord.Intents(guilds=True))
    return client, build_tree(client, command_registry(), NoAnswers())


async def sync_command(settings: Settings, guild: str | None, dry_run: bool) -> int:
    """`muse discord sync [--guild ID] [--dry-run]`."""
    if guild is not None and not (guild.isascii() and guild.isdigit()):
        print(f"muse: --guild wants a server id (digits), not {guild!r}", file=sys.stderr)
        return 2
    _client, tree = cli_tree()
    if dry_run:
        payload = command_payload(tree, guild=guild is not None)
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    if settings.discord.token is None:
        print(
            "muse: MUSE_DISCORD__TOKEN is not set (Developer Portal → Bot → Token)", file=sys.stderr
        )
        return 2
    from adapters.discord_client import set_api_base

    previous = set_api_base(settings.discord.api_base)
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(settings.discord.token.get_secret_value())
        app_id = settings.discord.application_id or (await http.application_info())["id"]
        target = int(guild) if guild else None
        saved = await upload(http, tree, int(app_id), target, settings.data_dir)
        where = (
            f"guild {guild} (available now)"
            if guild
            else "all servers (Discord may take up to an hour to show them)"
        )
    except discord.LoginFailure:
        print("muse: Discord rejected the token (MUSE_DISCORD__TOKEN)", file=sys.stderr)
        return 1
    except discord.HTTPException as exc:
        print(f"muse: Discord refused the commands: {exc.status} {exc.text}", file=sys.stderr)
        return 1
    except (aiohttp.ClientError, OSError) as exc:  # offline, a firewall: not a traceback
        where = mask_urls(settings.discord.api_base)
        print(f"muse: can't reach Discord at {where}: {exc or type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        await http.close()
        discord.http.Route.BASE = previous
    names = ", ".join(c["name"] for c in saved)
    print(f"Synced {len(saved)} commands to {where}: {names}")
    return 0
