"""Telegram: python-telegram-bot in, neutral Incoming to the core, Replies out as HTML
messages with inline keyboards.

PTB's own machinery does the plumbing: a MessageHandler, a CallbackQueryHandler and an
InlineQueryHandler, each non-blocking, so PTB runs every update in a task it tracks
and awaits on stop. Each conversation keeps its arrival order (KeyedLocks, a place
taken before the first await) while conversations run side by side. Long polling by
default (PTB reconnects with backoff; Telegram keeps unconfirmed updates), a webhook
when `webhook_url` is set. Sends go through TelegramLimiter: Telegram's flood limits
kept per chat, so one busy group never slows anybody else."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    Message,
    Update,
    User,
)
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from adapters.base import Adapter, ImageUnavailable
from adapters.telegram_delivery import Delivery
from adapters.telegram_files import download, file_sizes, named
from adapters.telegram_inbound import (
    Albums,
    Target,
    asked_anonymously,
    display_name,
    is_group_chat,
    migration_of,
    parse_message,
    session_of,
    topic_of,
)
from adapters.telegram_inline import InlineDrafts
from adapters.telegram_limits import TelegramLimiter
from adapters.telegram_outbound import Ack, Sender
from adapters.telegram_outbox import TelegramOutbox
from adapters.telegram_poll import PollRequest, quiet_logs
from bot.config import SettingsError
from bot.core import UNORDERED_ACTIONS, Core
from bot.messages import Action, Incoming
from bot.ordering import KeyedLocks, line_of

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
OOPS = "Something went wrong on my side — try again."
ANONYMOUS = (
    "I can't tell who's asking while you post as the group or a channel: turn off "
    "“Remain anonymous” in your admin rights (or write as yourself) and ask again."
)
SEND_CONNECTIONS = 8
# A button press shows a spinner until answered; answer it by then even if still writing.
CALLBACK_ACK_S = 2.0
# New messages from people in private chats and groups; service notices are not Muse's.
MESSAGES = (
    filters.UpdateType.MESSAGE
    & (filters.ChatType.PRIVATE | filters.ChatType.GROUPS)
    & ~filters.StatusUpdate.ALL
)


class TelegramAdapter(TelegramOutbox, Adapter):
    name = "telegram"

    def __init__(self, core: Core, *, rate_limiter: TelegramLimiter | None = None) -> None:
        super().__init__(core)
        self.cfg = core.settings.telegram
        self._rate_limiter = rate_limiter
        self._app: Application[Any, Any, Any, Any, Any, Any] | None = None
        # Updates in arrival order, from download to the last send: a private chat's, and
        # each member's in a group (bot.ordering.line_of, as the core orders them).
        self._order = KeyedLocks()
        self.inline = InlineDrafts(core)
        self.albums = Albums()
        self.sender = Sender(lambda: self.bot)

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        token = self.cfg.token.get_secret_value() if self.cfg.token else ""
        if not token:
            raise SettingsError("MUSE_TELEGRAM__TOKEN is not set (get one from @BotFather)")
        quiet_logs()
        builder = (
            Application.builder()
            .token(token)
            .rate_limiter(self._rate_limiter or self._default_limiter())
            # httpcore scans every pooled connection for each request: PTB's default of
            # 256 makes a burst quadratic. A few keep-alive connections carry Telegram's
            # 30 sends/s easily; a send waits for a free one rather than failing.
            .connection_pool_size(SEND_CONNECTIONS)
            .pool_timeout(30.0)
            .job_queue(None)
            .get_updates_request(PollRequest(self._token_revoked))
        )
        if self.cfg.base_url:
            builder = builder.base_url(self.cfg.base_url).base_file_url(
                _file_url(self.cfg.base_url)
            )
        app = builder.build()
        app.add_handler(CallbackQueryHandler(self._on_callback, block=False))
        app.add_handler(InlineQueryHandler(self._on_inline, block=False))
        app.add_handler(MessageHandler(MESSAGES, self._on_message, block=False))
        migrated = filters.StatusUpdate.MIGRATE
        app.add_handler(MessageHandler(migrated, self._on_migrate, block=False))
        app.add_error_handler(self._on_error)
        try:
            await app.initialize()  # getMe: proves the token and learns our @username
        except InvalidToken:
            raise SettingsError(
                "MUSE_TELEGRAM__TOKEN was rejected by Telegram (check it with @BotFather)"
            ) from None
        except NetworkError as exc:
            where = self.cfg.base_url or "api.telegram.org"
            raise SettingsError(f"can't reach the Telegram Bot API at {where}: {exc}") from None
        self._app = app
        try:
            await self._set_commands()
            await app.start()
            await self._receive(app, token)
        except BaseException:
            await self.stop()
            raise
        log.info("telegram: receiving as @%s", app.bot.username)

    def _default_limiter(self) -> TelegramLimiter:
        if self.cfg.flood_limits:
            return TelegramLimiter(connections=SEND_CONNECTIONS)
        # No pacing, but a 429 is still waited out and retried.
        return TelegramLimiter(
            overall=None, per_chat=None, per_group=None, connections=SEND_CONNECTIONS
        )

    async def _receive(self, app: Application[Any, Any, Any, Any, Any, Any], token: str) -> None:
        assert app.updater is not None
        if self.cfg.webhook_url:
            try:
                await app.updater.start_webhook(
                    listen=self.cfg.listen,
                    port=self.cfg.port,
                    url_path=urlsplit(self.cfg.webhook_url).path.lstrip("/"),
                    webhook_url=self.cfg.webhook_url,
                    secret_token=webhook_secret(token),
                    allowed_updates=ALLOWED_UPDATES,
                )
            except OSError as exc:
                raise SettingsError(
                    f"can't listen for the Telegram webhook on {self.cfg.listen}:{self.cfg.port}"
                    f" (MUSE_TELEGRAM__LISTEN / MUSE_TELEGRAM__PORT): {exc.strerror or exc}"
                ) from None
        else:
            await app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, error_callback=self._on_poll_error
            )

    async def stop(self) -> None:
        """Stop receiving (confirming what was fetched), handle every update already
        fetched, let in-flight answers finish (for up to a grace period), disconnect."""
        app = self._app
        if app is None:
            return
        try:
            if app.updater is not None and app.updater.running:
                with contextlib.suppress(InvalidToken):  # reported by _token_revoked
                    await app.updater.stop()
            if app.running:
                # Hand the fetched updates to their handlers while PTB still tracks the
                # tasks it creates (it stops tracking once app.stop() begins).
                await app.update_queue.join()
                await self.drain()
                await app.stop()
        finally:
            self._app = None
            await app.shutdown()

    @property
    def bot(self) -> Any:
        if self._app is None:
            raise RuntimeError("the Telegram adapter is not running")
        return self._app.bot

    async def _set_commands(self) -> None:
        commands = [BotCommand(c.name, c.summary) for c in self.core.registry.visible()]
        try:
            await self.bot.set_my_commands(commands)
        except TelegramError as exc:
            log.warning("telegram: could not set the command menu: %s", exc)

    def _track(self) -> None:
        """Let stop() bound its wait for this handler (PTB would wait forever)."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _delivery(
        self, target: Target, user: User | None, ack: Ack | None = None, typing: bool = True
    ) -> Delivery:
        return Delivery(
            self.sender,
            target,
            user,
            show_after=self.cfg.stream_after_s,
            interval=self.cfg.edit_interval_s,
            ack=ack,
            typing=typing,
        )

    # -- updates in (each handler runs in its own PTB task, in update order) --

    async def _on_message(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or self.albums.rest_of_one(message):
            return
        try:
            inbound = parse_message(message, self.bot.id, self.bot.username)
        except Exception:  # a message shape we didn't foresee: say so, don't go quiet
            log.exception("telegram: could not read a message")
            chat = message.chat
            target = Target(chat.id, topic_of(message), None, is_group_chat(chat))
            await self.sender.say(target, OOPS)
            return
        if inbound is None:
            if asked_anonymously(message, self.bot.username):
                where = Target(message.chat.id, topic_of(message), message.message_id, True)
                await self.sender.say(where, ANONYMOUS)
            return
        self._track()
        asked = Incoming(
            inbound.session,
            str(inbound.user.id),
            text=inbound.text,
            user_name=display_name(inbound.user),
            user_handle=inbound.user.username or "",
            is_group=inbound.target.is_group,
            message_id=str(message.message_id),
            reply_to_text=inbound.reply_to_text,
            reply_to_id=str(inbound.reply_to_id) if inbound.reply_to_id else None,
            reply_to_muse=inbound.reply_to_muse,
            addressed=inbound.addressed,
            attachments=named(inbound.media),
            raw=message,
        )
        # In the inbox before it waits in line: Telegram won't send it again, so a kill
        # while an earlier answer is written must not lose it (bot/recovery.py).
        entry = self.core.receive(asked)
        handed = False
        # The place in line is taken here, before the first await.
        async with self._order.hold(
            line_of(inbound.session, str(inbound.user.id), inbound.target.is_group)
        ):
            try:
                # Chatter is only ever collected as text: never fetch its files.
                media = await download(
                    self.bot, inbound.media, fetch=inbound.addressed, sizes=file_sizes(message)
                )
                delivery = self._delivery(inbound.target, inbound.user, typing=inbound.addressed)
                handed = True
                await delivery.run(self.core.handle(replace(asked, attachments=media), entry))
            except ImageUnavailable as exc:  # never answer as if the image weren't there
                await self.sender.say(inbound.target, str(exc))
            except Exception:
                log.exception("telegram: failed to answer in %s", inbound.session)
                if inbound.addressed:
                    await self.sender.say(inbound.target, OOPS)
            finally:
                if entry is not None and not handed:  # answered here: nothing to recover
                    await entry.done()

    async def _on_migrate(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup, with a new id: what Muse keeps for it moves."""
        moved = migration_of(update.message) if update.message else None
        if moved is not None:
            self._track()
            await self.core.chat_moved(self.name, str(moved[0]), str(moved[1]))

    async def _on_callback(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        ack = Ack(query)
        message = query.message
        try:
            action = Action.decode(query.data or "")
        except Exception:  # callback data is anyone's to forge: never leave a spinner
            action = None
        if not isinstance(message, Message) or action is None:
            await ack("That button no longer works — send /help to start again.")
            return
        self._track()
        session = session_of(message)
        group = is_group_chat(message.chat)
        user = str(query.from_user.id)
        # In groups, answer under the message whose button was pressed.
        target = Target(
            message.chat.id, topic_of(message), message.message_id if group else None, group
        )
        # Don't leave the spinner turning while this conversation waits its turn.
        early = asyncio.get_running_loop().call_later(CALLBACK_ACK_S, lambda: self.spawn(ack()))
        # A vote takes no place in line (as in the core): never behind the voter's own riff.
        line = None if action.verb in UNORDERED_ACTIONS else line_of(session, user, group)
        incoming = Incoming(
            session,
            user,
            user_name=display_name(query.from_user),
            user_handle=query.from_user.username or "",
            is_group=group,
            message_id=str(message.message_id),
            action=action,
            raw=query,
        )
        entry = self.core.receive(incoming)  # before the line, as a message's (above)
        try:
            async with self._order.hold(line) if line else contextlib.nullcontext():
                delivery = self._delivery(target, query.from_user, ack)
                await delivery.run(self.core.handle(incoming, entry))
        except Exception:
            log.exception("telegram: failed to answer a button in %s", session)
            await ack(OOPS)
            await self.sender.say(target, OOPS)
        finally:
            early.cancel()
            await ack()

    async def _on_inline(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """`@bot a rainy tram in Lisbon` → caption drafts; picking one posts it as the user."""
        query = update.inline_query
        if query is None:
            return
        self._track()
        await self.inline.answer(query)

    # -- errors --------------------------------------------------------------

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.warning("telegram: error while handling an update: %r", context.error)

    def _on_poll_error(self, exc: TelegramError) -> None:
        log.warning("telegram: polling failed, retrying: %s", exc)

    def _token_revoked(self) -> None:
        self.gone_because = "Telegram rejected the token (revoked in @BotFather?)"
        log.error("telegram: %s; no more messages will arrive", self.gone_because)
        self.gone.set()


def _file_url(base_url: str) -> str:
    """`http://host:8081/bot` (a self-hosted Bot API) → `http://host:8081/file/bot`."""
    head, sep, tail = base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else base_url.rstrip("/") + "/file/bot"


def webhook_secret(token: str) -> str:
    """Telegram echoes this header on every webhook call; derived, so restarts agree."""
    return hashlib.sha256(f"muse-webhook:{token}".encode()).hexdigest()[:32]
