"""A local fake of Telegram's Bot API, good enough for python-telegram-bot to run
against for real: long polling or webhook delivery, messages, edits, deletes, keyboards,
callback and inline answers, files, groups with admins, privacy mode and forum topics,
a group upgraded to a supergroup, the bot removed from a chat, only the update kinds the
bot asked for (allowed_updates), and Telegram's own errors (400 for over-long text,
broken HTML, a file over 20 MB or an upgraded group's old id, 429 with retry_after,
optionally for every send beyond the real flood limits). Tests talk to
it the way users do: `push_message()`, `press_button()`, `push_inline_query()`, then
`wait_for()`; they break it the way networks do: `fail_polls()`, `go_offline()`."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web

from tests.fakes.loopback import serve_on_loopback
from tests.telegram.fake_chats import BOT, Chats
from tests.telegram.fake_limits import FloodLimits, Limit
from tests.telegram.fake_messages import Messages, Sent
from tests.telegram.fake_wire import TEXT_PARAMS, ApiError, entities, parse_html

__all__ = ["BOT", "TOKEN", "ApiError", "FakeBotAPI", "Sent", "parse_html"]

TOKEN = "123456:TEST-fake-token-abcdef"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = 0.0


class FakeBotAPI(Messages, Chats):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
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
        self.limits: FloodLimits | None = None  # Telegram's flood limits, when enforced
        self.polls_failed = 0
        self._poll_failures: deque[str] = deque()
        self._flood: dict[str, Any] | None = None
        self._fail_next: dict[str, list[ApiError]] = {}
        self._history: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, id) -> message
        self._update_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._closing = False
        # Update types the bot asked for (getUpdates' or setWebhook's allowed_updates):
        # Telegram keeps none of the others for it. None: not asked yet (all but a few).
        self.allowed: list[str] | None = None

    # -- server --------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner, self.port = await serve_on_loopback(
            app, port=self.port, access_log=None, shutdown_timeout=1.0
        )

    async def stop(self) -> None:
        for hold in self.holds.values():
            hold.set()
        self._closing = True  # end pending long polls now, not at their timeout
        await self._record()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def go_offline(self) -> None:
        """Telegram unreachable: open connections end and new ones are refused."""
        await self.stop()
        self._closing = False

    async def go_online(self) -> None:
        await self.start()  # on the same port: the bot reconnects by itself

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

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        call = Call(method, params, at=time.monotonic())
        try:
            hold = self.holds.get(method)
            if hold is not None and not hold.is_set():
                self.held.append(method)
                await self._record()
                await hold.wait()
            self._maybe_flood(method)
            if self._fail_next.get(method):
                raise self._fail_next[method].pop(0)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            self._check_limits(method, params)
            self.check_chat(method, params)
            result = await handler(params)
            body: dict[str, Any] = {"ok": True, "result": result}
        except ApiError as exc:
            call.status = exc.code
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters():
                body["parameters"] = exc.parameters()
        if method == "getUpdates" and self._poll_failures:
            return await self._fail_poll(request, call)
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

    async def revoke_token(self) -> None:
        """The token is revoked in @BotFather: every call gets 401 from now on, and a
        long poll under way ends now rather than at its timeout (as it would with none)."""
        self.token = "revoked"
        await self._record()

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

    def enforce_limits(
        self,
        overall: Limit | None = (30, 1.0),
        per_chat: Limit | None = (1, 1.0),
        per_group: Limit | None = (20, 60.0),
    ) -> FloodLimits:
        """From now on every send beyond Telegram's flood limits gets a 429."""
        self.limits = FloodLimits(overall, per_chat, per_group)
        return self.limits

    def _check_limits(self, method: str, params: dict[str, Any]) -> None:
        if self.limits is None or "chat_id" not in params:
            return
        wait = self.limits.check(method, int(params["chat_id"]))
        if wait is not None:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def fail_polls(self, times: int, how: str = "drop") -> None:
        """The next `times` getUpdates fail: "drop" closes the connection after the
        updates were taken (the answer is lost on the way), "error" answers 502."""
        self._poll_failures.extend([how] * times)

    async def _fail_poll(self, request: web.Request, call: Call) -> web.StreamResponse:
        how = self._poll_failures.popleft()
        self.polls_failed += 1
        call.status = 502
        await self._record(call)
        if how == "error":
            return web.Response(status=502, text="Bad Gateway")
        assert request.transport is not None
        request.transport.close()
        return web.Response(status=502)  # never arrives: the connection is gone

    def fail_next(self, method: str, code: int = 502, description: str = "Bad Gateway") -> None:
        """The next call of `method` fails so (a 502: Telegram's front had a moment)."""
        self._fail_next.setdefault(method, []).append(ApiError(code, description))

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

    def add_file(self, data: bytes, path: str = "photos/file_1.jpg") -> str:
        file_id = f"file-{next(self._ids)}"
        self.files[file_id] = (path, data)
        return file_id

    def document(
        self, data: bytes, mime: str = "image/png", name: str = "shot.png", *, sized: bool = True
    ) -> dict[str, Any]:
        """A file sent as a document (not compressed like a photo), for push_message;
        Telegram may leave its size out (`sized=False`)."""
        file_id = self.add_file(data, f"documents/{name}")
        doc: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": file_id + "u",
            "file_name": name,
            "mime_type": mime,
        }
        if sized:
            doc["file_size"] = len(data)
        return doc

    def topic(self, chat: dict[str, Any], name: str = "Friday stream") -> int:
        """A forum topic a member opens; its id (the id of its creation notice)."""
        thread_id = next(self._ids)
        self.topic_created(chat, thread_id, name)
        return thread_id

    async def push_message(
        self,
        text: str = "",
        *,
        user: dict[str, Any] | None = None,
        chat: dict[str, Any] | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        photo: bytes | None = None,
        document: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user sends a message (text, or a photo or a `document()` with `text` as its
        caption). In a group the bot gets it only if privacy mode lets it through."""
        user = user or self.user()
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        key = "caption" if photo is not None or document is not None else "text"
        if text:
            message[key] = text
            found = entities(text)
            if found:
                message[f"{key}_entities" if key == "caption" else "entities"] = found
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
        if document is not None:
            message["document"] = document
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
            if (chat["id"], thread_id) not in self._history:
                self.topic_created(chat, thread_id)
            # In a topic every message "replies" to the topic's creation notice.
            message["reply_to_message"] = self._history[(chat["id"], thread_id)]
        if reply_to is not None:
            message["reply_to_message"] = self._history[(chat["id"], reply_to)]
        message.update(extra or {})
        self._history[(chat["id"], message["message_id"])] = message
        if self.delivered_to_bot(message):
            await self.push_update({"message": message})
        return message

    def topic_created(self, chat: dict[str, Any], thread_id: int, name: str = "") -> None:
        """A topic that existed before the test (its creation notice, by a member)."""
        self.topics[(chat["id"], thread_id)] = name or "Friday stream"
        self._history[(chat["id"], thread_id)] = {
            "message_id": thread_id,
            "date": 0,
            "chat": chat,
            "from": self.user(),
            "forum_topic_created": {"name": name or "Friday stream", "icon_color": 7322096},
            "message_thread_id": thread_id,
            "is_topic_message": True,
        }

    def record_service(self, chat: dict[str, Any], message: dict[str, Any]) -> None:
        self._history[(chat["id"], message["message_id"])] = message

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
        kind = next(iter(update))
        if self.allowed is not None and self.allowed and kind not in self.allowed:
            return  # the bot didn't ask for this kind: Telegram never stores it
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
        """What the chat shows now (deleted messages are gone)."""
        return [m for m in self.sent if m.chat_id == chat_id and not m.deleted]

    def texts(self, chat_id: int = 111) -> list[str]:
        return [m.text for m in self.messages(chat_id)]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def sent_to(self, chat_id: int, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.of(method) if int(c.params.get("chat_id", 0)) == chat_id]

    # -- Bot API methods -----------------------------------------------------

    async def _m_getMe(self, p: dict[str, Any]) -> Any:
        return {**BOT, "can_read_all_group_messages": not self.privacy}

    async def _m_getUpdates(self, p: dict[str, Any]) -> Any:
        if self.webhook and self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if p.get("allowed_updates") is not None:
            self.allowed = list(p["allowed_updates"])
        offset = int(p.get("offset") or 0)
        if offset:  # confirmed: gone for good
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        limit = int(p.get("limit") or 100)
        try:
            async with asyncio.timeout(float(p.get("timeout") or 0)), self._changed:
                while not (self.updates or self._closing or self._poll_failures) and (
                    self.token != "revoked"
                ):
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
        if p.get("allowed_updates") is not None:
            self.allowed = list(p["allowed_updates"])
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
