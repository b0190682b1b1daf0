"""The fake's messages: what the bot sends, edits and deletes, as the user sees them
now, with Telegram's checks (HTML, length, keyboards, blocked users, topics), plus
button and inline answers and files; mixed into FakeBotAPI."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.telegram.fake_chats import BOT
from tests.telegram.fake_wire import MAX_TEXT, ApiError, parse_html, utf16

MAX_FILE = 20 * 1024 * 1024  # what getFile hands to bots; bigger files are refused


@dataclass
class Sent:
    """A message the bot sent, as the user sees it now (after edits)."""

    chat_id: int
    message_id: int
    text: str
    raw: str = ""  # as sent, e.g. with HTML tags
    parse_mode: str | None = None
    markup: dict[str, Any] | None = None
    thread_id: int | None = None
    reply_to: int | None = None
    edits: list[str] = field(default_factory=list)
    markup_edits: int = 0
    document: bytes | None = None
    filename: str | None = None
    deleted: bool = False

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [[(b["text"], b.get("callback_data", "")) for b in row] for row in rows]

    def data_of(self, label_start: str) -> str:
        for row in self.buttons:
            for label, data in row:
                if label.startswith(label_start):
                    return data
        raise KeyError(f"no button starting {label_start!r} in {self.buttons}")


class Messages:
    sent: list[Sent]
    blocked: set[int]
    parse_failures: int
    callback_answers: dict[str, dict[str, Any]]
    inline_answers: dict[str, dict[str, Any]]
    files: dict[str, tuple[str, bytes]]
    chats: dict[int, dict[str, Any]]
    _history: dict[tuple[int, int], dict[str, Any]]
    _ids: itertools.count[int]
    check_thread: Callable[[int, Any], None]  # Chats'

    async def _m_sendChatAction(self, p: dict[str, Any]) -> Any:
        return True

    def _check_markup(self, markup: Any) -> None:
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _visible(self, p: dict[str, Any]) -> str:
        raw = str(p.get("text", ""))
        if p.get("parse_mode") == "HTML":
            if self.parse_failures:
                self.parse_failures -= 1
                raise ApiError(
                    400,
                    "Bad Request: can't parse entities: Unsupported start tag "
                    '"muse" at byte offset 0',
                )
            raw = parse_html(raw)
        elif p.get("parse_mode"):
            raise ApiError(400, f"Bad Request: unsupported parse_mode {p['parse_mode']}")
        if not raw.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16(raw) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return raw

    def _chat_id(self, p: dict[str, Any]) -> int:
        chat_id = int(p["chat_id"])
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        self.check_thread(chat_id, p.get("message_thread_id"))
        return chat_id

    def _chat(self, chat_id: int) -> dict[str, Any]:
        known = self.chats.get(chat_id) or next(
            (m["chat"] for (c, _), m in self._history.items() if c == chat_id), None
        )
        return known or {"id": chat_id, "type": "private", "first_name": "User"}

    def _store(self, sent: Sent, p: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": self._chat(sent.chat_id),
            "from": BOT,
        }
        if sent.document is None:
            message["text"] = sent.text
        else:
            message["document"] = {
                "file_id": f"doc-{sent.message_id}",
                "file_unique_id": f"doc-{sent.message_id}u",
                "file_name": sent.filename,
            }
        if sent.markup:
            message["reply_markup"] = sent.markup
        if sent.thread_id:
            message["message_thread_id"] = sent.thread_id
            message["is_topic_message"] = True
        if sent.reply_to is not None:
            replied = self._history.get((sent.chat_id, sent.reply_to))
            if replied is not None:
                message["reply_to_message"] = replied
        self._history[(sent.chat_id, sent.message_id)] = message
        self.sent.append(sent)
        return message

    def _find(self, p: dict[str, Any]) -> Sent:
        chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
        for m in self.sent:
            if (m.chat_id, m.message_id) == (chat_id, message_id) and not m.deleted:
                return m
        raise ApiError(400, "Bad Request: message to edit not found")

    async def _m_sendMessage(self, p: dict[str, Any]) -> Any:
        chat_id = self._chat_id(p)
        text = self._visible(p)
        self._check_markup(p.get("reply_markup"))
        reply = p.get("reply_parameters") or {}
        sent = Sent(
            chat_id,
            next(self._ids),
            text,
            str(p["text"]),
            p.get("parse_mode"),
            p.get("reply_markup"),
            p.get("message_thread_id"),
            reply.get("message_id"),
        )
        return self._store(sent, p)

    async def _m_editMessageText(self, p: dict[str, Any]) -> Any:
        sent = self._find(p)
        text = self._visible(p)
        self._check_markup(p.get("reply_markup"))
        if text == sent.text and p.get("reply_markup") == sent.markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current content "
                "and reply markup of the message",
            )
        sent.edits.append(text)
        sent.text, sent.raw, sent.parse_mode = text, str(p["text"]), p.get("parse_mode")
        return self._set_markup(sent, p.get("reply_markup"))

    async def _m_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        sent = self._find(p)
        self._check_markup(p.get("reply_markup"))
        if p.get("reply_markup") == sent.markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        sent.markup_edits += 1
        return self._set_markup(sent, p.get("reply_markup"))

    def _set_markup(self, sent: Sent, markup: dict[str, Any] | None) -> dict[str, Any]:
        sent.markup = markup
        message = self._history[(sent.chat_id, sent.message_id)]
        message["text"] = sent.text
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    async def _m_deleteMessage(self, p: dict[str, Any]) -> Any:
        chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
        for m in self.sent:
            if (m.chat_id, m.message_id) == (chat_id, message_id) and not m.deleted:
                m.deleted = True
                self._history.pop((chat_id, message_id), None)
                return True
        raise ApiError(400, "Bad Request: message to delete not found")

    async def _m_sendDocument(self, p: dict[str, Any]) -> Any:
        chat_id = self._chat_id(p)
        filename, data = p["document"]
        sent = Sent(
            chat_id,
            next(self._ids),
            p.get("caption", ""),
            thread_id=p.get("message_thread_id"),
            document=data,
            filename=filename,
        )
        return self._store(sent, p)

    async def _m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        query_id = p["callback_query_id"]
        if query_id in self.callback_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.callback_answers[query_id] = p
        return True

    async def _m_answerInlineQuery(self, p: dict[str, Any]) -> Any:
        if p["inline_query_id"] in self.inline_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.inline_answers[p["inline_query_id"]] = p
        return True

    async def _m_getFile(self, p: dict[str, Any]) -> Any:
        if p["file_id"] not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = self.files[p["file_id"]]
        if len(data) > MAX_FILE:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": p["file_id"],
            "file_unique_id": p["file_id"] + "u",
            "file_size": len(data),
            "file_path": path,
        }
