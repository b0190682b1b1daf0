"""LLMEngine without a real model: prompt forms, primer, list continuation, stop
sequences, retries and error mapping."""

from __future__ import annotations

from collections import deque
from typing import Any

import httpx
import openai
import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.llms import LLM
from pydantic import PrivateAttr

from bot.config import LLMSettings

try:  # openai >= 3 uses httpx2
    import httpx2
except ImportError:  # pragma: no cover
    httpx2 = None  # type: ignore[assignment]
from bot.errors import LLMRefused, LLMUnavailable
from bot.llm.engine import LLMEngine, completion_prompt, count_items
from bot.llm.prompts import load_prompts

CAPTION_VARS = {
    "description": "a rainy morning in Lisbon",
    "platform": "Instagram",
    "max_chars": 2200,
    "hashtags": 5,
    "tones": "warm, witty, bold",
    "count": 3,
    "like": "",
    "profile": "",
    "voice": "warm, witty",
}


class TextLLM(LLM):
    """Answers from a queue (text or exceptions); records prompts and call options."""

    _answers: deque[str | BaseException] = PrivateAttr(default_factory=deque)
    _calls: list[dict[str, Any]] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "test-text"

    def enqueue(self, *answers: str | BaseException) -> TextLLM:
        self._answers.extend(answers)
        return self

    @property
    def calls(self) -> list[dict[str, Any]]:
        return self._calls

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        self._calls.append({"prompt": prompt, "stop": stop, **kwargs})
        answer = self._answers.popleft() if self._answers else ""
        if isinstance(answer, BaseException):
            raise answer
        return answer


def engine(model: LLM, provider: str = "embedded", **settings: Any) -> LLMEngine:
    llm = LLMSettings(provider=provider, retry_initial_s=0, retry_max_s=0, **settings)  # type: ignore[arg-type]
    return LLMEngine(llm, load_prompts(), model=model)


def test_completion_prompt_continues_the_template_line() -> None:
    prompts = load_prompts()
    chat = completion_prompt(prompts["chat"])
    assert chat.endswith("Muse:{_continuation}"), "no newline after 'Muse:'"
    caption = completion_prompt(prompts["caption"])
    assert caption.endswith("Captions:\n1.{_continuation}")
    assert count_items("1. a\n2) b\n 3. c\n4.\nx 5. no") == 3


async def test_primer_comes_first_and_the_list_is_continued_to_three() -> None:
    model = TextLLM().enqueue(
        " Rain on the tram.\n2. Grey sky, yellow tram.\n", " Wet shoes, happy."
    )
    text = await engine(model).complete("caption", CAPTION_VARS)

    assert text == "1. Rain on the tram.\n2. Grey sky, yellow tram.\n3. Wet shoes, happy."
    first, more = model.calls
    assert first["prompt"].endswith(
        "Post: a rainy morning in Lisbon (Instagram)\nVoice: warm, witty\nCaptions:\n1."
    )
    assert "\n4." in first["stop"]
    # The continuation sends the text so far, primed with the next number, for one line.
    assert more["prompt"].endswith("Captions:\n1. Rain on the tram.\n2. Grey sky, yellow tram.\n3.")
    assert "\n" in more["stop"]


async def test_continuation_gives_up_when_the_model_has_nothing_more() -> None:
    model = TextLLM().enqueue(" Only one.", "   ")
    text = await engine(model).complete("caption", CAPTION_VARS)
    assert text == "1. Only one."
    assert len(model.calls) == 2


async def test_brainstorm_list_length_follows_count() -> None:
    model = TextLLM().enqueue(" A | Angle: b | Format: reel")
    eng = engine(model)
    await eng.complete("brainstorm", {"topic": "pottery", "count": 1, "profile": ""})
    assert len(model.calls) == 1
    assert "\n2." in model.calls[0]["stop"]


async def test_an_empty_answer_is_not_an_error() -> None:
    assert await engine(TextLLM()).complete("chat", {"message": "hi", "profile": ""}) == ""


async def test_temperature_zero_is_honoured() -> None:
    model = TextLLM().enqueue("ok")
    await engine(model).complete("chat", {"message": "hi", "profile": "", "_temperature": 0.0})
    assert model.calls[0]["temperature"] == 0.0


def _timeout() -> httpx.TimeoutException:
    return httpx.ReadTimeout("slow")


def _status(cls: type[openai.APIStatusError], code: int) -> openai.APIStatusError:
    http: Any = httpx2 if httpx2 is not None else httpx  # the HTTP client openai uses
    request = http.Request("POST", "http://127.0.0.1/v1/chat/completions")
    return cls("nope", response=http.Response(code, request=request), body=None)


async def test_retries_are_max_retries_after_the_first_try() -> None:
    model = TextLLM().enqueue(_timeout(), _timeout(), "Fine now.")
    eng = engine(model, provider="openai", prompt_style="completion", max_retries=2)
    assert await eng.complete("chat", {"message": "hi", "profile": ""}) == "Fine now."
    assert len(model.calls) == 3


async def test_no_retry_when_max_retries_is_zero() -> None:
    model = TextLLM().enqueue(_timeout(), "never asked")
    eng = engine(model, provider="openai", prompt_style="completion", max_retries=0)
    with pytest.raises(LLMUnavailable):
        await eng.complete("chat", {"message": "hi", "profile": ""})
    assert len(model.calls) == 1


async def test_the_local_model_is_not_retried_after_a_timeout() -> None:
    model = TextLLM().enqueue(TimeoutError(), "never asked")
    with pytest.raises(LLMUnavailable):
        await engine(model, max_retries=3).complete("chat", {"message": "hi", "profile": ""})
    assert len(model.calls) == 1


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_status(openai.AuthenticationError, 401), LLMRefused),
        (_status(openai.UnprocessableEntityError, 422), LLMRefused),
        (_status(openai.NotFoundError, 404), LLMRefused),
        (_status(openai.InternalServerError, 503), LLMUnavailable),
    ],
)
async def test_errors_map_to_friendly_ones(error: BaseException, expected: type[Exception]) -> None:
    model = TextLLM().enqueue(*[error] * 5)
    eng = engine(model, provider="openai", prompt_style="completion", max_retries=1)
    with pytest.raises(expected):
        await eng.complete("chat", {"message": "hi", "profile": ""})


async def test_stream_gives_deltas_that_add_up_to_the_answer() -> None:
    model = TextLLM().enqueue(" Rain on the tram.\n2. Grey sky.\n3. Wet shoes.")
    deltas = [d async for d in engine(model).stream("caption", CAPTION_VARS)]
    assert len(deltas) >= 2 and deltas[0] == "1."
    assert "".join(deltas) == "1. Rain on the tram.\n2. Grey sky.\n3. Wet shoes."
