"""The reference: a bare python-telegram-bot echo bot, the framework's own ceiling.
It answers every text message with one message, keeps nothing and calls no model.

    MUSE_TELEGRAM__TOKEN=… MUSE_TELEGRAM__BASE_URL=http://host:port/bot python bench/echo_bot.py"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text("Noted: " + update.message.text)


def main() -> None:
    app = (
        Application.builder()
        .token(os.environ["MUSE_TELEGRAM__TOKEN"])
        .base_url(os.environ["MUSE_TELEGRAM__BASE_URL"])
        .job_queue(None)
        .build()
    )
    # Non-blocking: updates are answered concurrently, as Muse does.
    app.add_handler(MessageHandler(filters.TEXT, echo, block=False))
    app.run_polling(allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
