"""A chat answer that hits the model's token cap says so, and Continue (button or
/continue) goes on where it stopped — for an OpenAI-compatible server (its
`finish_reason: "length"`) and for the embedded model (llama.cpp's own "length")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.core import Core
from bot.llm.embedded import EmbeddedLLM
from bot.messages import Action, Reply
from bot.skills.chat import CUT_NOTE
from tests.fakes.openai_server import FakeOpenAI, reply
from tests.helpers import ask, message

LONG = (
    "Start with the tram at dawn, when the light is gold and the streets are empty. "
    "Then film the bell, close up, for three seconds. Cut to the driver's hands on the "
    "brass lever. End on the tram turning the corner, with the river behind it."
)  # 236 characters: 59 "tokens" for the fake server


@pytest.fixture
def settings(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The shared `core` fixture runs on these."""
    monkeypatch.setenv("MUSE_LLM__MODEL", "muse-test-model")
    monkeypatch.setenv("MUSE_LLM__CHAT_MAX_TOKENS", "25")  # 100 characters on the fake server
    return load_settings()


def continue_button(answer: Reply) -> Action:
    (row,) = answer.buttons
    (button,) = row
    assert button.label.startswith("Continue")
    return button.action


def cut(text: str, chars: int = 100) -> tuple[str, str]:
    """What the fake server sends of `text` within 25 tokens, and the rest as a chat
    model writes it when asked to go on (a new message: no leading space)."""
    first = text[:chars].rsplit(" ", 1)[0]
    return first, text[len(first) :].lstrip()


async def test_a_cut_answer_says_so_and_continue_goes_on(core: Core, server: FakeOpenAI) -> None:
    first, rest = cut(LONG)
    second, last_part = cut(rest)
    server.enqueue(reply(LONG), reply(rest), reply(last_part))
    answer = await ask(core, "how do I film a tram reel?")

    assert answer.text == f"{first}\n\n{CUT_NOTE}"
    assert answer.text.endswith(CUT_NOTE)
    assert server.requests[0].json["max_completion_tokens"] == 25
    action = continue_button(answer)
    assert len(action.encode().encode()) <= 64

    more = (await core.respond(message(action=action)))[-1]
    assert more.text == f"…{second}\n\n{CUT_NOTE}"  # the rest is over the budget too
    sent = server.requests[1].json["messages"]
    # The same question, the answer so far as Muse's, then the ask to go on.
    assert sent[-3]["role"] == "user" and "how do I film a tram reel?" in sent[-3]["content"]
    assert sent[-2] == {"role": "assistant", "content": first}
    assert sent[-1]["role"] == "user" and "Continue exactly where" in sent[-1]["content"]

    last = await ask(core, "/continue")
    assert last.text == "…" + last_part and not last.buttons
    # The next question sees the whole answer as one turn.
    server.enqueue(reply("You're welcome!"))
    await ask(core, "thanks!")
    history = server.requests[-1].json["messages"]
    whole = [m for m in history if m["role"] == "assistant"]
    assert whole[0]["content"] == LONG
    assert (await ask(core, "/continue")).text.startswith("There's nothing to continue")


async def test_an_answer_within_the_budget_has_no_continue(core: Core, server: FakeOpenAI) -> None:
    server.enqueue(reply("Film the bell at dawn."))
    answer = await ask(core, "one idea?")
    assert answer.text == "Film the bell at dawn." and not answer.buttons
    assert (await ask(core, "/continue")).text.startswith("There's nothing to continue")


async def test_continue_only_in_its_own_conversation(core: Core, server: FakeOpenAI) -> None:
    server.enqueue(reply(LONG))
    answer = await ask(core, "how do I film a tram reel?", user="alice", chat="alice")
    forged = continue_button(answer)
    other = (await core.respond(message(user="mallory", chat="mallory", action=forged)))[-1]
    assert other.is_error and "can't be continued" in other.text
    assert len(server.requests) == 1
    assert LONG[:100] not in other.text


def test_chat_budget_default_depends_on_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "embedded")
    assert load_settings().llm.chat_answer_tokens == 250
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "openai")
    assert load_settings().llm.chat_answer_tokens == 1024
    monkeypatch.setenv("MUSE_LLM__CHAT_MAX_TOKENS", "600")
    assert load_settings().llm.chat_answer_tokens == 600


class FakeLlama:
    """Stands in for llama_cpp.Llama behind the real EmbeddedLLM: one word a token (with
    its leading space, as SentencePiece writes them), and like llama.cpp it stops at
    max_tokens with finish_reason "length"."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def tokenize(self, data: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return list(range(len(data.split())))

    def __call__(self, prompt: str, stream: bool, max_tokens: int, **_: Any) -> Iterator[dict]:  # type: ignore[type-arg]
        self.prompts.append(prompt)
        words = self.answers.pop(0).split() if self.answers else []
        for word in words[:max_tokens]:
            yield {"choices": [{"text": " " + word, "finish_reason": None}]}
        finish = "length" if len(words) > max_tokens else "stop"
        yield {"choices": [{"text": "", "finish_reason": finish}]}


async def test_the_embedded_model_s_own_length_stop_offers_continue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "embedded")
    monkeypatch.setenv("MUSE_LLM__CHAT_MAX_TOKENS", "12")
    llama = FakeLlama(LONG, LONG.split(" ", 12)[-1])
    model = EmbeddedLLM()
    model._llama = llama
    core = await Core.create(load_settings(), model=model)
    try:
        answer = await ask(core, "how do I film a tram reel?")
        first = " ".join(LONG.split(" ")[:12])
        assert answer.text == f"{first}\n\n{CUT_NOTE}"
        more = (await core.respond(message(action=continue_button(answer))))[-1]
    finally:
        await core.close()

    # A base model continues the very text: the prompt ends with the answer so far.
    assert llama.prompts[1].endswith(f"Creator: how do I film a tram reel?\nMuse: {first}")
    assert more.text == "…" + " ".join(LONG.split(" ")[12:24]) + f"\n\n{CUT_NOTE}"


async def test_a_message_too_long_for_the_embedded_model_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "embedded")
    monkeypatch.setenv("MUSE_LLM__N_CTX", "256")
    llama = FakeLlama("never asked")
    model = EmbeddedLLM(n_ctx=256)
    model._llama = llama
    core = await Core.create(load_settings(), model=model)
    try:
        answer = await ask(core, "tram " * 300)
    finally:
        await core.close()
    assert answer.is_error and not llama.prompts
    assert (
        answer.text == "That's too long for the offline model to read at once — send a shorter one."
    )


async def test_continue_after_another_request_goes_on_with_the_cut_answer(
    core: Core, server: FakeOpenAI
) -> None:
    """A cut answer, then a /caption, then /continue: Muse said "nothing to continue — my
    last answer here was complete" (the captions), though the cut answer was right there."""
    first, rest = cut(LONG)
    server.enqueue(reply(LONG))
    await ask(core, "how do I film a tram reel?")
    server.enqueue(reply("1. Tram 28 at dawn. #Lisbon\n2. Gold light, empty seats.\n3. Ding!"))
    await ask(core, "/caption tram 28 at dawn for instagram")
    server.enqueue(reply(rest))
    more = await ask(core, "/continue")
    second, _ = cut(rest)
    assert more.text == f"…{second}\n\n{CUT_NOTE}"  # goes on, and is over the budget too
    assert server.requests[-1].json["messages"][-2] == {"role": "assistant", "content": first}
