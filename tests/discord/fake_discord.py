"""A local fake of Discord for end-to-end tests: one aiohttp app on 127.0.0.1 serving
the gateway websocket and the REST endpoints the bot uses. It records what a user
would see (messages, interaction responses, ephemeral flags, files, buttons, modals),
so tests drive the real discord.py client and assert on the result."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from tests.discord.fake_payloads import PERMISSIONS, FakeInteraction, snowflake
from tests.discord.fake_rest import Rest
from tests.fakes.loopback import serve_on_loopback

T = TypeVar("T")
API = "/api/v10"
MESSAGE_CONTENT = 1 << 15
SEND_IN_THREADS = 1 << 38


class FakeDiscord(Rest):
    def __init__(self) -> None:
        super().__init__()
        self.identified: list[dict[str, Any]] = []
        # Gateway faults a test can cause: refuse the next N connections (HTTP 503),
        # hold new connections until released, or refuse to RESUME sessions.
        self.refuse_connections = 0
        self.refused = 0
        self.resumable = True
        self.resumed = 0
        self._accepting = asyncio.Event()
        self._accepting.set()
        self._socket: web.WebSocketResponse | None = None
        self._dropped: web.WebSocketResponse | None = None
        # The gateway session: its id and every event sent in it (replayed on RESUME).
        self._session: str | None = None
        self._events: list[dict[str, Any]] = []
        self._seq = 0
        self._ready = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Files users attached, served like Discord's CDN (drop one: it's gone).
        self.cdn: dict[str, bytes] = {}

    # -- server lifecycle ------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        app.router.add_get("/attachments/{id}/{name}", self._cdn)
        self._runner, self.port = await serve_on_loopback(app)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def _cdn(self, request: web.Request) -> web.Response:
        data = self.cdn.get(request.match_info["id"])
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data)

    def attachment(self, data: bytes, name: str = "shot.png", mime: str = "image/png") -> Any:
        """A file a user attaches to a message (for `send_message(files=…)`)."""
        file_id = snowflake()
        self.cdn[file_id] = data
        url = f"http://127.0.0.1:{self.port}/attachments/{file_id}/{name}"
        return {
            "id": file_id,
            "filename": name,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": mime,
        }

    # -- gateway ---------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_connections > 0:
            self.refuse_connections -= 1
            self.refused += 1
            return web.Response(status=503, text="gateway unavailable")
        await self._accepting.wait()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_frame(ws, json.loads(msg.data))
        finally:
            if self._socket is ws:
                self._socket = None
                self._ready.clear()
                if ws is not self._dropped:
                    self._session = None  # the client said goodbye: nothing to resume
        return ws

    async def _on_gateway_frame(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data["op"] == 1:
            await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
        elif data["op"] == 2:  # IDENTIFY: a new session
            self.identified.append(data["d"])
            self._session = f"fake-session-{len(self.identified)}"
            self._events, self._seq = [], 0
            self._socket = ws
            await self._send_ready()
            self._ready.set()
        elif data["op"] == 6:  # RESUME: replay what the client missed, then go on
            asked = data["d"]
            if not self.resumable or asked.get("session_id") != self._session:
                await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
                return
            self.resumed += 1
            i = 0
            while i < len(self._events):  # events may still be added while we send
                if self._events[i]["s"] > (asked.get("seq") or 0):
                    await ws.send_json(self._events[i])
                i += 1
            self._socket = ws
            await self._send(self._frame("RESUMED", {}))
            self._ready.set()

    async def _send_ready(self) -> None:
        ready = {
            "v": 10,
            "user": self.bot,
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "session_id": self._session,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.app_id, "flags": 0},
            "private_channels": [],
        }
        await self._send(self._frame("READY", ready))
        await self._send(self._frame("GUILD_CREATE", self.guild_payload()))

    def _frame(self, event: str, data: Any) -> dict[str, Any]:
        self._seq += 1
        frame = {"op": 0, "t": event, "s": self._seq, "d": data}
        self._events.append(frame)
        return frame

    async def _send(self, frame: dict[str, Any]) -> None:
        if self._socket is not None:
            await self._socket.send_json(frame)

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a gateway event. While a session is only disconnected (not ended), the
        event is kept for its RESUME, as Discord does."""
        if self._session is None:
            await asyncio.wait_for(self._ready.wait(), 10)
        await self._send(self._frame(event, data))

    async def drop_connection(self) -> None:
        """Close the gateway socket from Discord's side (a network fault): the session
        stays resumable."""
        if self._socket is not None:
            self._dropped = self._socket
            await self._socket.close()

    async def revoke_session(self, code: int = 4004) -> None:
        """Close the gateway socket with a code that can't be retried (4004: the token
        was reset in the Developer Portal)."""
        if self._socket is not None:
            await self._socket.close(code=code, message=b"Authentication failed.")

    def hold_gateway(self) -> None:
        """New gateway connections wait (Discord unreachable) until release_gateway()."""
        self._accepting.clear()

    def release_gateway(self) -> None:
        self._accepting.set()

    @property
    def connected(self) -> bool:
        return self._socket is not None

    # -- what users do ------------------------------------------------------------

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user: dict[str, Any],
        dm: bool,
        *,
        channel: str | None = None,
        **extra: Any,
    ) -> FakeInteraction:
        interaction_id, token = snowflake(), "itok-" + snowflake()
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.app_id,
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "app_permissions": PERMISSIONS,
            "locale": "en-US",
            "attachment_size_limit": self.upload_limit or 10 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id},
            **extra,
        }
        if dm:
            dm_channel = self.dm_channel(user)
            payload.update(
                channel_id=dm_channel,
                channel={"id": dm_channel, "type": 1, "recipients": [user]},
                user=user,
                context=1,
            )
        else:
            where = channel or self.channel_id
            payload.update(
                guild_id=self.guild_id,
                channel_id=where,
                channel=self.channel_payload(where),
                member=self.member(user),
                guild_locale="en-US",
                context=0,
            )
        interaction = FakeInteraction(interaction_id, token, payload)
        self.interactions[token] = interaction
        return interaction

    async def add_channel(self, name: str) -> str:
        """A new text channel in the server (e.g. a private one some members can't see)."""
        cid = snowflake()
        self.channels[cid] = self._text_channel(cid, name)
        await self.dispatch("CHANNEL_CREATE", self.channels[cid])
        return cid

    async def deny_posts_in_threads(self, channel: str) -> None:
        """A server admin takes Send Messages in Threads from Muse in `channel` (a
        permission overwrite for its member, as Discord sends it): Muse may still open
        threads there, but Discord refuses its posts in them."""
        deny = {"id": self.bot["id"], "type": 1, "allow": "0", "deny": str(SEND_IN_THREADS)}
        self.channels[channel]["permission_overwrites"] = [deny]
        self.no_thread_posts.add(channel)
        await self.dispatch("CHANNEL_UPDATE", self.channels[channel])

    async def add_thread(self, parent: str, name: str, *, private: bool = False) -> str:
        """A thread members opened themselves (Muse is told through the gateway)."""
        thread = self.thread_payload(parent, name, private=private)
        self.threads.append(thread)
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return str(thread["id"])

    async def send_slash(
        self,
        name: str,
        options: dict[str, str] | None = None,
        *,
        user: str = "alice",
        dm: bool = False,
        channel: str | None = None,
        sub: str | None = None,
    ) -> FakeInteraction:
        """A user runs /name [sub] with string options, in #general, `channel` or a DM."""
        values = [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()]
        if sub is not None:
            values = [{"name": sub, "type": 1, "options": values}]
        data = {"id": snowflake(), "name": name, "type": 1, "options": values}
        interaction = self._interaction(2, data, self.user(name=user), dm, channel=channel)
        await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def send_context_menu(
        self, name: str, target: dict[str, Any], *, user: str = "alice"
    ) -> FakeInteraction:
        data = {
            "id": snowflake(),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        interaction = self._interaction(
            2, data, self.user(name=user), dm=False, channel=target["channel_id"]
        )
        await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def press_button(
        self, custom_id: str, message: dict[str, Any], *, user: str = "alice"
    ) -> FakeInteraction:
        shown = [c["custom_id"] for row in message["components"] for c in row["components"]]
        assert custom_id in shown, "Discord only sends presses of buttons on the message"
        data = {"custom_id": custom_id, "component_type": 2}
        dm = "guild_id" not in message
        interaction = self._interaction(
            3, data, self.user(name=user), dm, channel=message["channel_id"], message=message
        )
        await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def submit_modal(
        self, opened_by: FakeInteraction, values: dict[str, str], *, user: str = "alice"
    ) -> FakeInteraction:
        modal = opened_by.modal
        assert modal is not None, "no modal was opened"
        rows = []
        for row in modal["components"]:
            for comp in row.get("components") or [row.get("component")]:
                value = values.get(comp["custom_id"], "")
                rows.append(
                    {
                        "type": 1,
                        "components": [{"type": 4, "custom_id": comp["custom_id"], "value": value}],
                    }
                )
        data = {"custom_id": modal["custom_id"], "components": rows}
        dm = "guild_id" not in opened_by.payload
        where = opened_by.payload["channel_id"]
        interaction = self._interaction(5, data, self.user(name=user), dm, channel=where)
        await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def send_message(
        self,
        content: str,
        *,
        user: str = "alice",
        mention: bool = True,
        dm: bool = False,
        channel: str | None = None,
        reference: dict[str, Any] | None = None,
        ping: bool = True,
        files: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A user posts a message: in #general (or `channel`, a channel or thread) with or
        without @mentioning the bot, or in a DM. `reference` makes it a reply; a reply
        to the bot pings it (puts it in mentions) unless `ping=False`. Like Discord, the
        text of a guild message that doesn't mention the bot is withheld unless the bot
        asked for the Message Content intent (its `files`, from `attachment()`, too)."""
        author = self.user(name=user)
        where = self.dm_channel(author) if dm else (channel or self.channel_id)
        if mention and not dm:
            content = f"<@{self.bot['id']}> {content}"
        pinged = bool(reference and ping and reference["author"]["id"] == self.bot["id"])
        mentions = [self.bot] if (mention or pinged) and not dm else []
        if not dm and not mentions and not self.message_content_intent():
            content, files = "", None
        extra: dict[str, Any] = {"mentions": mentions, "attachments": files or []}
        if not dm:
            extra["member"] = {k: v for k, v in self.member(author).items() if k != "user"}
        if reference is not None:
            extra["message_reference"] = {"message_id": reference["id"], "channel_id": where}
            extra["referenced_message"] = reference
        message = self.make_message(where, author, {"content": content}, guild=not dm, extra=extra)
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    def message_content_intent(self) -> bool:
        """Did the connected client ask for the privileged Message Content intent?"""
        return bool(self.identified and self.identified[-1]["intents"] & MESSAGE_CONTENT)

    # -- what tests read ------------------------------------------------------------

    def channel_messages(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        """Messages posted in a channel (bot posts included), oldest first, not deleted."""
        cid = channel_id or self.channel_id
        return [
            m for m in self.messages.values() if m["channel_id"] == cid and not m.get("deleted")
        ]

    def bot_messages(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        """What the bot posted as plain channel messages (not interaction responses)."""
        return [m for m in self.channel_messages(channel_id) if m.get("via") == "channel"]

    async def wait_for(self, predicate: Callable[[], T], limit_s: float = 15.0) -> T:
        """Poll until predicate() is truthy; returns its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting; calls so far: {self.summary()}")
            await asyncio.sleep(0.01)

    def summary(self) -> list[str]:
        return [f"{c.method} {c.path}" for c in self.calls[-30:]]
