"""Discord: slash commands, the "Remix with Muse" message command, draft buttons,
the /style modal, @mentions and DMs — translated to Incoming, answered from the core.

Every interaction is acknowledged before any other work (Discord's 3-second rule);
answers stream in as throttled edits and arrive as edits/followups, falling back to a
channel message (or a DM for private answers) once the 15-minute token has expired."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import replace
from typing import Any

import aiohttp
import discord
import yarl

from adapters.base import Adapter
from adapters.discord_commands import (
    CHAT_INPUT,
    CONTEXT_MENU_REMIX,
    MESSAGE_MENU,
    context_menu_target,
    modal_values,
    slash_input,
)
from adapters.discord_render import STYLE_MODAL_ID, MuseButton, StyleModal
from adapters.discord_reply import InteractionReply, MessageReply, Streamer, send_chunks
from bot.core import Core
from bot.messages import Action, Incoming, Progress, Reply, SessionKey

log = logging.getLogger(__name__)

PLATFORM = "discord"
CONNECT_TIMEOUT_S = 60.0
MENTION_RE = re.compile(r"<@!?(\d+)>")
STALE_BUTTON = "That button no longer works — send /help to start again."


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
        super().__init__(**kwargs)
        self.adapter = adapter
        self.connected = asyncio.Event()
        if gateway:
            _route_gateway(self.http, yarl.URL(gateway))

    async def setup_hook(self) -> None:
        # Template-matched buttons: presses on messages sent before a restart still work.
        self.add_dynamic_items(MuseButton)

    async def on_connect(self) -> None:
        self.connected.set()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is discord.InteractionType.application_command:
            await self.adapter.on_command(interaction)
        elif interaction.type is discord.InteractionType.modal_submit:
            await self.adapter.on_modal(interaction)
        elif interaction.type is discord.InteractionType.component:
            await self.adapter.on_unknown_button(interaction)

    async def on_muse_button(self, interaction: discord.Interaction[Any], action: Action) -> None:
        await self.adapter.on_button(interaction, action)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)

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


class DiscordAdapter(Adapter):
    name = "discord"

    def __init__(self, core: Core, *, edit_interval: float = 1.0) -> None:
        super().__init__(core)
        self.settings = core.settings.discord
        self.edit_interval = edit_interval
        self.client: MuseClient | None = None
        self._runner: asyncio.Task[None] | None = None
        self._previous_base: str | None = None

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        if self.settings.token is None:
            raise RuntimeError("MUSE_DISCORD__TOKEN is not set")
        self._previous_base = set_api_base(self.settings.api_base)
        self.client = MuseClient(
            self,
            gateway=self.settings.gateway_url,
            intents=intents(self.settings.message_content),
            # Drafts are text to copy, never pings: no @everyone, roles or users.
            allowed_mentions=discord.AllowedMentions.none(),
            application_id=int(self.settings.application_id)
            if self.settings.application_id
            else None,
        )
        token = self.settings.token.get_secret_value()
        self._runner = asyncio.create_task(self._run(self.client, token))
        connected = asyncio.create_task(self.client.connected.wait())
        done, _ = await asyncio.wait(
            {connected, self._runner},
            timeout=CONNECT_TIMEOUT_S,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if connected in done:
            return
        # A bad token or an unreachable Discord: clean up, then say why in one line.
        connected.cancel()
        failure: BaseException | None = None
        if self._runner in done:
            failure = self._runner.exception()
        await self.stop()
        if failure is not None:
            raise failure
        raise RuntimeError(f"could not reach the Discord gateway in {CONNECT_TIMEOUT_S:.0f} s")

    async def _run(self, client: MuseClient, token: str) -> None:
        await client.start(token, reconnect=True)

    async def stop(self) -> None:
        await self.drain()
        if self.client is not None:
            await self.client.close()
        if self._runner is not None:
            try:
                await self._runner
            except Exception:  # already logged by discord.py; we are shutting down
                log.debug("Discord client ended with an error", exc_info=True)
        if self._previous_base is not None:
            discord.http.Route.BASE = self._previous_base
            self._previous_base = None

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        """Outside a request (the core talking first): post into the conversation's channel."""
        assert self.client is not None
        channel = self.client.get_partial_messageable(int(key.thread_id or key.chat_id))
        reference = channel.get_partial_message(int(reply_to)) if reply_to else None
        sent = await send_chunks(channel, reply, reference)
        return [str(m.id) for m in sent]

    # -- interactions --------------------------------------------------------

    async def on_command(self, interaction: discord.Interaction[Any]) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        kind = data.get("type", CHAT_INPUT)
        if kind == MESSAGE_MENU and data.get("name") == CONTEXT_MENU_REMIX:
            incoming = self._incoming(
                interaction, "/remix", reply_to_text=context_menu_target(data)
            )
            await self._answer(interaction, incoming, ephemeral=False)
            return
        spec = self.core.registry.get(str(data.get("name", "")))
        if kind != CHAT_INPUT or spec is None:
            await self._refuse(interaction, "I don't know that command — try /help.")
            return
        text, options = slash_input(spec, data)
        if spec.name == "style" and not options:
            # A form beats remembering "voice: … | audience: …" syntax.
            try:
                await interaction.response.send_modal(StyleModal())
            except discord.HTTPException as exc:
                log.warning("could not open the style form (%s)", exc.status)
            return
        incoming = self._incoming(interaction, text, options=options)
        await self._answer(interaction, incoming, ephemeral=spec.private)

    async def on_modal(self, interaction: discord.Interaction[Any]) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        if data.get("custom_id") != STYLE_MODAL_ID:
            return
        options = tuple(modal_values(data).items())
        incoming = self._incoming(interaction, "/style", options=options)
        await self._answer(interaction, incoming, ephemeral=True)

    async def on_button(self, interaction: discord.Interaction[Any], action: Action) -> None:
        message = interaction.message
        ephemeral = bool(message and message.flags.ephemeral)
        incoming = self._incoming(interaction, "", action=action)
        # The delete confirmation edits its own message so the button disappears.
        await self._answer(
            interaction, incoming, ephemeral=ephemeral, update=action.verb == "forget"
        )

    async def on_unknown_button(self, interaction: discord.Interaction[Any]) -> None:
        """A Muse-looking button that doesn't decode (forged, or from another version):
        one clear line instead of Discord's "This interaction failed". Buttons that do
        decode are MuseButton's (matched by the same pattern)."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if custom_id.startswith("m:") and Action.decode(custom_id) is None:
            await self._refuse(interaction, STALE_BUTTON)

    async def _refuse(self, interaction: discord.Interaction[Any], text: str) -> None:
        try:
            await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("could not answer an interaction (%s)", exc.status)

    async def _answer(
        self,
        interaction: discord.Interaction[Any],
        incoming: Incoming,
        *,
        ephemeral: bool,
        update: bool = False,
    ) -> None:
        """Acknowledge now; do everything slow (quota, model, delivery) in a task."""
        out = InteractionReply(
            interaction, ephemeral=ephemeral, interval=self.edit_interval, update=update
        )
        await out.open()
        self.spawn(self._stream(incoming, out))

    def _incoming(self, interaction: discord.Interaction[Any], text: str, **extra: Any) -> Incoming:
        user = interaction.user
        return Incoming(
            _session(interaction.guild_id, interaction.channel_id or user.id),
            str(user.id),
            text=text,
            user_name=user.display_name,
            user_handle=user.name,
            is_group=interaction.guild_id is not None,
            message_id=str(interaction.id),
            raw=interaction,
            **extra,
        )

    # -- messages --------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        me = self.client.user if self.client else None
        if me is None or message.author.bot or message.author.id == me.id:
            return
        in_dm = message.guild is None
        if not in_dm and not any(u.id == me.id for u in message.mentions):
            return
        text = MENTION_RE.sub(
            lambda m: "" if m.group(1) == str(me.id) else m.group(0), message.content
        )
        reply_to = None
        ref = message.reference.resolved if message.reference else None
        if isinstance(ref, discord.Message) and ref.author.id != me.id:
            reply_to = ref.content
        incoming = Incoming(
            _session(message.guild.id if message.guild else None, message.channel.id),
            str(message.author.id),
            text=" ".join(text.split()),
            user_name=message.author.display_name,
            user_handle=message.author.name,
            is_group=not in_dm,
            message_id=str(message.id),
            reply_to_text=reply_to,
            raw=message,
        )
        self.spawn(self._on_message(message, incoming))

    async def _on_message(self, message: discord.Message, incoming: Incoming) -> None:
        target: discord.abc.Messageable = message.channel
        reference = True
        if (
            self.settings.thread_when_busy
            and isinstance(message.channel, discord.TextChannel)
            and self.core.busy(incoming)
        ):
            # The channel's conversation is mid-answer: open a thread rather than queue.
            try:
                thread = await message.create_thread(name=_thread_name(incoming.text))
                target, reference = thread, False
                incoming = replace(
                    incoming, session=replace(incoming.session, thread_id=str(thread.id))
                )
            except discord.HTTPException as exc:
                log.info("could not open a thread (%s); replying in the channel", exc.status)
        with contextlib.suppress(discord.HTTPException):
            await target.typing()  # one "Muse is typing…" until the first words arrive
        out = MessageReply(message, target, interval=self.edit_interval, reference=reference)
        await self._stream(incoming, out)

    # -- shared ------------------------------------------------------------------

    async def _stream(self, incoming: Incoming, out: Streamer) -> None:
        try:
            async for item in self.core.handle(incoming):
                if isinstance(item, Progress):
                    out.progress(item.text)
                else:
                    await out.finish(item)
        except Exception:
            # The core never raises; this guards the Discord side so the client survives.
            log.exception("failed to deliver a Discord answer in %s", incoming.session)
        finally:
            out.cancel()


def _session(guild_id: int | None, channel_id: int) -> SessionKey:
    """A guild is one memory (its style and drafts) with a conversation per channel; a
    DM is the person's own memory."""
    if guild_id is None:
        return SessionKey(PLATFORM, str(channel_id))
    return SessionKey(PLATFORM, str(guild_id), str(channel_id))


def _thread_name(text: str) -> str:
    words = " ".join(text.split())[:60]
    return f"Muse · {words}" if words else "Muse"
