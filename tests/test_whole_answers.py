"""When nobody would watch an answer grow, a server is asked for it whole: while many
answers are being written at once (the chat apps then show "typing…", not partial text),
and for callers that only want the result. Whole answers keep everything a streamed one
has: the full text, "cut at the token cap", retries. A lone answer still streams."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import Settings, load_settings
from bot.core import Core
from bot.llm.engine import WHOLE_FROM
from bot.messages import Progress, Reply
from bot.skills.chat import CUT_NOTE
from tests.fakes.openai_server import FakeOpenAI, reply, server_error
from tests.helpers import message
from tests.test_cut_answers import LONG, cut

PEOPLE = WHOLE_FROM + 4


@pytest.fixture
def settings(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The shared `core` fixture runs on these."""
    monkeypatch.setenv("MUSE_LLM__CHAT_MAX_TOKENS", "25")  # LONG is cut at 100 characters
    monkeypatch.setenv("MUSE_LLM__RETRY_INITIAL_S", "0.01")
    monkeypatch.setenv("MUSE_LLM__RETRY_MAX_S", "0.05")
    return load_settings()


async def test_a_burst_comes_whole_with_everything_a_stream_has(
    core: Core, server: FakeOpenAI
) -> None:
    server.default = LONG
    server.hold()  # every answer is under way before any is written
    outs: dict[str, list[Progress | Reply]] = {}

    async def ask(n: int) -> None:
        who = f"person{n}"
        outs[who] = [o async for o in core.handle(message(f"question {n}", user=who, chat=who))]

    people = [asyncio.create_task(ask(n)) for n in range(PEOPLE)]
    await server.wait_for_requests(PEOPLE)
    server.release()
    await asyncio.wait_for(asyncio.gather(*people), 30)

    first, _ = cut(LONG)
    for seen in outs.values():  # each person: the answer, cut where the cap cut it, and said so
        assert seen[-1].text == f"{first}\n\n{CUT_NOTE}"
        assert seen[-1].buttons, "a cut answer offers Continue"
    whole = [r for r in server.requests if not r.streamed]
    assert len(whole) == PEOPLE - WHOLE_FROM + 1  # from the 16th answer under way
    # Those answers arrived in one piece; the others grew as they were written.
    grew = [seen for seen in outs.values() if len({o.text for o in seen[:-1]}) > 1]
    assert len(grew) == PEOPLE - len(whole)

    # The burst is over: a lone answer streams again.
    server.default = "Film the bell at dawn, then the driver's hands."
    alone = [o async for o in core.handle(message("one more idea?", user="late", chat="late"))]
    assert server.requests[-1].streamed
    assert any(isinstance(o, Progress) for o in alone)
    assert alone[-1].text == "Film the bell at dawn, then the driver's hands."


async def test_a_result_only_caller_gets_it_whole_and_retried(
    core: Core, server: FakeOpenAI
) -> None:
    server.enqueue(server_error(), reply("Three themes: light, trams, rain."))
    text = await core.llm.complete("chat", {"message": "sum up the ideas"})
    assert text == "Three themes: light, trams, rain."
    assert len(server.requests) == 2 and not any(r.streamed for r in server.requests)
