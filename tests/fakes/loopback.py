"""Start a fake server on 127.0.0.1 at a free port: tests never reach beyond this machine."""

from __future__ import annotations

from typing import Any

from aiohttp import web


async def serve_on_loopback(
    app: web.Application, port: int = 0, **runner_options: Any
) -> tuple[web.AppRunner, int]:
    """`port` 0 picks a free one; a given port lets a fake come back where it was."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_address=True).start()
    return runner, int(runner.addresses[0][1])
