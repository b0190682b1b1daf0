"""Model faults, each really caused on the wire by the fake OpenAI-compatible server
(or a closed port): retried with backoff, then the fallback chain, then one clear line
with an error ref."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest

from bot.config import load_settings
from bot.core import Core
from bot.llm.embedded import EmbeddedLLM
from bot.llm.fake import ScriptedChatModel
from bot.llm.resilience import retry_after_seconds
from bot.messages import Progress, Reply
from bot.skills.chat import CUT_NOTE
from tests.fakes.openai_server import (
    FakeOpenAI,
    Step,
    broken,
    closed_port,
    empty,
    error_event,
    filtered,
    garbage,
    hang,
    malformed,
    rate_limited,
    reply,
    server_error,
    status,
    whole,
)
from tests.helpers import ask, message
from tests.test_cut_answers import FakeLlama

REF_RE = re.compile(r"\(ref ([0-9a-f]{4})\)")
CAPTION = "/caption a rainy morning in Lisbon for instagram"
RETRIES = 2  # so each provider gets 1 + 2 tries

FAULTS: dict[str, Callable[[], Step]] = {
    "timeout": lambda: hang(30),
    "429": lambda: rate_limited(0),
    "500": server_error,
    "503": lambda: status(503, "overloaded"),
    "malformed": malformed,
    "empty": empty,
    "blank": lambda: reply("\n\n"),  # a model that stopped at once after a line break
    "broken stream": lambda: broken(after=4),
    "error event": error_event,
    "not utf-8": garbage,
}


@pytest.fixture
def env(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key, value in {
        "MUSE_LLM__API_KEY": "sk-test-faults-1234",
        "MUSE_LLM__MODEL": "muse-test-model",
        "MUSE_LLM__TIMEOUT_S": "0.3",
        "MUSE_LLM__MAX_RETRIES": str(RETRIES),
        "MUSE_LLM__RETRY_INITIAL_S": "0.01",
        "MUSE_LLM__RETRY_MAX_S": "0.05",
    }.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


async def start_core() -> Core:
    return await Core.create(load_settings())


def fallback_model(core: Core) -> ScriptedChatModel:
    """The fallback provider (the scripted model standing in for the embedded one)."""
    (_, fallback) = core.llm.providers
    assert isinstance(fallback.model, ScriptedChatModel)
    return fallback.model


def one_clear_line(answer: Reply, caplog: pytest.LogCaptureFixture) -> None:
    assert answer.is_error
    assert answer.text.startswith("My writing engine is unreachable right now")
    assert "\n" not in answer.text and "Traceback" not in answer.text
    ref = REF_RE.search(answer.text)
    assert ref and f"ref {ref.group(1)}" in caplog.text


def lasting(fault: str, env: pytest.MonkeyPatch, server: FakeOpenAI) -> None:
    """The server fails every try (or can't be reached at all); "fake" is the fallback."""
    env.setenv("MUSE_LLM__FALLBACK", "fake")
    if fault == "refused":
        env.setenv("MUSE_LLM__BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    else:
        server.enqueue(*[FAULTS[fault]() for _ in range(5)])


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_fault_is_retried_and_the_user_gets_the_answer(
    fault: str, env: pytest.MonkeyPatch, server: FakeOpenAI
) -> None:
    server.enqueue(FAULTS[fault](), reply("1. one tram\n2. two trams\n3. three trams"))
    core = await start_core()
    try:
        answer = await ask(core, CAPTION)
    finally:
        await core.close()

    assert not answer.is_error, answer.text
    assert [d.text for d in answer.drafts] == ["one tram", "two trams", "three trams"]
    assert len(server.requests) == 2
    assert server.requests[1].json["messages"] == server.requests[0].json["messages"]


@pytest.mark.parametrize("fault", [*FAULTS, "refused"])
async def test_a_lasting_fault_falls_back_to_the_next_provider(
    fault: str, env: pytest.MonkeyPatch, server: FakeOpenAI
) -> None:
    lasting(fault, env, server)
    core = await start_core()
    try:
        fallback_model(core).enqueue("1. Tram one\n2. Tram two\n3. Tram three")
        answer = await ask(core, CAPTION)
    finally:
        await core.close()

    assert not answer.is_error, answer.text
    assert [d.text for d in answer.drafts] == ["Tram one", "Tram two", "Tram three"]
    if fault != "refused":
        assert len(server.requests) == 1 + RETRIES  # retried first, then the fallback


@pytest.mark.parametrize("fault", [*FAULTS, "refused"])
async def test_when_everything_fails_the_user_gets_one_line_with_a_ref(
    fault: str, env: pytest.MonkeyPatch, server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    lasting(fault, env, server)
    core = await start_core()
    try:
        fallback_model(core).enqueue(*[ConnectionError("the fallback is down too")] * 5)
        with caplog.at_level(logging.WARNING):
            answer = await ask(core, CAPTION)
        assert (await ask(core, "/help")).text.startswith("Here is what I can do")
    finally:
        await core.close()

    one_clear_line(answer, caplog)
    if fault != "refused":
        assert len(server.requests) == 1 + RETRIES


async def test_a_server_error_quoting_the_request_keeps_it_out_of_the_log(
    env: pytest.MonkeyPatch, server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    """Some servers' errors quote what was sent: the log line with the ref says which
    error, never the person's words."""
    words = "my secret launch plan for the tram reel"
    server.enqueue(status(400, f"bad request: Creator: {words}"))
    core = await start_core()
    try:
        with caplog.at_level(logging.DEBUG, logger="bot"):
            answer = await ask(core, words)
    finally:
        await core.close()
    assert answer.is_error and REF_RE.search(answer.text)
    assert "Error 400" in caplog.text and words not in caplog.text


async def test_without_a_fallback_a_lasting_fault_is_one_line(
    env: pytest.MonkeyPatch, server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    server.enqueue(*[malformed() for _ in range(5)])
    core = await start_core()
    try:
        with caplog.at_level(logging.WARNING):
            answer = await ask(core, "any idea for a post today?")
    finally:
        await core.close()
    one_clear_line(answer, caplog)
    assert len(server.requests) == 1 + RETRIES


async def test_a_stream_broken_halfway_is_not_shown_twice(
    env: pytest.MonkeyPatch, server: FakeOpenAI
) -> None:
    first = "Post the yellow tram at golden hour and ask which line is theirs, then"
    server.enqueue(broken(first, after=6), reply("Film the tram bell at dawn: ten seconds."))
    core = await start_core()
    try:
        outs = [o async for o in core.handle(message("what should I post about trams?"))]
    finally:
        await core.close()

    shown = [o.text for o in outs if isinstance(o, Progress)]
    assert any(t.startswith("Post the yellow tram") for t in shown)  # it was streaming
    final = outs[-1]
    assert isinstance(final, Reply) and not final.is_error
    assert final.text == "Film the tram bell at dawn: ten seconds."
    assert [r.streamed for r in server.requests] == [True, False]


async def test_retry_after_is_honoured(env: pytest.MonkeyPatch, server: FakeOpenAI) -> None:
    # The backoff alone would wait about 10 ms (MUSE_LLM__RETRY_INITIAL_S=0.01).
    server.enqueue(rate_limited(1), rate_limited(400, header="retry-after-ms"))
    core = await start_core()
    try:
        answer = await ask(core, CAPTION)
    finally:
        await core.close()

    assert not answer.is_error and len(answer.drafts) == 3
    first, second, third = (r.at for r in server.requests)
    # Lower bounds only: Muse must not come back sooner than the server asked.
    assert second - first >= 1.0
    assert third - second >= 0.4


async def test_retry_after_as_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30))
    limited = Exception()
    limited.response = SimpleNamespace(headers={"retry-after": when})  # type: ignore[attr-defined]
    assert 25 <= (retry_after_seconds(limited) or 0) <= 30
    assert retry_after_seconds(ValueError()) is None


async def test_a_pause_longer_than_we_wait_goes_straight_to_the_fallback(
    env: pytest.MonkeyPatch, server: FakeOpenAI
) -> None:
    env.setenv("MUSE_LLM__FALLBACK", "fake")
    env.setenv("MUSE_LLM__RETRY_AFTER_MAX_S", "5")
    server.enqueue(rate_limited(3600), rate_limited(3600))
    core = await start_core()
    try:
        fallback_model(core).enqueue("1. Tram one\n2. Tram two\n3. Tram three")
        answer = await ask(core, CAPTION)
    finally:
        await core.close()

    assert not answer.is_error and len(answer.drafts) == 3
    # Asked for an hour: not asked again at all (no hour-long wait either).
    assert len(server.requests) == 1


async def test_two_conversations_fall_back_to_the_embedded_model_at_once(
    env: pytest.MonkeyPatch,
) -> None:
    """The embedded model steps its generation on one worker thread: two streams at once
    (two conversations whose server is down) must queue, not deadlock."""
    env.setenv("MUSE_LLM__BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    env.setenv("MUSE_LLM__FALLBACK", "embedded")
    core = await start_core()
    model = EmbeddedLLM()
    model._llama = FakeLlama("Film the tram at dawn.", "Film the bell up close.")
    core.llm.providers[1] = replace(core.llm.providers[1], model=model)
    try:
        first, second = await asyncio.wait_for(
            asyncio.gather(
                ask(core, "an idea for a tram reel?", user="a", chat="a"),
                ask(core, "an idea for a bell reel?", user="b", chat="b"),
            ),
            60,  # a guard against the deadlock, not a timing measure
        )
    finally:
        await core.close()
    assert {first.text, second.text} == {"Film the tram at dawn.", "Film the bell up close."}


async def test_a_retried_answer_cut_at_the_cap_still_says_so(
    env: pytest.MonkeyPatch, server: FakeOpenAI
) -> None:
    env.setenv("MUSE_LLM__CHAT_MAX_TOKENS", "10")
    server.enqueue(server_error(), reply("Film the tram at dawn, then the bell, then the river."))
    core = await start_core()
    try:
        answer = await ask(core, "an idea for a tram reel?")
    finally:
        await core.close()
    assert answer.text == f"Film the tram at dawn, then the bell,\n\n{CUT_NOTE}"
    assert [r.streamed for r in server.requests] == [True, False]


async def test_a_server_that_ignores_stream_still_answers(
    env: pytest.MonkeyPatch, server: FakeOpenAI
) -> None:
    """Asked for a stream, it sends the whole answer as JSON: LangChain finds no chunks in
    it, and the answer comes from the retry, which asks for it whole."""
    server.enqueue(whole("Film the tram bell at dawn."), whole("Film the tram bell at dawn."))
    core = await start_core()
    try:
        answer = await ask(core, "an idea for a tram reel?")
    finally:
        await core.close()
    assert not answer.is_error, answer.text
    assert answer.text == "Film the tram bell at dawn."
    assert [r.streamed for r in server.requests] == [True, False]


async def test_a_conversation_longer_than_the_server_s_context_is_answered_without_it(
    env: pytest.MonkeyPatch, server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    """A server with a small context (400 context_length_exceeded) once the conversation
    grew: answered without the earlier turns, and the log says what to change."""
    core = await start_core()
    try:
        for n in range(3):
            assert not (await ask(core, f"idea {n}: the yellow tram at dawn " * 8)).is_error
        server.context_chars = len(server.requests[-1].text()) - 1
        with caplog.at_level(logging.WARNING):
            answer = await ask(core, "and one for the river?")
    finally:
        await core.close()
    assert not answer.is_error, answer.text
    assert "idea 2" not in server.requests[-1].text()
    assert "MUSE_LLM__CONTEXT_TOKENS" in caplog.text


async def test_a_message_longer_than_the_server_s_context_is_one_line_saying_so(
    env: pytest.MonkeyPatch, server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    server.context_chars = 100
    core = await start_core()
    try:
        with caplog.at_level(logging.WARNING):
            answer = await ask(core, "a long brief about the yellow tram at dawn " * 5)
    finally:
        await core.close()
    assert answer.is_error and "shorter" in answer.text and "model settings" not in answer.text
    ref = REF_RE.search(answer.text)
    assert ref and f"ref {ref.group(1)}" in caplog.text
    assert len(server.requests) == 1  # a refusal of its length: not asked again as it was


@pytest.mark.parametrize("text", [CAPTION, "any idea for a post today?"])
async def test_a_content_filter_stop_is_said_as_such_not_as_unreachable(
    text: str, env: pytest.MonkeyPatch, server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    env.setenv("MUSE_LLM__FALLBACK", "fake")  # a filter's verdict is not a fault to fall back on
    server.enqueue(*[filtered() for _ in range(5)])
    core = await start_core()
    try:
        with caplog.at_level(logging.WARNING):
            answer = await ask(core, text)
    finally:
        await core.close()
    assert answer.is_error and "declined" in answer.text and "unreachable" not in answer.text
    ref = REF_RE.search(answer.text)
    assert ref and f"ref {ref.group(1)}" in caplog.text
    assert len(server.requests) == 1  # the server answered: asking again won't change it
