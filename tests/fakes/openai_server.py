"""A local fake OpenAI-compatible server (aiohttp on 127.0.0.1, random port).

`POST /v1/chat/completions` answers as JSON, or as SSE chunks (`data: {...}` then
`data: [DONE]`) when the request asks to stream. Each request takes the next step
of a script (then the default answer); every request is recorded so tests can
check what was sent. Like a real server it stops at the request's token cap
(`max_completion_tokens`/`max_tokens`, counted here as 4 characters a token) and says
so with `finish_reason: "length"`. `POST /v1/embeddings` answers with word-count vectors
(texts that share words are alike), as floats or base64, recorded in
`embedding_requests`; set `embeddings_status` to make it fail (e.g. 404, a server
without embeddings).

Faults to inject, each really happening on the wire: `hang` (a timeout),
`rate_limited` (429 with Retry-After), `server_error`/`status` (5xx and others),
`malformed` (a body that is not JSON), `empty` (no answer in a 200), `broken` (the
connection dropped halfway through the answer), `error_event` (an error inside a 200:
an SSE error event mid-stream, or an error body), `garbage` (bytes that are not UTF-8),
`whole` (a whole JSON answer also to a request that asked for a stream). A refused
connection is a closed port: see `closed_port()`. `hold()` keeps every answer back
(embeddings too) until `release()`.

    server = FakeOpenAI()
    base_url = await server.start()          # http://127.0.0.1:PORT/v1
    server.enqueue(rate_limited(), reply("1. a\\n2. b\\n3. c"))
    ...
    server.requests[0].json["model"], server.requests[0].headers["Authorization"]
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import socket
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web

from tests.fakes.loopback import serve_on_loopback

DEFAULT_ANSWER = (
    "1. Rain on the tram window, warm coffee in my hands. #Lisbon\n"
    "2. Lisbon said sun. Lisbon lied. #RainyDay\n"
    "3. Grey sky, yellow tram, zero regrets. #Portugal"
)


@dataclass(frozen=True)
class Step:
    """What the server does with one request."""

    kind: str  # "reply" | "error" | "hang" | "malformed" | "empty" | "broken" | ...
    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    # "broken": how many pieces of the answer go out before the connection drops.
    after: int = 0


def reply(text: str = DEFAULT_ANSWER) -> Step:
    """A normal answer (streamed if the request asked for a stream)."""
    return Step("reply", text)


def rate_limited(retry_after: float | str = 0, header: str = "retry-after") -> Step:
    """429; `header` may be "retry-after" (seconds or an HTTP date) or "retry-after-ms"."""
    return Step("error", "Rate limit reached", 429, {header: str(retry_after)})


def server_error() -> Step:
    return Step("error", "The server had an error", 500)


def status(code: int, text: str = "Something went wrong") -> Step:
    return Step("error", text, code)


def malformed() -> Step:
    """200, but the body (or the stream's first event) is not JSON."""
    return Step("malformed")


def empty() -> Step:
    """200 with no answer in it (no choices; a stream with no content)."""
    return Step("empty")


def broken(text: str = DEFAULT_ANSWER, after: int = 3) -> Step:
    """Start answering, then drop the connection after `after` pieces of the text."""
    return Step("broken", text, after=after)


def error_event(text: str = "model overloaded") -> Step:
    """200, then an error: an SSE `{"error": ...}` event after the first chunk (as vLLM,
    llama.cpp and proxies such as OpenRouter report a failure mid-stream), or a JSON
    error body for a request that did not stream."""
    return Step("error_event", text)


def garbage() -> Step:
    """200 with bytes that are not UTF-8 (a broken proxy, a wrong charset)."""
    return Step("garbage")


def whole(text: str = DEFAULT_ANSWER) -> Step:
    """A whole JSON answer, also when the request asked for a stream (a server or proxy
    that ignores `stream`)."""
    return Step("whole", text)


def filtered() -> Step:
    """200 with no text, stopped by the server's content filter (finish_reason
    "content_filter", as Azure OpenAI does)."""
    return Step("filtered")


# Sockets bound by closed_port(), kept open until the test run ends.
_HELD: list[socket.socket] = []


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused. The port stays
    bound (never listening) for the rest of the run: a port merely freed again could be
    taken meanwhile by any server on the machine (another test's fake, a parallel job),
    and the "refused" connection would reach it instead."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return int(sock.getsockname()[1])


def unauthorized() -> Step:
    return Step("error", "Incorrect API key provided", 401)


def hang(seconds: float = 30.0) -> Step:
    """Say nothing for `seconds` (longer than the client's timeout)."""
    return Step("hang", seconds=seconds)


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]
    json: dict[str, Any]
    # time.monotonic() when the request arrived (for "waited at least as asked").
    at: float = 0.0

    @property
    def streamed(self) -> bool:
        return bool(self.json.get("stream"))

    def messages(self, role: str) -> list[Any]:
        return [m.get("content") for m in self.json.get("messages", []) if m.get("role") == role]

    def text(self) -> str:
        """Every message's text, image parts left out."""
        out: list[str] = []
        for m in self.json.get("messages", []):
            content = m.get("content")
            if isinstance(content, str):
                out.append(content)
            elif isinstance(content, list):
                out += [p.get("text", "") for p in content if p.get("type") == "text"]
        return "\n".join(out)


class FakeOpenAI:
    def __init__(self, default: str = DEFAULT_ANSWER) -> None:
        self.default = default
        # Seconds every answer takes before its first byte (a slow model, for benchmarks).
        self.latency_s = 0.0
        # A server's own cap on answer tokens, below what was asked (Ollama's
        # num_predict, llama.cpp's n_predict); None: only the request's cap.
        self.token_cap: int | None = None
        # A server's context window, in characters of the request's messages: a longer
        # request is refused with 400 context_length_exceeded, as OpenAI and vLLM do.
        self.context_chars: int | None = None
        self.script: deque[Step] = deque()
        self.requests: list[Recorded] = []
        self.embedding_requests: list[Recorded] = []
        self.embeddings_status = 200
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._arrived = asyncio.Condition()
        self._released = asyncio.Event()
        self._released.set()
        self.port = 0

    def enqueue(self, *steps: Step) -> None:
        self.script.extend(steps)

    def hold(self) -> None:
        """Let requests arrive but answer none until release(): many under way at once."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    async def wait_for_requests(
        self, count: int, within: float = 30.0, *, embeddings: bool = False
    ) -> None:
        """Until `count` requests (to /embeddings, if so) have arrived (e.g. a model call
        is under way)."""
        arrived = self.embedding_requests if embeddings else self.requests
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(arrived) >= count)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        self._runner, self.port = await serve_on_loopback(app, shutdown_timeout=0.5)
        return self.base_url

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(Recorded(request.path, dict(request.headers), body, time.monotonic()))
        async with self._arrived:
            self._arrived.notify_all()
        await self._released.wait()
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        step = self.script.popleft() if self.script else reply(self.default)
        if self.context_chars and len(Recorded("", {}, body).text()) > self.context_chars:
            error: dict[str, Any] = {
                "message": "This model's maximum context length is 2048 tokens. However, "
                "your messages resulted in 4096 tokens.",
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            }
            return web.json_response({"error": error}, status=400)
        if unreadable_image(body):  # as OpenAI answers an image it can't read
            step = status(400, "You uploaded an unsupported image. Use png, jpeg, gif or webp.")
        if step.kind == "hang":
            try:
                await asyncio.wait_for(self._closing.wait(), step.seconds)
            except TimeoutError:
                pass
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # the client went away (e.g. was killed)
            step = reply(self.default)
        if step.kind == "error":
            error = {"error": {"message": step.text, "type": "fake_error", "code": step.status}}
            return web.json_response(error, status=step.status, headers=step.headers)
        if step.kind == "garbage":
            junk = b"\xff\xfe\x80 not utf-8 \x81"
            junk = b"data: " + junk + b"\n\n" if body.get("stream") else junk
            return web.Response(body=junk, content_type="application/json")
        if step.kind == "error_event" and not body.get("stream"):
            return web.json_response({"error": {"message": step.text, "code": 502}})
        if step.kind == "malformed" and not body.get("stream"):
            cut_json = '{"id": "chatcmpl-fake", "choi'
            return web.Response(text=cut_json, content_type="application/json")
        model = body.get("model", "fake-model")
        text, finish = self._capped(step.text, body, self.token_cap)
        finish = "content_filter" if step.kind == "filtered" else finish
        if body.get("stream") and step.kind != "whole":
            return await self._stream(request, model, text, finish, step)
        if step.kind == "broken":
            return await self._drop_midway(request, text)
        choices = [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None if step.kind == "filtered" else text,
                },
                "finish_reason": finish,
            }
        ]
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [] if step.kind == "empty" else choices,
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
        )

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.embedding_requests.append(
            Recorded(request.path, dict(request.headers), body, time.monotonic())
        )
        async with self._arrived:
            self._arrived.notify_all()
        await self._released.wait()
        if self.embeddings_status != 200:
            error = {"error": {"message": "no such endpoint", "type": "fake_error"}}
            return web.json_response(error, status=self.embeddings_status)
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        for i, text in enumerate(texts):
            vector = word_vector(str(text))
            value: Any = vector.tolist()
            if body.get("encoding_format") == "base64":
                value = base64.b64encode(vector.astype("<f4").tobytes()).decode()
            data.append({"object": "embedding", "index": i, "embedding": value})
        usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
        return web.json_response(
            {"object": "list", "data": data, "model": body.get("model"), "usage": usage}
        )

    @staticmethod
    def _capped(text: str, body: dict[str, Any], own: int | None) -> tuple[str, str]:
        """The answer within the token cap (4 characters a token here, and like a real
        tokenizer's, the cut falls at the end of a word)."""
        caps = [
            int(c) for c in (body.get("max_completion_tokens"), body.get("max_tokens"), own) if c
        ]
        cap = min(caps) if caps else None
        if cap and len(text) > cap * 4:
            cut = text[: int(cap) * 4]
            return (cut.rsplit(" ", 1)[0] if " " in cut else cut), "length"
        return text, "stop"

    async def _drop_midway(self, request: web.Request, text: str) -> web.StreamResponse:
        """Promise a whole JSON body, send half of it, and drop the connection."""
        data = json.dumps({"choices": [{"message": {"content": text}}]}).encode()
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(data)
        await response.prepare(request)
        await response.write(data[: len(data) // 2])
        self._drop(request)
        return response

    @staticmethod
    def _drop(request: web.Request) -> None:
        transport = request.transport
        if transport is not None:
            transport.abort()

    async def _stream(
        self, request: web.Request, model: str, text: str, finish: str, step: Step
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        if step.kind == "malformed":
            await response.write(b"data: {this is not json\n\n")
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        if step.kind == "error_event":
            error = {"error": {"message": step.text, "type": "server_error", "code": 503}}
            await response.write(f"data: {json.dumps(error)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        pieces = [] if step.kind in ("empty", "filtered") else re.findall(r"\S+\s*|\s+", text)
        for n, piece in enumerate(pieces):
            if step.kind == "broken" and n == step.after:
                self._drop(request)
                return response
            await send({"content": piece})
            await asyncio.sleep(0)
        await send({}, finish)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def unreadable_image(body: dict[str, Any]) -> bool:
    """Does the request carry an image as data in a format OpenAI refuses (HEIC, SVG…)?"""
    for message in body.get("messages", []):
        parts = message.get("content")
        for part in parts if isinstance(parts, list) else []:
            url = part.get("image_url", {}).get("url", "") if isinstance(part, dict) else ""
            kind = url.removeprefix("data:").split(";")[0] if url.startswith("data:") else ""
            if kind and kind not in ("image/png", "image/jpeg", "image/gif", "image/webp"):
                return True
    return False


def word_vector(text: str, dim: int = 64) -> np.ndarray:
    """A stand-in embedding: counts of the text's words, hashed into `dim` slots."""
    vector = np.zeros(dim, dtype=np.float32)
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        vector[zlib.crc32(word.encode()) % dim] += 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
