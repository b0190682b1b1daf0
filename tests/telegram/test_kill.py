"""`muse run telegram` killed with SIGKILL while the model is writing: the next start
answers the message, or says it was interrupted — exactly once, never silence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.recovery import RESUMED
from tests.fakes.openai_server import FakeOpenAI, hang
from tests.helpers import muse_run
from tests.telegram.conftest import final
from tests.telegram.fake_bot_api import FakeBotAPI

ALICE, BOB = 111, 222
ANSWER = "Golden hour on the tram tracks: shoot low and let the rails lead the eye."


@pytest.fixture
async def slow_model(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeOpenAI]:
    """A real OpenAI-compatible server (local) that the bot process talks to; each
    `hang()` step keeps one request waiting, as a slow model does."""
    server = FakeOpenAI(default=ANSWER)
    await server.start()
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "openai")
    monkeypatch.setenv("MUSE_LLM__BASE_URL", server.base_url)
    yield server
    await server.close()


def answers(fake: FakeBotAPI, needle: str) -> list[str]:
    return [m.text for m in fake.messages(ALICE) if needle in m.text]


async def ask_and_see_the_end(fake: FakeBotAPI) -> None:
    """A later message answered: anything still to come for the earlier one came before."""
    await fake.push_message("/help")
    await final(fake, ALICE, "Here is what I can do", within=60)


async def test_killed_while_writing_the_answer_comes_once_after_the_restart(
    fake: FakeBotAPI, slow_model: FakeOpenAI
) -> None:
    slow_model.enqueue(hang(600))
    async with muse_run("telegram") as first:
        asked = await fake.push_message("any tips for tram photos at sunset?")
        await slow_model.wait_for_requests(1, within=60)  # the model is writing
        await first.kill()
    assert answers(fake, "Golden hour") == []

    async with muse_run("telegram") as second:
        answer = await final(fake, ALICE, "Golden hour", within=60)
        assert answer.text.startswith(RESUMED) and ANSWER in answer.text
        assert answer.reply_to == asked["message_id"]  # shown as the answer to that message
        await ask_and_see_the_end(fake)
    assert second.returncode == 0, second.stderr[-2000:]
    assert answers(fake, "Golden hour") == [answer.text]
    assert answers(fake, "restarted") == [answer.text]


async def test_killed_again_while_answering_it_again_it_says_interrupted_once(
    fake: FakeBotAPI, slow_model: FakeOpenAI
) -> None:
    slow_model.enqueue(hang(600), hang(600))
    async with muse_run("telegram") as first:
        asked = await fake.push_message("/brainstorm night trams")
        await slow_model.wait_for_requests(1, within=60)
        await first.kill()
    # The message itself kills Muse (say): the next start dies on it too...
    async with muse_run("telegram") as second:
        await slow_model.wait_for_requests(2, within=60)
        await second.kill()
    # ...so the one after says so instead of trying a third time.
    async with muse_run("telegram") as third:
        line = await final(fake, ALICE, "restarted", within=60)
        await ask_and_see_the_end(fake)
    assert third.returncode == 0, third.stderr[-2000:]
    assert line.text == (
        "Sorry — I was restarted while answering your /brainstorm and lost my place. "
        "Please send it again."
    )
    assert line.reply_to == asked["message_id"]
    assert answers(fake, "restarted") == [line.text]
    assert answers(fake, "Golden hour") == answers(fake, "ideas for") == []
    assert len(slow_model.requests) == 2


async def test_a_second_muse_run_on_the_same_data_dir_stops_and_takes_nothing(
    fake: FakeBotAPI, slow_model: FakeOpenAI
) -> None:
    """Started twice on one data dir (a second terminal, an overlapping service restart),
    the second took the first's unanswered messages for a crash's leftovers and answered
    them too: the person got the answer twice, once as "Sorry for the wait — I was
    restarted". The second now stops at once with one line, touching nothing."""
    slow_model.hold()
    async with muse_run("telegram") as first:
        await fake.push_message("any tips for tram photos at sunset?")
        await slow_model.wait_for_requests(1, within=60)  # the first is writing the answer
        async with muse_run("telegram") as second:
            assert second.proc is not None
            exited = asyncio.create_task(second.proc.wait())
            replayed = asyncio.create_task(slow_model.wait_for_requests(2, within=60))
            await asyncio.wait({exited, replayed}, return_when=asyncio.FIRST_COMPLETED)
            replayed.cancel()
            slow_model.release()
        answer = await final(fake, ALICE, "Golden hour", within=60)
        await ask_and_see_the_end(fake)
    assert first.returncode == 0, first.stderr[-2000:]
    assert second.returncode == 1, second.stderr[-2000:]
    line = second.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line, line
    assert line.startswith("muse: telegram is already running on this data dir"), line
    assert answer.text == ANSWER
    assert answers(fake, "Golden hour") == [ANSWER]
    assert len(slow_model.requests) == 1


async def test_a_message_waiting_behind_a_slow_answer_is_not_lost_by_a_kill(
    fake: FakeBotAPI, slow_model: FakeOpenAI
) -> None:
    """Alice's second message waits for her first one's answer when Muse is killed: once
    Telegram handed it over it is Muse's to answer (Telegram won't send it again)."""
    slow_model.enqueue(hang(600))
    async with muse_run("telegram") as first:
        one = await fake.push_message("any tips for tram photos at sunset?")
        await slow_model.wait_for_requests(1, within=60)  # the model is writing
        two = await fake.push_message("and on a rainy day?")  # in line behind it
        await fake.push_message("hi", user=fake.user(BOB, "bob", "Bob"))
        await final(fake, BOB, "Golden hour", within=60)  # Telegram handed both over
        await fake.wait_for(lambda: not fake.updates, within=60)
        await first.kill()

    async with muse_run("telegram") as second:
        await fake.wait_for(lambda: len(answers(fake, "Golden hour")) == 2, within=60)
    assert second.returncode == 0, second.stderr[-2000:]
    answered = [m.reply_to for m in fake.messages(ALICE) if "Golden hour" in m.text]
    assert answered == [one["message_id"], two["message_id"]]
