"""Inline mode: `@muse_bot a rainy tram in Lisbon` in any chat gives caption drafts to
pick from; the one picked is posted by the person, as theirs."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineQuery, InlineQueryResultArticle, InputTextMessageContent
from telegram.error import TelegramError

from adapters.telegram_format import inline_hint
from adapters.telegram_inbound import COMMAND_RE, display_name
from bot.core import Core
from bot.messages import Incoming, Reply, SessionKey
from bot.platforms import PLATFORMS

log = logging.getLogger(__name__)

# Inline queries are a conversation of their own in the person's private memory (their
# drafts and style are theirs as anywhere): they never wait in line behind an answer
# being written in the private chat, and Telegram forgets a query after some 10 s.
INLINE_THREAD = "inline"


class InlineDrafts:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.cfg = core.settings.telegram  # MUSE_TELEGRAM__INLINE_DEBOUNCE_S
        self._latest: dict[int, str] = {}  # person -> their newest query's id

    async def answer(self, query: InlineQuery) -> None:
        text = query.query.strip()
        try:
            if not text:
                # Cleared: the query still waiting for the typing to pause is dropped.
                self._latest.pop(query.from_user.id, None)
                await query.answer([], cache_time=5, button=inline_hint("Describe your post…"))
                return
            # Telegram sends a query per keystroke: draft only once the typing pauses.
            self._latest[query.from_user.id] = query.id
            await asyncio.sleep(self.cfg.inline_debounce_s)
            if self._latest.get(query.from_user.id) != query.id:
                return
            self._latest.pop(query.from_user.id, None)
            await self._draft(query, text)
        except TelegramError as exc:
            log.warning("telegram: inline answer failed: %s", exc)
        except Exception:
            log.exception("telegram: inline query failed")

    async def _draft(self, query: InlineQuery, text: str) -> None:
        # "/caption a tram" typed inline is the same as "a tram"; another command is no caption.
        command = COMMAND_RE.match(text)
        if command and command.group(1).lower() != "caption":
            # Not captions "about /brainstorm cats": inline, Muse only writes captions.
            hint = f"Inline I write captions — send /{command.group(1)} in my chat"
            await query.answer([], cache_time=5, button=inline_hint(hint))
            return
        text = text[command.end() :].strip() if command else text
        if not text:
            await query.answer([], cache_time=5, button=inline_hint("Describe your post…"))
            return
        user = query.from_user
        incoming = Incoming(
            SessionKey("telegram", str(user.id), INLINE_THREAD),
            str(user.id),
            text=f"/caption {text}",
            user_name=display_name(user),
            user_handle=user.username or "",
            raw=query,
        )
        replies = await self.core.respond(incoming)
        # No reply at all (a refusal already said once stays silent): show nothing.
        reply = replies[-1] if replies else Reply("")
        results = [
            InlineQueryResultArticle(
                id=str(d.id),
                title=f"#{d.id}" + (f" ({d.label})" if d.label else "") + f" · {_name(d.platform)}",
                description=d.text[:200],
                input_message_content=InputTextMessageContent(d.text),
            )
            for d in reply.drafts
        ]
        if results:
            # Only the drafts are shown: a notice the chat answer starts with (Muse has
            # no rules for Facebook) is the line above them, or nobody would know.
            notes = " ".join(n.strip().strip("()") for n in reply.notices)
            button = inline_hint(notes) if notes else None
        else:
            button = inline_hint(reply.text) if reply.text.strip() else None
        await query.answer(results, cache_time=10, is_personal=True, button=button)


def _name(platform: str) -> str:
    """ "X", "LinkedIn": the name, not the key ("x" read like a close mark)."""
    known = PLATFORMS.get(platform)
    return known.name if known else platform
