"""Telegram's flood limits: kept on Muse's side, per chat, so nothing is lost, no 429 is
left unhandled and one busy chat never holds up another.

The limiter is tested directly with stand-in requests (long periods make "still
waiting" certain, never a matter of timing), then end to end against the fake Bot API
enforcing the limits itself."""

from __future__ import annotations

import asyncio
import random
import re
from typing import Any

import pytest
from telegram.error import RetryAfter

from adapters.telegram import TelegramAdapter
from adapters.telegram_inbound import Target
from adapters.telegram_limits import COSMETIC, Skipped, TelegramLimiter
from bot.core import Core
from tests.telegram.conftest import Harness, final
from tests.telegram.fake_bot_api import FakeBotAPI

HOUR = 3600.0


class Requests:
    """Stand-ins for Bot API calls: records which ones reached "the server"."""

    def __init__(self, limiter: TelegramLimiter) -> None:
        self.limiter = limiter
        self.sent: list[str] = []
        self.fail_next: dict[str, BaseException] = {}

    def send(
        self, chat: int, name: str, endpoint: str = "sendMessage", args: Any = None
    ) -> asyncio.Task[Any]:
        async def callback() -> dict[str, Any]:
            error = self.fail_next.pop(name, None)
            if error is not None:
                raise error
            self.sent.append(name)
            return {"ok": True}

        return asyncio.create_task(
            self.limiter.process_request(
                callback, (), {}, endpoint, {"chat_id": chat}, rate_limit_args=args
            )
        )


async def settle() -> None:
    """Let every task that can run, run (requests that wait stay waiting)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def cancel(*tasks: asyncio.Task[Any]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_burst_never_starts_above_the_overall_limit() -> None:
    """PTB's AIORateLimiter starts with a full bucket (twice the limit in the first
    period); here the first period holds exactly the limit."""
    requests = Requests(TelegramLimiter(overall=(3, HOUR), per_chat=None, per_group=None))
    tasks = [requests.send(5000 + i, f"m{i}") for i in range(5)]
    await settle()
    assert requests.sent == ["m0", "m1", "m2"]
    await cancel(*tasks)


async def test_a_full_group_never_delays_a_private_chat() -> None:
    requests = Requests(TelegramLimiter(overall=(30, 1.0), per_chat=None, per_group=(2, HOUR)))
    group = [requests.send(-100500, f"group {i}") for i in range(4)]
    await settle()
    private = requests.send(111, "private")
    await private
    assert requests.sent == ["group 0", "group 1", "private"]
    assert not any(t.done() for t in group[2:])  # still waiting for their group's minute
    await cancel(*group)


async def test_one_chat_per_second_and_in_order() -> None:
    requests = Requests(TelegramLimiter(overall=None, per_chat=(1, HOUR), per_group=None))
    first, second = requests.send(111, "a1"), requests.send(111, "a2")
    other = requests.send(222, "b1")
    await asyncio.gather(first, other)
    await settle()
    assert requests.sent == ["a1", "b1"] and not second.done()
    await cancel(second)


async def test_a_429_pauses_only_its_chat_and_is_retried() -> None:
    requests = Requests(TelegramLimiter(overall=None, per_chat=None, per_group=None))
    requests.fail_next["group"] = RetryAfter(1)
    group = requests.send(-100500, "group")
    await settle()
    await requests.send(111, "private")
    assert requests.sent == ["private"]  # sent while the group waits out its 429
    await group  # retried after retry_after: not lost
    assert requests.sent == ["private", "group"]


async def test_a_429_after_the_last_retry_is_raised() -> None:
    requests = Requests(TelegramLimiter(overall=None, per_chat=None, per_group=None, max_retries=0))
    requests.fail_next["x"] = RetryAfter(1)
    with pytest.raises(RetryAfter):
        await requests.send(111, "x")


async def test_cosmetic_sends_skip_instead_of_waiting() -> None:
    limiter = TelegramLimiter(overall=(4, HOUR), per_chat=(1, HOUR), per_group=(20, HOUR))
    requests = Requests(limiter)
    await requests.send(111, "answer")
    # The chat's second is taken: progress is skipped at once, never queued.
    with pytest.raises(Skipped):
        await requests.send(111, "progress", "editMessageText", COSMETIC)
    # Another chat may show progress while the overall window is at least half free…
    await requests.send(222, "progress b", "editMessageText", COSMETIC)
    await requests.send(333, "answer c")
    # …but no more once it isn't: the rest is kept for answers.
    with pytest.raises(Skipped):
        await requests.send(444, "progress d", "editMessageText", COSMETIC)
    with pytest.raises(Skipped):  # "typing…" neither, though it is no message
        await requests.send(444, "typing d", "sendChatAction", COSMETIC)
    assert requests.sent == ["answer", "progress b", "answer c"]


async def test_cosmetic_sends_skip_while_answers_queue() -> None:
    requests = Requests(TelegramLimiter(overall=(1, HOUR), per_chat=None, per_group=None))
    waiting = [requests.send(5000 + i, f"answer {i}") for i in range(9)]
    await settle()
    with pytest.raises(Skipped):  # "typing…" is not worth a request now
        await requests.send(111, "typing", "sendChatAction", COSMETIC)
    await cancel(*waiting)


async def test_cosmetic_sends_skip_while_no_connection_is_free() -> None:
    """A "typing…" never waits for a connection behind answers: by the time it got one,
    the answer it announces could be there, and it would have to wait for it."""
    limiter = TelegramLimiter(overall=None, per_chat=None, per_group=None, connections=1)
    reply = asyncio.Event()

    async def slow_answer() -> dict[str, Any]:
        await reply.wait()
        return {"ok": True}

    answer = asyncio.create_task(
        limiter.process_request(slow_answer, (), {}, "sendMessage", {"chat_id": 222}, None)
    )
    await settle()
    requests = Requests(limiter)
    typing = requests.send(111, "typing", "sendChatAction", COSMETIC)
    await settle()
    assert typing.done(), "a cosmetic send waited for a connection"
    with pytest.raises(Skipped):
        await typing
    reply.set()
    await answer
    await requests.send(111, "typing", "sendChatAction", COSMETIC)  # a connection is free
    assert requests.sent == ["typing"]


async def test_a_request_cancelled_while_waiting_gives_its_place_back() -> None:
    requests = Requests(TelegramLimiter(overall=None, per_chat=(1, HOUR), per_group=None))
    await requests.send(111, "first")
    limiter = requests.limiter
    waiting = requests.send(111, "second")
    await settle()
    await cancel(waiting)
    assert requests.sent == ["first"]
    window = limiter._chats["111"]
    assert window.used == 1 and not window._waiters


async def test_a_request_its_caller_stops_waiting_for_still_ends_on_its_own() -> None:
    """A "typing…" no longer needed stops being waited for, but its request is never
    cut off mid-way; it keeps its place on the wire until it has really ended."""
    limiter = TelegramLimiter(overall=None, per_chat=None, per_group=None, connections=1)
    reply = asyncio.Event()
    ended: list[str] = []

    async def request() -> dict[str, Any]:
        await reply.wait()
        ended.append("typing")
        return {"ok": True}

    typing = asyncio.create_task(
        limiter.process_request(request, (), {}, "sendChatAction", {"chat_id": 111}, COSMETIC)
    )
    await settle()
    await cancel(typing)
    requests = Requests(limiter)
    answer = requests.send(111, "answer")
    await settle()
    assert requests.sent == [] and ended == []  # the one connection is still in use
    reply.set()
    await answer
    assert ended == ["typing"] and requests.sent == ["answer"]


async def test_requests_that_are_not_sends_are_never_held() -> None:
    requests = Requests(TelegramLimiter(overall=(1, HOUR), per_chat=(1, HOUR), per_group=None))
    await requests.send(111, "answer")
    await requests.send(111, "member", "getChatMember")
    await requests.send(111, "typing", "sendChatAction")
    assert requests.sent == ["answer", "member", "typing"]


# -- end to end, the fake Bot API enforcing the limits ---------------------------


async def test_a_burst_under_enforced_limits_loses_nothing(fake: FakeBotAPI, core: Core) -> None:
    """40 people at once and one person sending 3 messages, with the fake refusing
    every send beyond Telegram's limits: all answered, in order, without one 429."""
    limits = fake.enforce_limits()
    core.settings.rate.per_minute = 0
    adapter = TelegramAdapter(core)  # Telegram's real limits
    await adapter.start()
    try:
        for i in range(40):
            await fake.push_message(f"hello {i}", user=fake.user(5000 + i, f"u{i}", f"U{i}"))
        for i in range(3):
            await fake.push_message(f"note {i}")

        def answered() -> bool:
            people = all(any("Noted: hello" in t for t in fake.texts(5000 + i)) for i in range(40))
            return people and len(fake.texts(111)) == 3

        await fake.wait_for(answered, within=60)
        notes = [re.findall(r"Noted: note (\d)", t) for t in fake.texts(111)]
        assert notes == [["0"], ["1"], ["2"]]
        assert limits.refused == 0 and limits.accepted == 43
    finally:
        await adapter.stop()


async def test_a_rate_limited_group_never_delays_a_private_chat(
    fake: FakeBotAPI, core: Core
) -> None:
    """The group's answers queue for its minute; a private chat's answer goes at once."""
    group_window = (2, 5.0)
    limits = fake.enforce_limits(per_chat=None, per_group=group_window)
    core.settings.rate.per_minute = 0
    adapter = TelegramAdapter(core, rate_limiter=TelegramLimiter(per_group=group_window))
    await adapter.start()
    try:
        group = fake.group(-100500)
        for i in range(3):
            await fake.push_message(f"/brainstorm stream idea {i}", chat=group)
        await fake.wait_for(lambda: len(fake.messages(-100500)) == 2)
        await fake.push_message("hello there")
        await final(fake, 111, "Noted: hello there")
        assert len(fake.messages(-100500)) == 2  # the third still waits for its minute
        assert limits.refused == 0
    finally:
        task = asyncio.create_task(adapter.stop())
        # Stopping waits for the group's queued answer: it is sent, not dropped.
        await fake.wait_for(lambda: len(fake.messages(-100500)) == 3, within=60)
        await task


async def test_typing_cut_short_again_and_again_never_stops_the_answers(tg: Harness) -> None:
    """ "typing…" is cut short whenever an answer arrives while it is on its way, at any
    moment of its request. With the real python-telegram-bot and httpx, hundreds of those
    must not use up the bot's connections (a request cancelled at the wrong moment can
    keep its connection for good: encode/httpcore#1093): the next answer still comes."""
    moments = random.Random(1)
    for _ in range(40):
        typing = [asyncio.create_task(tg.adapter.sender.typing(Target(111))) for _ in range(30)]
        for task in typing:
            for _ in range(moments.randint(0, 12)):
                await asyncio.sleep(0)
            task.cancel()
        await asyncio.gather(*typing, return_exceptions=True)
    await tg.fake.push_message("are you still there?")
    await final(tg.fake, 111, "Noted: are you still there?")
