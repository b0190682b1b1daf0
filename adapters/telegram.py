"""Telegram: python-telegram-bot in, neutral Incoming to the core, Replies out as HTML
messages with inline keyboards, streamed as throttled edits of one placeholder.

Long polling by default, a webhook when `webhook_url` is set. Sending goes through
PTB's AIORateLimiter, which also waits out Telegram's 429 `retry_after`."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    Update,
    User,
)
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, BaseRateLimiter, ContextTypes, TypeHandler

from adapters.base import Adapter
from adapters.telegram_inbound import (
    Inbound,
    Media,
    Target,
    display_name,
    is_group_chat,
    parse_message,
    session_of,
    topic_of,
)
from adapters.telegram_outbound import Ack, Outbox, Stream
from bot.config import SettingsError
from bot.core import Core
from bot.messages import Action, Attachment, Incoming, Progress, Reply, SessionKey
from bot.ordering import KeyedLocks

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
OOPS = "Something went wrong on my side — try again."
# A button press shows a spinner until answered; answer it by then even if still writing.
CALLBACK_ACK_S = 2.0
MAX_DOWNLOAD = 20 * 1024 * 1024  # the Bot API's getFile limit


class TelegramAdapter(Adapter):
    name = "telegram"

    def __init__(self, core: Core, *, rate_limiter: BaseRateLimiter[Any] | None = None) -> None:
        super().__init__(core)
        self.cfg = core.settings.telegram
        self._rate_limiter = rate_limiter
        self._app: Application[Any, Any, Any, Any, Any, Any] | None = None
        # Updates of one conversation in arrival order, from download to the last send.
        self._order = KeyedLocks()
        self._inline_latest: dict[int, str] = {}
        self.out = Outbox(lambda: self.bot)

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        token = self.cfg.token.get_secret_value() if self.cfg.token else ""
        if not token:
            raise SettingsError("MUSE_TELEGRAM__TOKEN is not set (get one from @BotFather)")
        _quiet_http_logs()
        builder = (
            Application.builder()
            .token(token)
            .rate_limiter(self._rate_limiter or AIORateLimiter(max_retries=5))
            .job_queue(None)
        )
        if self.cfg.base_url:
            builder = builder.base_url(self.cfg.base_url).base_file_url(
                _file_url(self.cfg.base_url)
            )
        app = builder.build()
        app.add_handler(TypeHandler(Update, self._on_update))
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
        """Stop receiving (confirming what was fetched), handle what is queued, let
        in-flight replies finish, then disconnect."""
        app = self._app
        if app is None:
            return
        try:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await self.drain()
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

    # -- updates in ----------------------------------------------------------

    async def _on_update(self, update: object, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs in update order: each handler is spawned at once and takes its
        conversation's place in line before its first await, so order is kept."""
        if not isinstance(update, Update):
            return
        if update.callback_query is not None:
            self.spawn(self._on_callback(update.callback_query))
        elif update.inline_query is not None:
            self.spawn(self._on_inline(update.inline_query))
        elif update.message is not None:
            try:
                inbound = parse_message(update.message, self.bot.id, self.bot.username)
            except Exception:  # a message shape we didn't foresee: say so, don't go quiet
                log.exception("telegram: could not read a message")
                chat = update.message.chat
                target = Target(chat.id, topic_of(update.message), None, is_group_chat(chat))
                self.spawn(self.out.say(target, OOPS))
                return
            if inbound is not None:
                self.spawn(self._on_message(inbound, update.message))

    async def _on_message(self, inbound: Inbound, message: Message) -> None:
        async with self._order.hold(str(inbound.session)):
            try:
                incoming = Incoming(
                    inbound.session,
                    str(inbound.user.id),
                    text=inbound.text,
                    user_name=display_name(inbound.user),
                    user_handle=inbound.user.username or "",
                    is_group=inbound.target.is_group,
                    message_id=str(message.message_id),
                    reply_to_text=inbound.reply_to_text,
                    attachments=await self._download(inbound.media),
                    raw=message,
                )
                await self._answer(incoming, inbound.target, inbound.user)
            except Exception:
                log.exception("telegram: failed to answer in %s", inbound.session)
                await self.out.say(inbound.target, OOPS)

    async def _on_callback(self, query: CallbackQuery) -> None:
        ack = Ack(query)
        message = query.message
        action = Action.decode(query.data or "")
        if not isinstance(message, Message) or action is None:
            await ack("That button no longer works — send /help to start again.")
            return
        session = session_of(message)
        group = is_group_chat(message.chat)
        # In groups, answer under the message whose button was pressed.
        target = Target(
            message.chat.id, topic_of(message), message.message_id if group else None, group
        )
        # Don't leave the spinner turning while this conversation waits its turn.
        timer = asyncio.get_running_loop().call_later(CALLBACK_ACK_S, lambda: self.spawn(ack()))
        try:
            async with self._order.hold(str(session)):
                incoming = Incoming(
                    session,
                    str(query.from_user.id),
                    user_name=display_name(query.from_user),
                    user_handle=query.from_user.username or "",
                    is_group=group,
                    message_id=str(message.message_id),
                    action=action,
                    raw=query,
                )
                await self._answer(incoming, target, query.from_user, ack)
        except Exception:
            log.exception("telegram: failed to answer a button in %s", session)
            await ack(OOPS)
            await self.out.say(target, OOPS)
        finally:
            timer.cancel()
            await ack()

    async def _on_inline(self, query: InlineQuery) -> None:
        """`@bot a rainy tram in Lisbon` → caption drafts; picking one posts it as the user."""
        text = query.query.strip()
        try:
            if not text:
                await query.answer([], cache_time=5, button=_hint("Describe your post…"))
                return
            # Telegram sends a query per keystroke: draft only once the typing pauses.
            self._inline_latest[query.from_user.id] = query.id
            await asyncio.sleep(self.cfg.inline_debounce_s)
            if self._inline_latest.get(query.from_user.id) != query.id:
                return
            self._inline_latest.pop(query.from_user.id, None)
            user = query.from_user
            incoming = Incoming(
                SessionKey("telegram", str(user.id)),  # the user's own private memory
                str(user.id),
                text=f"/caption {text}",
                user_name=display_name(user),
                user_handle=user.username or "",
                raw=query,
            )
            replies = await self.core.respond(incoming)
            reply = replies[-1] if replies else Reply(OOPS, is_error=True)
            results = [
                InlineQueryResultArticle(
                    id=str(d.id),
                    title=f"#{d.id}" + (f" ({d.label})" if d.label else "") + f" · {d.platform}",
                    description=d.text[:200],
                    input_message_content=InputTextMessageContent(d.text),
                )
                for d in reply.drafts
            ]
            button = None if results else _hint(reply.text)
            await query.answer(results, cache_time=10, is_personal=True, button=button)
        except TelegramError as exc:
            log.warning("telegram: inline answer failed: %s", exc)
        except Exception:
            log.exception("telegram: inline query failed")

    # -- answering -----------------------------------------------------------

    async def _answer(
        self, incoming: Incoming, target: Target, user: User, ack: Ack | None = None
    ) -> None:
        if not target.is_group:  # groups get ~20 messages a minute: spend them on answers
            await self.out.typing(target)
        stream = Stream(self.out, target, self.cfg.edit_interval_s)
        async for out in self.core.handle(incoming):
            if ack is not None and not ack.done:
                # A failed button press (e.g. its draft is gone) shows as a toast too.
                await ack(out.text if isinstance(out, Reply) and out.is_error else None)
            if isinstance(out, Progress):
                await stream.progress(out.text)
            else:
                await self.out.deliver(out, target, user, edit_id=stream.take())

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        """Deliver a Reply outside a request (the core talking first)."""
        chat, thread = int(key.chat_id), key.thread_id
        # Telegram's group and supergroup ids are negative; private chats' are not.
        target = Target(chat, int(thread) if thread else None, _int(reply_to), chat < 0)
        return [str(i) for i in await self.out.deliver(reply, target, None)]

    async def _download(self, media: tuple[Media, ...]) -> tuple[Attachment, ...]:
        """Fetch photos (the core may caption them); other kinds only need naming."""
        out = []
        for m in media:
            if m.kind == "image" and m.file_id:
                file = await self.bot.get_file(m.file_id)
                if (file.file_size or 0) > MAX_DOWNLOAD:
                    out.append(Attachment("file", mime=m.mime, name=m.name))
                    continue
                data = bytes(await file.download_as_bytearray())
                out.append(Attachment("image", data=data, mime=m.mime, name=m.name))
            else:
                out.append(Attachment(m.kind, mime=m.mime, name=m.name))
        return tuple(out)

    # -- errors --------------------------------------------------------------

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.warning("telegram: error while handling an update: %r", context.error)

    def _on_poll_error(self, exc: TelegramError) -> None:
        log.warning("telegram: polling failed, retrying: %s", exc)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.lstrip("-").isdigit() else None


def _hint(text: str) -> InlineQueryResultsButton:
    """The button above inline results; it opens a private chat with the bot."""
    return InlineQueryResultsButton(text=text[:64], start_parameter="inline")


def _file_url(base_url: str) -> str:
    """`http://host:8081/bot` (a self-hosted Bot API) → `http://host:8081/file/bot`."""
    head, sep, tail = base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else base_url.rstrip("/") + "/file/bot"


def webhook_secret(token: str) -> str:
    """Telegram echoes this header on every webhook call; derived, so restarts agree."""
    return hashlib.sha256(f"muse-webhook:{token}".encode()).hexdigest()[:32]


def _quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the token."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
