"""The reference: a bare python-telegram-bot echo bot, the framework's own ceiling.
It answers every text message with one message, keeps nothing and calls no model.

    MUSE_TELEGRAM__TOKEN=… MUSE_TELEGRAM__BASE_URL=http://host:port/bot python bench/echo_bot.py"""

from __future__ import annotations

import sys
from pathlib import Path

from telegram import Update
from telegram.ext import ContextTypes

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reference_bot import serve


async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text("Noted: " + update.message.text)


if __name__ == "__main__":
    serve(echo)
