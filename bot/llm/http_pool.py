"""The model server's HTTP client: the OpenAI SDK's own, with a cheaper check of whether
an idle pooled connection was closed by the server.

httpcore's pool asks each idle connection whether it has expired every time a request
starts or ends there. Through anyio, each ask builds the socket's whole attribute table
(a `getpeername` system call included) only to find the socket, then polls it. With a
hundred connections kept alive in a burst, that walk was the largest single cost of a
model call (bench/README.md, issue 10). Here a stream keeps its socket from the start,
and only the poll is left: the same check, with the same answer."""

# ruff: noqa: ASYNC109  (the `timeout` parameters are httpcore's interface)
from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2


def _readable(sock: socket.socket | None) -> bool:
    """Whether a read would return at once: for an idle connection, the server's close.
    A socket already gone counts as readable, as in httpcore."""
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class _KnownSocket(httpcore2.AsyncNetworkStream):
    """anyio's stream, answering "socket" and "is_readable" from the socket it opened."""

    def __init__(self, inner: httpcore2.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        return _KnownSocket(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._socket)
        if info == "socket":
            return self._socket
        return self._inner.get_extra_info(info)


class KnownSocketBackend(httpcore2.AnyIOBackend):
    """anyio's network backend (the one httpcore picks under asyncio), its TCP streams
    wrapped in `_KnownSocket`."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        stream = await super().connect_tcp(host, port, timeout, local_address, socket_options)
        return _KnownSocket(stream)


def model_http_client() -> httpx2.AsyncClient:
    """The OpenAI SDK's default client (its limits, timeouts and redirects), its direct
    connections opened by `KnownSocketBackend`. httpx has no public setting for the
    backend, so it is put on the transport's pool; if a later httpx keeps its pool
    elsewhere, the client stays the SDK's default, slower and just as correct."""
    import openai

    client = openai.DefaultAsyncHttpxClient()
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    if isinstance(pool, httpcore2.AsyncConnectionPool):
        pool._network_backend = KnownSocketBackend()
    return client
