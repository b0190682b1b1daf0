"""`muse run all`: Telegram and Discord in one process, both busy at once (and `muse chat`
in another process), share one database without a "database is locked" — every request
answered, every write kept."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import Forgotten
from tests.discord.fake_discord import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers import muse_cli, muse_run
from tests.telegram.conftest import final, is_final
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI

PEOPLE = 4  # on each platform
EACH = 5  # requests per person


@pytest.fixture
async def both(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FakeBotAPI, FakeDiscord]]:
    telegram, discord = FakeBotAPI(), FakeDiscord()
    await telegram.start()
    await discord.start()
    monkeypatch.setenv("MUSE_TELEGRAM__TOKEN", TOKEN)
    monkeypatch.setenv("MUSE_TELEGRAM__BASE_URL", telegram.base_url)
    monkeypatch.setenv("MUSE_DISCORD__TOKEN", discord.token)
    monkeypatch.setenv("MUSE_DISCORD__API_BASE", discord.api_base)
    monkeypatch.setenv("MUSE_DISCORD__GATEWAY_URL", discord.gateway_url)
    yield telegram, discord
    await discord.close()
    await telegram.stop()


def hold_write_lock(path: Path, seconds: float) -> None:
    """Another process's long write transaction (it blocks the waiting bot meanwhile)."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        db.execute("COMMIT")
    finally:
        db.close()


def answered_on_telegram(fake: FakeBotAPI) -> int:
    return sum(1 for m in fake.sent if is_final(m) and m.text.startswith("Noted: tg "))


async def test_both_platforms_at_once_share_one_database(
    both: tuple[FakeBotAPI, FakeDiscord], settings: Settings
) -> None:
    telegram, discord = both
    async with muse_run("all") as run:
        await discord.wait_for(lambda: discord.identified, limit_s=60)
        await telegram.wait_for(lambda: telegram.of("deleteWebhook"), 60)

        async def telegram_person(n: int) -> None:
            user = telegram.user(500 + n, f"tg{n}", f"Tg {n}")
            for k in range(EACH):
                text = f"tg {n}.{k}" if k % 2 else f"/caption tg {n}.{k} a tram at dusk"
                await telegram.push_message(text, user=user)

        async def discord_person(n: int) -> list[object]:
            asked: list[object] = []
            for k in range(EACH):
                if k % 2:
                    await discord.send_message(f"dc {n}.{k}", user=f"dc{n}", dm=True)
                else:
                    topic = f"dc {n}.{k} night trams"
                    asked.append(
                        await discord.send_slash("brainstorm", {"topic": topic}, user=f"dc{n}")
                    )
            return asked

        # Meanwhile other processes write too: someone uses Muse in a terminal, and a
        # long write (a `muse forget` vacuuming, say) holds the lock for a second.
        console = asyncio.create_task(
            asyncio.to_thread(muse_cli, "chat", stdin="hello from the terminal\n/caption a tram\n")
        )
        vacuum = asyncio.create_task(asyncio.to_thread(hold_write_lock, settings.db_path, 1.0))
        results = await asyncio.gather(
            *(telegram_person(n) for n in range(PEOPLE)),
            *(discord_person(n) for n in range(PEOPLE)),
        )
        slashes = [i for found in results if found for i in found]
        half = EACH // 2  # free-text messages per person (the others are commands)
        await telegram.wait_for(lambda: answered_on_telegram(telegram) == PEOPLE * half, 120)
        await telegram.wait_for(
            lambda: (
                sum("captions for" in m.text for m in telegram.sent if is_final(m))
                == PEOPLE * (EACH - half)
            ),
            120,
        )
        await discord.wait_for(
            lambda: (
                all("ideas for" in i.text() for i in slashes)  # type: ignore[attr-defined]
                and sum(
                    m["content"].startswith("Noted: dc ")
                    for m in discord.messages.values()
                    if m.get("via") == "channel"
                )
                == PEOPLE * half
            ),
            limit_s=120,
        )
        terminal = await console
        await vacuum
    assert run.returncode == 0, run.stderr[-3000:]
    assert terminal.returncode == 0 and "Noted: hello from the terminal" in terminal.stdout
    assert "captions for" in terminal.stdout, terminal.stderr
    log_file = settings.data_dir / "muse.log"
    log = log_file.read_text() if log_file.exists() else ""
    for text in (run.stderr, log):
        assert "locked" not in text and "Traceback" not in text, text[-3000:]
    # Every write is there: each free-text message and its answer, every draft.
    with sqlite3.connect(Path(settings.db_path)) as db:
        chats = db.execute(
            "select count(*) from turns where text like 'Noted: %' and session not like 'console%'"
        ).fetchone()[0]
        people = db.execute(
            "select count(*) from identities where platform in ('telegram', 'discord') "
            "and external_id not like 'chat:%'"
        ).fetchone()[0]
        drafts = db.execute(
            "select count(*) from drafts where session not like 'console%'"
        ).fetchone()[0]
    db.close()
    assert chats == 2 * PEOPLE * (EACH // 2)
    assert people == 2 * PEOPLE
    assert drafts >= 2 * PEOPLE * (EACH - EACH // 2) * 3


async def test_muse_forget_in_a_terminal_while_muse_run_writes_that_persons_answer(
    both: tuple[FakeBotAPI, FakeDiscord], server: FakeOpenAI, settings: Settings
) -> None:
    """The owner runs `muse forget` for someone while `muse run all` (another process)
    is writing them an answer: it can't be kept, and they are told so in one line —
    not "Something went wrong" — and nothing of them is stored again."""
    telegram, _ = both
    alice = telegram.user(111, "alice", "Alice")
    async with muse_run("all") as run:
        await telegram.wait_for(lambda: telegram.of("deleteWebhook"), 60)
        await telegram.push_message("my plan: a weekly tram series", user=alice)
        await telegram.wait_for(lambda: [m for m in telegram.messages(111) if is_final(m)], 60)
        server.hold()  # the next answer is being written...
        await telegram.push_message("and a ferry at dawn for the finale", user=alice)
        await server.wait_for_requests(2, within=60)
        forgot = await asyncio.to_thread(
            muse_cli, "forget", "--platform", "telegram", "--user", "111", "--yes"
        )
        assert forgot.returncode == 0, forgot.stderr
        server.release()
        line = await final(telegram, 111, "deleted", within=60)
    assert run.returncode == 0, run.stderr[-3000:]
    assert line.text.startswith(Forgotten.user_message + " (ref ")
    assert not [m for m in telegram.messages(111) if "went wrong" in m.text]
    with sqlite3.connect(Path(settings.db_path)) as db:
        left = [db.execute(f"select count(*) from {t}").fetchone()[0] for t in ("users", "turns")]
    db.close()
    assert left == [0, 0]
    assert "Traceback" not in (settings.data_dir / "muse.log").read_text()
