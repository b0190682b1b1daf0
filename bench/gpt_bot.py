"""A second reference: the least a Telegram bot that calls a model must do. Bare
python-telegram-bot, each message sent with that person's last turns (kept in memory)
to the OpenAI-compatible server with the official SDK, the answer sent as one message.
No database, no streaming, no prompts, no policy: what the bots in issue #10's table do.

    MUSE_TELEGRAM__TOKEN=… MUSE_TELEGRAM__BASE_URL=http://host:port/bot \\
    MUSE_LLM__BASE_URL=http://host:port/v1 python bench/gpt_bot.py"""

from __future__ import annotations

import os
import sys
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from openai import AsyncOpenAI
from telegram import Update
from telegram.ext import ContextTypes

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reference_bot import serve

client = AsyncOpenAI(base_url=os.environ["MUSE_LLM__BASE_URL"], api_key="bench")
history: defaultdict[int, deque[Any]] = defaultdict(lambda: deque(maxlen=10))


async def answer(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    turns = history[update.message.chat_id]
    turns.append({"role": "user", "content": update.message.text})
    reply = await client.chat.completions.create(
        model=os.environ.get("MUSE_LLM__MODEL", "fake-model"), messages=list(turns)
    )
    text = reply.choices[0].message.content or ""
    turns.append({"role": "assistant", "content": text})
    await update.message.reply_text(text)


if __name__ == "__main__":
    serve(answer)
