"""getUpdates' own connection, watching for the answer that means the token is gone,
and python-telegram-bot's logs kept to what Muse doesn't say itself.

When a token is revoked in @BotFather while Muse runs, python-telegram-bot's polling loop
gets a 401, logs it and ends; the process would keep running, answering nobody, and a
supervisor would never restart it with the new token. PTB gives no public signal for
this, so the request object it polls through reports the 401 itself."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from telegram.error import InvalidToken
from telegram.request import HTTPXRequest


class PollRequest(HTTPXRequest):
    """PTB's default getUpdates request (one connection), calling `on_revoked` when
    Telegram answers 401 Unauthorized: the token no longer exists."""

    def __init__(self, on_revoked: Callable[[], None]) -> None:
        super().__init__(connection_pool_size=1)
        self._on_revoked = on_revoked

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == HTTPStatus.UNAUTHORIZED:
            self._on_revoked()
        return code, payload


def quiet_logs() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the token. PTB logs
    a revoked token with a traceback, which PollRequest's caller already says in a line."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    ptb = logging.getLogger("telegram.ext")
    if not any(isinstance(f, _NoRevokedTraceback) for f in ptb.filters):
        ptb.addFilter(_NoRevokedTraceback())


class _NoRevokedTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InvalidToken))
