"""The discord.py client behind the adapter: minimal intents, the command tree from the
registry, persistent buttons, events handed to the adapter, and the wiring that points
it at another gateway/API (a self-hosted Discord-compatible server, or the test fake)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl

from adapters.discord_commands import build_tree
from adapters.discord_render import MuseButton
from adapters.discord_sync import sync_if_changed, without_voice
from bot.messages import Action

if TYPE_CHECKING:
    from adapters.discord import DiscordAdapter

log = logging.getLogger(__name__)


def intents(message_content: bool = False) -> discord.Intents:
    """Only what Muse uses. Discord includes the content of DMs and of messages that
    mention the bot without the privileged Message Content intent."""
    wanted = discord.Intents.none()
    wanted.guilds = True  # channel/thread objects, needed to reply and open threads
    wanted.guild_messages = True  # @mentions in channels
    wanted.dm_messages = True  # direct messages
    wanted.message_content = message_content
    return wanted


class MuseClient(discord.Client):
    """discord.py client that hands events to the adapter; one per adapter."""

    def __init__(self, adapter: DiscordAdapter, *, gateway: str | None, **kwargs: Any) -> None:
        without_voice()
        super().__init__(**kwargs)
        self.adapter = adapter
        self.connected = asyncio.Event()
        self.tree = build_tree(self, adapter.core.registry, adapter)
        if gateway:
            _route_gateway(self.http, yarl.URL(gateway))

    async def setup_hook(self) -> None:
        # Template-matched buttons: presses on messages sent before a restart still work.
        self.add_dynamic_items(MuseButton)
        # After login the application id is known; before the gateway, so the commands
        # are current by the time anyone can use them.
        await sync_if_changed(self, self.tree, self.adapter.core.settings)

    async def on_connect(self) -> None:
        self.connected.set()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        # Commands go through the tree and buttons through their DynamicItem; form
        # submissions are read here so a form opened before a restart still works.
        if interaction.type is discord.InteractionType.modal_submit:
            await self.adapter.on_modal(interaction)

    async def on_muse_button(
        self, interaction: discord.Interaction[Any], action: Action | None
    ) -> None:
        await self.adapter.on_button(interaction, action)

    async def on_message(self, message: discord.Message) -> None:
        self.adapter.on_message(message)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        # Never let one bad event take the client down; the traceback goes to the log.
        log.exception("error in Discord event %s", event_method)


def _route_gateway(http: discord.http.HTTPClient, gateway: yarl.URL) -> None:
    """Point this client's gateway connections at `gateway`. A plain Client connects to
    DiscordWebSocket.DEFAULT_GATEWAY (a class attribute, shared by every client in the
    process) until READY gives a resume URL, so rewrite per client instead of mutating it."""
    default_host = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY.host
    connect = http.ws_connect

    async def ws_connect(url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        requested = yarl.URL(url)
        if requested.host == default_host:
            url = str(gateway.with_query(requested.query))
        return await connect(url, compress=compress)

    http.ws_connect = ws_connect  # type: ignore[method-assign]


def set_api_base(api_base: str) -> str:
    """discord.py builds every REST URL (webhooks and interaction callbacks too) from the
    class attribute Route.BASE; returns the previous value so stop() can restore it."""
    previous = discord.http.Route.BASE
    discord.http.Route.BASE = api_base.rstrip("/")
    return previous
