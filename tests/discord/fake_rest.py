"""The REST half of the fake Discord: interaction callbacks, webhooks (followups and
@original), channel messages, threads, DMs, command sync, login. Mixed into FakeDiscord."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from tests.discord.fake_payloads import (
    EPHEMERAL,
    LOADING,
    Call,
    FakeInteraction,
    Payloads,
    snowflake,
    user_payload,
)


class Rest(Payloads):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.unhandled: list[str] = []
        self.interactions: dict[str, FakeInteraction] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.forbidden_channels: set[str] = set()
        # Channels where the bot may post but lacks Create Public Threads.
        self.no_threads: set[str] = set()
        # Channels whose threads the bot may open but not post in (no Send Messages in
        # Threads): see FakeDiscord.deny_posts_in_threads.
        self.no_thread_posts: set[str] = set()
        # Simulate a token that dies right after the defer (a model slower than 15 min).
        self.expire_after_ack = False
        # Answer this many message/webhook writes with 429 before accepting them.
        self.rate_limits = 0
        self.rate_limited = 0
        # Answer command sync with 403 (the bot was invited without applications.commands).
        self.refuse_sync = False
        # While set to an unset event, "typing…" requests wait for it before answering.
        self.typing_held: asyncio.Event | None = None
        # For each "typing…" handled: how many requests had arrived when it was.
        self.typing_landed: list[int] = []
        self.token = "fake-bot-token"
        # Discord's upload limit (10 MiB for a bot, more in boosted servers): a bigger
        # file is refused with 413 / 40005, as the real API does; None: no limit.
        self.upload_limit: int | None = None

    @property
    def gateway_url(self) -> str:  # the server half (FakeDiscord) knows its port
        raise NotImplementedError

    async def dispatch(self, event: str, data: Any) -> None:  # sent by the server half
        raise NotImplementedError

    async def _read(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        files: list[tuple[str, bytes]] = []
        if request.content_type.startswith("multipart/"):
            body: Any = {}
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(data)
                else:
                    files.append((part.filename or "", bytes(data)))  # type: ignore[union-attr]
            return body, files
        if request.can_read_body:
            raw = await request.read()
            return (json.loads(raw) if raw else None), files
        return None, files

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        body, files = await self._read(request)
        path = "/" + request.match_info["tail"]
        self.calls.append(Call(request.method, path, body, files))
        parts = path.strip("/").split("/")
        if parts[0] not in ("interactions", "webhooks") and (
            request.headers.get("Authorization") != f"Bot {self.token}"
        ):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        if self.rate_limits and request.method in ("POST", "PATCH") and parts[0] != "interactions":
            self.rate_limits -= 1
            self.rate_limited += 1
            limited = {
                "message": "You are being rate limited.",
                "retry_after": 0.05,
                "global": False,
            }
            # discord.py treats a 429 without Via as a Cloudflare ban, not a rate limit.
            return web.Response(
                body=json.dumps(limited).encode(),
                status=429,
                headers={"Content-Type": "application/json", "Via": "1.1 google"},
            )
        if self.upload_limit is not None and any(len(d) > self.upload_limit for _, d in files):
            return _json({"message": "Request entity too large", "code": 40005}, status=413)
        try:
            return await self._route(request.method, parts, body or {}, files)
        except _Error as err:
            return _json({"message": err.message, "code": err.code}, status=err.status)

    async def _route(
        self, method: str, p: list[str], body: Any, files: list[tuple[str, bytes]]
    ) -> web.StreamResponse:
        if p == ["users", "@me"]:
            return _json(self.bot)
        if p in (["applications", "@me"], ["oauth2", "applications", "@me"]):
            return _json(self.app_info())
        if p[0] == "gateway":
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if p[0] == "interactions" and len(p) == 4 and method == "POST":
            return self._callback(p[1], p[2], body, files)
        if p[0] == "webhooks" and len(p) >= 3:
            return self._webhook(method, p, body, files)
        if p[0] == "channels":
            return await self._channel(method, p, body, files)
        if p[0] == "guilds" and len(p) == 4 and p[2] == "members" and method == "GET":
            if p[1] != self.guild_id or p[3] not in self.users:
                raise _Error(404, 10007, "Unknown Member")
            return _json(self.member(self.users[p[3]]))
        if p == ["users", "@me", "channels"] and method == "POST":
            rid = str(body["recipient_id"])
            user = self.users.get(rid) or user_payload(rid, "someone")
            cid = self.dm_channel(user)
            return _json({"id": cid, "type": 1, "recipients": [user]})
        if p[0] == "applications" and method == "PUT" and p[-1] == "commands":
            if self.refuse_sync:
                raise _Error(403, 50001, "Missing Access")
            scope = p[3] if len(p) == 5 else "global"
            self.commands[scope] = [{**c, "id": snowflake(), "application_id": p[1]} for c in body]
            return _json(self.commands[scope])
        self.unhandled.append(f"{method} /{'/'.join(p)}")
        raise _Error(404, 0, "not handled by the fake")

    def _interaction_for(self, token: str) -> FakeInteraction:
        interaction = self.interactions.get(token)
        if interaction is None:
            raise _Error(404, 10015, "Unknown Webhook")
        if interaction.expired:
            raise _Error(401, 50027, "Invalid Webhook Token")
        return interaction

    def _with_files(self, message: dict[str, Any], files: list[tuple[str, bytes]]) -> None:
        if files:
            message["attachments"] = [
                {
                    "id": snowflake(),
                    "filename": n,
                    "size": len(d),
                    "url": f"https://cdn/{n}",
                    "proxy_url": "",
                    "data": d,
                }
                for n, d in files
            ]

    def _callback(
        self, interaction_id: str, token: str, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None or interaction.id != interaction_id or interaction.expired:
            raise _Error(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            raise _Error(400, 40060, "Interaction has already been acknowledged.")
        interaction.callbacks.append(body)
        interaction.acked_at = time.monotonic()
        interaction.expired = self.expire_after_ack
        kind, data = body["type"], body.get("data") or {}
        resource: dict[str, Any] = {"type": kind}
        dm = "guild_id" not in interaction.payload
        channel = interaction.payload["channel_id"]
        if kind in (4, 5):
            content = data.get("content") or ""
            message = self.make_message(
                channel, self.bot, {**data, "content": content}, guild=not dm
            )
            if kind == 5:
                message["flags"] |= LOADING  # "Muse is thinking…"
            self._with_files(message, files)
            interaction.original = message
            resource["message"] = message
        elif kind in (6, 7):
            target = self.messages.get(interaction.payload.get("message", {}).get("id", ""))
            if target is not None:
                interaction.original = target
                if kind == 7:
                    target.update({k: v for k, v in data.items() if k in ("content", "components")})
                resource["message"] = target
        elif kind == 9:
            interaction.modal = data
        return _json(
            {
                "interaction": {
                    "id": interaction.id,
                    "type": interaction.payload["type"],
                    "response_message_id": (interaction.original or {}).get("id"),
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL),
                },
                "resource": resource,
            }
        )

    def _webhook(
        self, method: str, p: list[str], body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> web.StreamResponse:
        interaction = self._interaction_for(p[2])
        dm = "guild_id" not in interaction.payload
        channel = interaction.payload["channel_id"]
        if len(p) == 3 and method == "POST":
            message = self.make_message(channel, self.bot, body, guild=not dm)
            self._with_files(message, files)
            interaction.followups.append(message)
            return _json(message)
        if len(p) == 5 and p[3] == "messages":
            target = interaction.original if p[4] == "@original" else self.messages.get(p[4])
            if target is None:
                raise _Error(404, 10008, "Unknown Message")
            if method == "DELETE":
                target["deleted"] = True
                return web.Response(status=204)
            if method == "PATCH":
                for key in ("content", "components", "embeds"):
                    if key in body:
                        target[key] = body[key] or ([] if key != "content" else "")
                target["flags"] &= ~LOADING
                target["edits"] = target.get("edits", 0) + 1
                target.setdefault("history", []).append(target["content"])
                self._with_files(target, files)
            return _json(target)
        raise _Error(404, 0, "unknown webhook route")

    async def _channel(
        self, method: str, p: list[str], body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> web.StreamResponse:
        cid = p[1]
        if cid in self.forbidden_channels and method != "GET":
            raise _Error(403, 50013, "Missing Permissions")
        parent = next((t["parent_id"] for t in self.threads if t["id"] == cid), None)
        if parent in self.no_thread_posts and method == "POST" and p[2:] == ["messages"]:
            raise _Error(403, 50013, "Missing Permissions")
        guild = self.is_guild_channel(cid)
        if len(p) == 2 and method == "GET":
            if guild:
                return _json(self.channel_payload(cid))
            dm = next((u for u, c in self.dm_channels.items() if c == cid), None)
            if dm is None:
                raise _Error(404, 10003, "Unknown Channel")
            return _json({"id": cid, "type": 1, "recipients": [self.users[dm]]})
        if len(p) == 3 and p[2] == "typing":
            if self.typing_held is not None:
                await self.typing_held.wait()
            self.typing_landed.append(len(self.calls))
            return web.Response(status=204)
        if len(p) == 3 and p[2] == "messages" and method == "POST":
            message = self.make_message(cid, self.bot, body, guild=guild, extra={"via": "channel"})
            self._with_files(message, files)
            return _json(message)
        if len(p) == 4 and p[2] == "messages":
            target = self.messages.get(p[3])
            if target is None or target["channel_id"] != cid:
                raise _Error(404, 10008, "Unknown Message")
            if method == "DELETE":
                target["deleted"] = True
                return web.Response(status=204)
            for key in ("content", "components", "embeds"):
                if key in body:
                    target[key] = body[key] or ([] if key != "content" else "")
            self._with_files(target, files)
            target["edits"] = target.get("edits", 0) + 1
            target.setdefault("history", []).append(target["content"])
            return _json(target)
        threads = (len(p) == 5 and p[4] == "threads") or (len(p) == 3 and p[2] == "threads")
        if threads and method == "POST":
            if cid in self.no_threads:
                raise _Error(403, 50013, "Missing Permissions")
            if cid not in self.channels:
                raise _Error(400, 50024, "Cannot execute action on this channel type")
            private = body.get("type") == 12 or (len(p) == 3 and body.get("type") is None)
            thread = self.thread_payload(cid, body.get("name", "thread"), private=private)
            thread["thread_metadata"]["auto_archive_duration"] = body.get(
                "auto_archive_duration", 1440
            )
            if len(p) == 5:
                thread["id"] = p[3]  # a thread from a message takes the message's id
            self.threads.append(thread)
            await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
            return _json(thread)
        raise _Error(404, 0, "unknown channel route")


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py only parses a body whose content type is exactly application/json.
    return web.Response(
        body=json.dumps(data, default=_bytes).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def _bytes(value: Any) -> Any:
    if isinstance(value, bytes):
        return len(value)
    raise TypeError(type(value))


class _Error(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
