"""The model server's HTTP client (bot/llm/http_pool.py) through ChatOpenAI: a pooled
connection that the server closed while it sat idle is noticed and not reused, so the
next answer comes on a new connection instead of failing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from bot.config import LLMSettings
from bot.llm.http_pool import KnownSocketBackend
from bot.llm.providers import make_model

httpx2 = pytest.importorskip("httpx2")  # openai >= 3; older SDKs keep their own client


class ClosingServer:
    """An OpenAI-style chat endpoint that answers with keep-alive headers, then hangs up
    once the answer is out, the way a server ends an idle keep-alive connection."""

    def __init__(self) -> None:
        self.connections = 0
        self.closed = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        body = json.dumps(
            {
                "id": "c1",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": f"answer {self.connections}"},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        self.closed.set()


@pytest.fixture
async def closing() -> AsyncIterator[tuple[ClosingServer, str]]:
    fake = ClosingServer()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield fake, f"http://127.0.0.1:{port}/v1"


async def test_a_connection_the_server_closed_is_not_reused(
    closing: tuple[ClosingServer, str],
) -> None:
    fake, url = closing
    model = make_model(LLMSettings(provider="openai", base_url=url, model="m"))
    # A later httpx that kept its pool elsewhere would quietly lose the cheaper check.
    pool = model.http_async_client._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool._network_backend, KnownSocketBackend)
    first = await model.ainvoke("hello")
    await fake.closed.wait()  # the first connection is now closed by the server, idle here
    second = await model.ainvoke("hello again")
    assert (first.content, second.content) == ("answer 1", "answer 2")
    assert fake.connections == 2
