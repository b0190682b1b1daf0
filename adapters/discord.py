"""Discord: slash commands (a discord.py CommandTree built from the registry), the "Remix
with Muse" message command, draft buttons, the /style and "Add idea" forms, @mentions and
DMs — translated to Incoming, answered from the core.

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

import discord
from discord import app_commands

from adapters.base import Adapter, ImageUnavailable, without_mention
from adapters.discord_client import MuseClient, intents, set_api_base
from adapters.discord_commands import modal_values, slash_text
from adapters.discord_keys import conversation_of, is_known
from adapters.discord_media import attachments_of
from adapters.discord_outbox import DiscordOutbox
from adapters.discord_render import (
    IDEA_FIELD,
    IDEA_MODAL_PREFIX,
    STYLE_MODAL_ID,
    IdeaModal,
    StyleModal,
    idea_form_origin,
)
from adapters.discord_reply import InteractionReply, MessageReply, Mode, Streamer
from bot.commands import CommandSpec, Sub
from bot.core import UNORDERED_ACTIONS, Core
from bot.messages import Action, Incoming, Progress, Reply
from bot.ordering import KeyedLocks, line_of
from bot.recovery import InboxEntry

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 60.0
CAPTION_RE = re.compile(r"/caption\b", re.I)


class DiscordAdapter(DiscordOutbox, Adapter):
    name = "discord"

    def __init__(self, core: Core, *, edit_interval: float | None = None) -> None:
        Adapter.__init__(self, core)
        DiscordOutbox.__init__(self)
        self.settings = core.settings.discord
        self.edit_interval = (
            self.settings.edit_interval_s if edit_interval is None else edit_interval
        )
        self.client: MuseClient | None = None
        self._runner: asyncio.Task[None] | None = None
        self._previous_base: str | None = None
        self._stopping = False
        # Each person's answers in a conversation go out whole and in order (as on Telegram).
        self._order = KeyedLocks()

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
        # reconnect=True: a dropped gateway connection is resumed (or re-identified)
        # with discord.py's exponential backoff, for as long as the process runs. Only
        # what can't be retried (a revoked token, a refused intent) ends it.
        try:
            await client.start(token, reconnect=True)
        except Exception as exc:
            if client.connected.is_set() and not self._stopping:
                self.gone_because = str(exc) or type(exc).__name__
                log.error("the Discord connection ended for good: %s", self.gone_because)
                self.gone.set()
            raise

    async def stop(self) -> None:
        self._stopping = True
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

    # -- interactions (callbacks of the command tree and the buttons) ------------

    async def on_slash(
        self,
        interaction: discord.Interaction[Any],
        spec: CommandSpec,
        sub: Sub | None,
        values: dict[str, str],
    ) -> None:
        if spec.name == "style" and sub is None and not values:
            # A form beats remembering "voice: … | audience: …" syntax.
            await self._send_modal(interaction, StyleModal())
            return
        text, options = slash_text(spec, sub, values)
        incoming = self._incoming(interaction, text, options=tuple(options.items()))
        private = spec.private or (sub is not None and sub.private)
        await self._answer(interaction, incoming, ephemeral=private)

    async def on_remix_menu(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        # A post that is all embed (a link preview, another bot's card) has its words there.
        embed = message.embeds[0] if message.embeds else None
        text = message.content or (embed and (embed.description or embed.title)) or ""
        me = self.client.user if self.client else None
        incoming = self._incoming(
            interaction,
            "/remix",
            reply_to_text=text,
            reply_to_id=str(message.id),
            reply_to_muse=me is not None and message.author.id == me.id,
        )
        await self._answer(interaction, incoming, ephemeral=False)

    async def on_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            log.warning("Discord has stale slash commands (%s): sync them", error)
            text = "That command changed since Discord last saw it — try again in a minute."
        else:
            log.error("a Discord command failed", exc_info=error)
            text = "Something went wrong on my side — try again."
        if interaction.response.is_done():
            with contextlib.suppress(discord.HTTPException):
                await interaction.followup.send(text, ephemeral=True)
            return
        await self._refuse(interaction, text)

    async def on_modal(self, interaction: discord.Interaction[Any]) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        values = modal_values(data)
        if custom_id == STYLE_MODAL_ID:
            incoming = self._incoming(interaction, "/style", options=tuple(values.items()))
            await self._answer(interaction, incoming, ephemeral=True)
        elif custom_id.startswith(IDEA_MODAL_PREFIX):
            # As if typed as a reply to the session message whose button opened the
            # form: the core finds the session by the conversation or by that message.
            idea = " ".join(values.get(IDEA_FIELD, "").split())
            incoming = self._incoming(
                interaction,
                f"/idea {idea}".strip(),
                options=(("text", idea),) if idea else (),
                reply_to_id=idea_form_origin(custom_id),
            )
            await self._answer(interaction, incoming, ephemeral=False)

    async def on_button(self, interaction: discord.Interaction[Any], action: Action | None) -> None:
        if action is None:
            await self._refuse(interaction, "That button doesn't work any more — try /help.")
            return
        if action.verb == "idea":
            # A form must be the interaction's first response: no defer before it.
            origin = interaction.message.id if interaction.message else None
            await self._send_modal(interaction, IdeaModal(action.draft_id, origin))
            return
        message = interaction.message
        ephemeral = bool(message and message.flags.ephemeral)
        incoming = self._incoming(interaction, "", action=action)
        # A vote shows nothing new but its toast; the delete confirmation edits its own
        # message so the button disappears; anything else gets a fresh answer.
        mode: Mode = {"vote": "silent", "forget": "update"}.get(action.verb, "thinking")  # type: ignore[assignment]
        await self._answer(interaction, incoming, ephemeral=ephemeral, mode=mode)

    async def _refuse(self, interaction: discord.Interaction[Any], text: str) -> None:
        try:
            await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("could not answer an interaction (%s)", exc.status)

    async def _send_modal(
        self, interaction: discord.Interaction[Any], modal: discord.ui.Modal
    ) -> None:
        try:
            await interaction.response.send_modal(modal)
        except discord.HTTPException as exc:
            log.warning("could not open a form (%s)", exc.status)

    async def _answer(
        self,
        interaction: discord.Interaction[Any],
        incoming: Incoming,
        *,
        ephemeral: bool,
        mode: Mode = "thinking",
    ) -> None:
        """Acknowledge now; do everything slow (quota, model, delivery) in a task."""
        out = InteractionReply(
            interaction, ephemeral=ephemeral, interval=self.edit_interval, mode=mode
        )
        self.remember_permissions(interaction)
        # The answer takes its place in the person's line before the acknowledgement's
        # round trip, whose length varies: spawned after it, a /caption sent just after
        # a /style could run first, without the style (the work still waits for it).
        self.spawn(self._answer_in_line(incoming, out))
        await out.open()

    async def _answer_in_line(self, incoming: Incoming, out: InteractionReply) -> None:
        if incoming.action is not None and incoming.action.verb in UNORDERED_ACTIONS:
            await out.opened.wait()  # a vote waits for nobody (as in the core)
            await self._stream(incoming, out)
            return
        entry = self.core.receive(incoming)  # recorded now, as a message is
        async with self._order.hold(line_of(incoming.session, incoming.user_id, incoming.is_group)):
            await out.opened.wait()
            await self._stream(incoming, out, entry)

    def _incoming(self, interaction: discord.Interaction[Any], text: str, **extra: Any) -> Incoming:
        user = interaction.user
        channel_id = interaction.channel_id or user.id
        return Incoming(
            conversation_of(interaction.channel, channel_id, interaction.guild_id),
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

    def on_message(self, message: discord.Message) -> None:
        me = self.client.user if self.client else None
        if me is None or message.author.bot or message.author.id == me.id:
            return
        in_dm = message.guild is None
        mentioned = any(u.id == me.id for u in message.mentions)
        ref = message.reference.resolved if message.reference else None
        replied = isinstance(ref, discord.Message) and ref.author.id == me.id
        # Without the Message Content intent a reply that doesn't ping Muse arrives with
        # no text, so only a ping addresses Muse; with it, a reply to Muse does too.
        addressed = in_dm or mentioned or (self.settings.message_content and replied)
        if not addressed and not self.settings.message_content:
            return
        self.spawn(self._on_message(message, me.id, addressed))

    async def _incoming_message(
        self, message: discord.Message, me: int, addressed: bool
    ) -> Incoming:
        text, _ = without_mention(message.content, rf"<@!?{me}>")
        ref = message.reference
        resolved = ref.resolved if ref else None
        files = message.attachments
        if not files and isinstance(resolved, discord.Message) and CAPTION_RE.match(text.strip()):
            files = resolved.attachments  # "/caption" as a reply to a photo: that photo
        channel: Any = message.channel
        if message.guild is not None and not is_known(channel):
            # A thread discord.py has not cached: ask once, so it joins the right owner.
            channel = await self._channel(message.channel.id)
        return Incoming(
            conversation_of(
                channel, message.channel.id, message.guild.id if message.guild else None
            ),
            str(message.author.id),
            text=text,
            user_name=message.author.display_name,
            user_handle=message.author.name,
            is_group=message.guild is not None,
            message_id=str(message.id),
            # Muse's own messages too: "/posted" as a reply to its draft says which one.
            reply_to_text=resolved.content if isinstance(resolved, discord.Message) else None,
            reply_to_id=str(ref.message_id) if ref and ref.message_id else None,
            reply_to_muse=isinstance(resolved, discord.Message) and resolved.author.id == me,
            addressed=addressed,
            attachments=await attachments_of(files, fetch=addressed),
            raw=message,
        )

    async def _on_message(self, message: discord.Message, me: int, addressed: bool) -> None:
        try:
            incoming = await self._incoming_message(message, me, addressed)
        except ImageUnavailable as exc:  # never caption as if the image weren't there
            said = MessageReply(message, message.channel, interval=self.edit_interval)
            await said.finish(Reply(str(exc), is_error=True))
            return
        target: discord.abc.Messageable = message.channel
        reference = True
        if not addressed:
            # Chatter Muse was not asked about: the core decides (a session's thread
            # collects it as an idea); no typing, no thread, nothing unless it answers.
            await self._stream(incoming, MessageReply(message, target, interval=self.edit_interval))
            return
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
        out = MessageReply(
            message, target, interval=self.edit_interval, reference=reference, typing=True
        )
        # A long answer's parts were split by the same person's next answer, sent while
        # they went out: it now waits its turn, recorded first so a kill meanwhile loses
        # nothing (bot/recovery.py).
        entry = self.core.receive(incoming)
        async with self._order.hold(line_of(incoming.session, incoming.user_id, incoming.is_group)):
            await self._stream(incoming, out, entry)

    # -- shared ------------------------------------------------------------------

    async def _stream(
        self, incoming: Incoming, out: Streamer, entry: InboxEntry | None = None
    ) -> None:
        answered = False
        try:
            async for item in self.core.handle(incoming, entry):
                if isinstance(item, Progress):
                    out.progress(item.text)
                else:
                    await out.finish(item)
                    answered = True
            if not answered:
                # Nothing to say (a flood past its one warning): no "thinking…" or
                # preview may stay behind, as if an answer were still coming.
                await out.finish(Reply(""))
        except asyncio.CancelledError:
            # Cut off by a stop: a half answer ("… ✍️") must not stay as if still being
            # written (the next start answers the message, or says it was interrupted).
            if not answered:
                with contextlib.suppress(Exception):
                    await out.finish(Reply(""))
            raise
        except Exception:
            # The core never raises; this guards the Discord side so the client survives.
            log.exception("failed to deliver a Discord answer in %s", incoming.session)
        finally:
            out.cancel()


def _thread_name(text: str) -> str:
    words = " ".join(text.split())[:60]
    return f"Muse · {words}" if words else "Muse"
