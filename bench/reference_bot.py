"""What the reference bots share: a bare python-telegram-bot Application on the
MUSE_TELEGRAM__* settings, with one non-blocking text handler (updates answered
concurrently, as Muse does)."""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def serve(handler: Handler) -> None:
    app = (
        Application.builder()
        .token(os.environ["MUSE_TELEGRAM__TOKEN"])
        .base_url(os.environ["MUSE_TELEGRAM__BASE_URL"])
        .job_queue(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, handler, block=False))
    app.run_polling(allowed_updates=[Update.MESSAGE])
