"""A local fake of Telegram's Bot API, good enough for python-telegram-bot to run
against for real: long polling or webhook delivery, messages, edits, keyboards,
callback and inline answers, files, and Telegram's own errors (400 for over-long
text or broken HTML, 429 with retry_after). Tests talk to it the way users do:
`push_message()`, `press_button()`, `push_inline_query()`, then `wait_for()`."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

from tests.fakes.loopback import serve_on_loopback

TOKEN = "123456:TEST-fake-token-abcdef"
BOT = {
    "id": 1000,
    "is_bot": True,
    "first_name": "Muse",
    "username": "muse_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,  # privacy mode: like a real bot by default
    "supports_inline_queries": True,
}
MAX_TEXT = 4096
# Parameters that are free text; everything else PTB sends JSON-encoded (ints, objects).
TEXT_PARAMS = {
    "text",
    "caption",
    "url",
    "secret_token",
    "callback_query_id",
    "inline_query_id",
    "file_id",
    "parse_mode",
    "next_offset",
    "action",
    "filename",
}
TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
TAGS |= {"code", "pre", "blockquote", "tg-emoji"}
HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)(\s[^<>]*)?>|&(#\d+|#x[0-9a-fA-F]+|\w+);|[<>&]")


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """The visible text of Telegram-HTML, raising like Telegram on what it rejects."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in HTML_TOKEN.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        closing, tag, entity = m.group(1), m.group(2), m.group(4)
        where = f"at byte offset {len(text[: m.start()].encode())}"
        if tag:
            tag = tag.lower()
            if tag not in TAGS:
                raise ApiError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}" {where}',
                )
            if closing:
                if not stack or stack[-1] != tag:
                    raise ApiError(
                        400,
                        f"Bad Request: can't parse entities: Unmatched end tag "
                        f'{where}, expected "</{stack[-1] if stack else ""}>"',
                    )
                stack.pop()
            else:
                stack.append(tag)
        elif entity:
            if entity not in ("lt", "gt", "amp", "quot") and not entity.startswith("#"):
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unsupported HTML "
                    f'entity "&{entity};" {where}',
                )
            out.append(html.unescape(m.group(0)))
        else:
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: Can't find end of the entity starting {where}",
            )
    if stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag "
            f'corresponding to start tag "{stack[-1]}"',
        )
    out.append(text[pos:])
    return "".join(out)


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
    document: bytes | None = None
    filename: str | None = None

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


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200


class FakeBotAPI:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.updates: list[dict[str, Any]] = []  # not yet confirmed by getUpdates' offset
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.inline_answers: dict[str, dict[str, Any]] = {}
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.files: dict[str, tuple[str, bytes]] = {}
        self.blocked: set[int] = set()  # users who never pressed Start: 403 on DMs
        self.parse_failures = 0  # force the next N HTML messages to fail to parse
        self.broken_files = False  # file downloads fail with a 500 (the URL in its body)
        self.holds: dict[str, asyncio.Event] = {}  # method -> released when set
        self.held: list[str] = []  # calls that waited on a hold
        self._flood: dict[str, Any] | None = None
        self._history: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, id) -> message
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._closing = False

    # -- server --------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner, self.port = await serve_on_loopback(app, access_log=None)

    async def stop(self) -> None:
        for hold in self.holds.values():
            hold.set()
        self._closing = True  # end pending long polls now, not at their timeout
        await self._record()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        params: dict[str, Any] = {}
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = (value.filename, value.file.read())
            elif key in TEXT_PARAMS:
                params[key] = value
            else:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        call = Call(method, params)
        try:
            hold = self.holds.get(method)
            if hold is not None and not hold.is_set():
                self.held.append(method)
                await self._record()
                await hold.wait()
            self._maybe_flood(method)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(params)
            body: dict[str, Any] = {"ok": True, "result": result}
        except ApiError as exc:
            call.status = exc.code
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
        if method != "getUpdates" or body.get("result"):
            await self._record(call)
        return web.json_response(body, status=call.status)

    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if self.broken_files:
            return web.Response(status=500, text=f"Internal error while serving {request.url}")
        for stored_path, data in self.files.values():
            if stored_path == path and request.match_info["token"] == self.token:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404)

    async def _record(self, call: Call | None = None) -> None:
        async with self._changed:
            if call is not None:
                self.calls.append(call)
            self._changed.notify_all()

    # -- failure injection ---------------------------------------------------

    def flood(
        self,
        every: int,
        times: int,
        retry_after: int = 1,
        methods: Iterable[str] = ("sendMessage", "editMessageText"),
    ) -> None:
        """Answer every `every`-th call of `methods` with 429, `times` times in all."""
        self._flood = {
            "every": every,
            "left": times,
            "retry_after": retry_after,
            "methods": set(methods),
            "seen": 0,
        }

    def _maybe_flood(self, method: str) -> None:
        flood = self._flood
        if not flood or not flood["left"] or method not in flood["methods"]:
            return
        flood["seen"] += 1
        if flood["seen"] % flood["every"] == 0:
            flood["left"] -= 1
            after = flood["retry_after"]
            raise ApiError(429, f"Too Many Requests: retry after {after}", retry_after=after)

    def hold(self, method: str) -> asyncio.Event:
        """Calls of `method` wait until the returned event is set."""
        self.holds[method] = asyncio.Event()
        return self.holds[method]

    # -- what users do -------------------------------------------------------

    @staticmethod
    def user(uid: int = 111, username: str | None = "alice", name: str = "Alice") -> dict[str, Any]:
        user: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": name}
        if username:
            user["username"] = username
        return user

    @staticmethod
    def group(chat_id: int = -100500, forum: bool = False) -> dict[str, Any]:
        return {"id": chat_id, "type": "supergroup", "title": "Creators", "is_forum": forum}

    def add_file(self, data: bytes, path: str = "photos/file_1.jpg") -> str:
        file_id = f"file-{next(self._ids)}"
        self.files[file_id] = (path, data)
        return file_id

    async def push_message(
        self,
        text: str = "",
        *,
        user: dict[str, Any] | None = None,
        chat: dict[str, Any] | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        photo: bytes | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user sends a message (text, or a photo with `text` as its caption)."""
        user = user or self.user()
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        key = "caption" if photo is not None else "text"
        if text:
            message[key] = text
            entities = _entities(text)
            if entities:
                message[f"{key}_entities" if key == "caption" else "entities"] = entities
        if photo is not None:
            big = self.add_file(photo, f"photos/file_{len(self.files)}.jpg")
            thumb = self.add_file(photo[:10], f"thumbs/file_{len(self.files)}.jpg")
            message["photo"] = [
                {"file_id": thumb, "file_unique_id": thumb + "u", "width": 90, "height": 90},
                {
                    "file_id": big,
                    "file_unique_id": big + "u",
                    "width": 1280,
                    "height": 960,
                    "file_size": len(photo),
                },
            ]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
            # In a topic every message "replies" to the topic's creation notice.
            message["reply_to_message"] = {
                "message_id": thread_id,
                "date": 0,
                "chat": chat,
                "from": user,
                "forum_topic_created": {"name": "Friday stream", "icon_color": 7322096},
                "message_thread_id": thread_id,
                "is_topic_message": True,
            }
        if reply_to is not None:
            message["reply_to_message"] = self._history[(chat["id"], reply_to)]
        message.update(extra or {})
        self._history[(chat["id"], message["message_id"])] = message
        await self.push_update({"message": message})
        return message

    async def press_button(
        self,
        sent: Sent,
        label_start: str = "",
        *,
        data: str | None = None,
        user: dict[str, Any] | None = None,
    ) -> str:
        """A user presses a button under `sent` (by label, or with any callback data)."""
        query_id = f"cq-{next(self._ids)}"
        message = self._history[(sent.chat_id, sent.message_id)]
        await self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user or self.user(),
                    "chat_instance": "ci-1",
                    "message": message,
                    "data": data if data is not None else sent.data_of(label_start),
                }
            }
        )
        return query_id

    async def push_inline_query(self, query: str, user: dict[str, Any] | None = None) -> str:
        query_id = f"iq-{next(self._ids)}"
        await self.push_update(
            {
                "inline_query": {
                    "id": query_id,
                    "from": user or self.user(),
                    "query": query,
                    "offset": "",
                }
            }
        )
        return query_id

    async def push_update(self, update: dict[str, Any]) -> None:
        update = {"update_id": next(self._update_ids), **update}
        if self.webhook and self.webhook.get("url"):
            headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook.get("secret_token", "")}
            async with (
                ClientSession() as http,
                http.post(self.webhook["url"], json=update, headers=headers) as response,
            ):
                assert response.status == 200, response.status
            return
        self.updates.append(update)
        await self._record()

    # -- what tests read -----------------------------------------------------

    async def wait_for(self, predicate: Callable[[], Any], within: float = 10.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked after every API call)."""
        async with asyncio.timeout(within), self._changed:
            while not (result := predicate()):
                await self._changed.wait()
            return result

    def messages(self, chat_id: int = 111) -> list[Sent]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def texts(self, chat_id: int = 111) -> list[str]:
        return [m.text for m in self.messages(chat_id)]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    # -- Bot API methods -----------------------------------------------------

    async def _m_getMe(self, p: dict[str, Any]) -> Any:
        return BOT

    async def _m_getUpdates(self, p: dict[str, Any]) -> Any:
        if self.webhook and self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(p.get("offset") or 0)
        if offset:  # confirmed: gone for good
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        limit = int(p.get("limit") or 100)
        try:
            async with asyncio.timeout(float(p.get("timeout") or 0)), self._changed:
                while not self.updates and not self._closing:
                    await self._changed.wait()
        except TimeoutError:
            pass
        return self.updates[:limit]

    async def _m_deleteWebhook(self, p: dict[str, Any]) -> Any:
        if p.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = None
        return True

    async def _m_setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = p
        return True

    async def _m_setMyCommands(self, p: dict[str, Any]) -> Any:
        for c in p["commands"]:
            if (
                not re.fullmatch(r"[a-z0-9_]{1,32}", c["command"])
                or not 1 <= len(c["description"]) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands = p["commands"]
        return True

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
        return chat_id

    def _store(self, sent: Sent, p: dict[str, Any]) -> dict[str, Any]:
        chat = next(
            (m["chat"] for (c, _), m in self._history.items() if c == sent.chat_id),
            {"id": sent.chat_id, "type": "private", "first_name": "User"},
        )
        message: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": chat,
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
        self._history[(sent.chat_id, sent.message_id)] = message
        self.sent.append(sent)
        return message

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
        chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
        sent = next(
            (m for m in self.sent if (m.chat_id, m.message_id) == (chat_id, message_id)), None
        )
        if sent is None:
            raise ApiError(400, "Bad Request: message to edit not found")
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
        sent.markup = p.get("reply_markup")
        message = self._history[(chat_id, message_id)]
        message["text"] = text
        message.pop("reply_markup", None)
        if sent.markup:
            message["reply_markup"] = sent.markup
        return message

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
        return {
            "file_id": p["file_id"],
            "file_unique_id": p["file_id"] + "u",
            "file_size": len(data),
            "file_path": path,
        }


def _entities(text: str) -> list[dict[str, Any]]:
    """bot_command and mention entities, with offsets in UTF-16 units like Telegram's."""
    found = []
    for m in re.finditer(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@\w+)?|(?<!\w)@\w{5,32}", text):
        kind = "bot_command" if m.group(0).startswith("/") else "mention"
        if kind == "bot_command" and m.start() != 0:
            continue
        found.append(
            {"type": kind, "offset": utf16(text[: m.start()]), "length": utf16(m.group(0))}
        )
    return found
