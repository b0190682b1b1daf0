"""What the model layer does when a model misbehaves: which failures are worth another
try, LangChain's retry with a wait that honours a server's Retry-After, and a callback
that notes how the answer ended (at the token cap?) and which provider gave it."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import openai
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.runnables import Runnable, RunnableBinding, RunnableConfig, RunnableLambda
from langchain_core.runnables.retry import RunnableRetry
from tenacity import RetryCallState
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_none

from bot.config import LLMSettings
from bot.errors import BadInput
from bot.url_secrets import mask_urls

try:  # openai >= 3 talks through httpx2; its stream errors may surface unwrapped
    import httpx2

    _HTTPX2: tuple[type[BaseException], ...] = (httpx2.TimeoutException, httpx2.TransportError)
except ImportError:  # pragma: no cover
    _HTTPX2 = ()

log = logging.getLogger(__name__)


class EmptyAnswer(Exception):
    """A server answered 200 with no text: treated as a failed call, not as an answer."""


class UnreadableAnswer(Exception):
    """A server's 200 that is no chat completion, raised by the SDK or LangChain as a bare
    APIError or ValueError (see `Readable`)."""


# A server that answered with something that is not a chat completion: a body that is not
# JSON, or JSON without choices (LangChain then indexes a missing first generation).
MALFORMED: tuple[type[BaseException], ...] = (
    json.JSONDecodeError,
    openai.APIResponseValidationError,
    IndexError,
    EmptyAnswer,
    UnreadableAnswer,
)
# Worth another try: the server may answer next time.
RETRYABLE: tuple[type[BaseException], ...] = (
    openai.APITimeoutError,
    openai.APIConnectionError,
    openai.RateLimitError,
    openai.InternalServerError,
    openai.ConflictError,
    httpx.TimeoutException,
    httpx.TransportError,
    *_HTTPX2,
    asyncio.TimeoutError,
    ConnectionError,
    *MALFORMED,
)
# Final for this provider: retrying cannot help (every other HTTP status: 400, 401, 403,
# 404, 413, 422...). Checked after RETRYABLE.
REFUSED: tuple[type[BaseException], ...] = (openai.APIStatusError,)
# When the next provider in the fallback chain gets its turn: any failure of the model,
# including a prompt too long for the embedded model (BadInput) that a server may take.
FALLBACK_ON: tuple[type[BaseException], ...] = (*RETRYABLE, *REFUSED, BadInput)


def unreadable(exc: BaseException) -> UnreadableAnswer | None:
    """What a server's unreadable 200 raised, as UnreadableAnswer (None for any other
    error). The SDK raises a bare APIError for an error event inside a stream (or an
    error body); LangChain a ValueError for a stream with no chunks (a JSON answer to a
    streamed request), an error body or an HTML page; the decoder UnicodeDecodeError for
    bytes that aren't UTF-8. None of them was a fault class, so each came out as
    "Something went wrong" with a traceback, never retried nor handed to the fallback.
    The detail names the kind, never the server's message (it may quote the request)."""
    if isinstance(exc, (*RETRYABLE, *REFUSED)):
        return None
    if isinstance(exc, UnicodeDecodeError):
        return UnreadableAnswer("the server's answer is not UTF-8")
    if isinstance(exc, openai.APIError):
        return UnreadableAnswer("the server sent an error inside its 200 answer")
    if isinstance(exc, ValueError):
        return UnreadableAnswer("the server's answer is not a chat completion")
    return None


@contextmanager
def _reading() -> Iterator[None]:
    """An unreadable answer (see unreadable) surfaces as UnreadableAnswer."""
    try:
        yield
    except (openai.APIError, ValueError) as exc:
        raise (unreadable(exc) or exc) from exc


class Readable(RunnableBinding):  # type: ignore[type-arg]
    """A server's model (`model.bind(...)`), its unreadable answers raised as
    UnreadableAnswer: malformed, so retried and then handed to the fallback. LangChain
    reaches a bound model through each of these three, so each reads the same way."""

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        with _reading():
            return await super().ainvoke(input, config, **kwargs)

    async def atransform(
        self, input: AsyncIterator[Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        with _reading():
            async for item in super().atransform(input, config, **kwargs):
                yield item

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        with _reading():
            async for item in super().astream(input, config, **kwargs):
                yield item


# How servers word a request longer than the model's context window (OpenAI and vLLM:
# "maximum context length", code context_length_exceeded; llama.cpp: "exceeds the
# available context size", type exceed_context_size_error; others "context window").
CONTEXT_RE = re.compile(r"context.length|context.size|context.window|maximum context", re.I)


def context_exceeded(exc: BaseException) -> bool:
    """A 400 (or 413) saying the request is longer than the model's context window."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 413):
        return False
    body = exc.body if isinstance(exc.body, dict) else {}
    said = " ".join(str(body.get(k) or "") for k in ("code", "type", "message"))
    return bool(CONTEXT_RE.search(f"{said} {exc.message}"))


def images_refused(exc: BaseException) -> bool:
    """A server's 400/415/422 to a request with images, not about its length: a model
    that can't see images (MUSE_LLM__VISION=true by mistake) or won't take this one."""
    return (
        isinstance(exc, openai.APIStatusError)
        and exc.status_code in (400, 415, 422)
        and not context_exceeded(exc)
    )


def what_to_check(exc: BaseException, settings: LLMSettings) -> str:
    """For the admin's log line of a refused request: the setting to look at. Without it
    the line said only "OpenAIModelNotFoundError 404", the same for a model the server
    lacks as for a base URL without its /v1 (nothing there at all). The server's message
    is only searched for the word "model", never logged (it may quote the request)."""
    status = getattr(exc, "status_code", None)
    if status in (401, 403):
        return "check MUSE_LLM__API_KEY (and that it may use MUSE_LLM__MODEL)"
    if status == 404:
        said = f"{getattr(exc, 'code', '')} {getattr(exc, 'message', '')}"
        if "model" in said.lower():
            return f"the server has no model {settings.model!r}: check MUSE_LLM__MODEL"
        return (
            f"nothing answers at {mask_urls(settings.base_url or 'the default address')}"
            "/chat/completions: check MUSE_LLM__BASE_URL (most servers' end in /v1)"
        )
    return ""


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The pause a server asked for (`retry-after-ms`, or `retry-after` in seconds or as
    an HTTP date) on the error's response; None if it didn't say."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        raw = headers.get("retry-after")
        if not raw:
            return None
        try:
            return max(0.0, float(raw))
        except ValueError:
            when = parsedate_to_datetime(raw)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, OverflowError):
        return None


def _last_error(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome and state.outcome.failed else None


class HonourRetryAfter(wait_base):
    """The backoff, but never less than the server's Retry-After."""

    def __init__(self, backoff: wait_base) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: RetryCallState) -> float:
        wait = self.backoff(retry_state)
        asked = retry_after_seconds(_last_error(retry_state))
        if asked is not None and asked > wait:
            log.info("llm: waiting %.1f s as the server asked (Retry-After)", asked)
            return asked
        return wait


class AskedTooLong(stop_base):
    """Stop retrying when the server asks for a longer pause than we are willing to wait:
    the next provider (or the one-line apology) is better than a long silence."""

    def __init__(self, max_pause_s: float) -> None:
        self.max_pause_s = max_pause_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        asked = retry_after_seconds(_last_error(retry_state))
        return asked is not None and asked > self.max_pause_s


class RetryHonouringRetryAfter(RunnableRetry):  # type: ignore[type-arg]
    """LangChain's with_retry (tenacity underneath), with one change: the wait between
    attempts honours a server's Retry-After, and a pause longer than `max_pause_s` ends
    the retries. with_retry exposes only the exponential-jitter parameters, so this
    overrides the one place RunnableRetry builds its tenacity arguments."""

    max_pause_s: float = 30.0

    @property
    def _kwargs_retrying(self) -> dict[str, Any]:
        kwargs = dict(super()._kwargs_retrying)
        kwargs["wait"] = HonourRetryAfter(kwargs.get("wait") or wait_none())
        stop = AskedTooLong(self.max_pause_s)
        kwargs["stop"] = kwargs["stop"] | stop if "stop" in kwargs else stop
        return kwargs


def retried(
    runnable: Runnable[Any, Any], settings: LLMSettings, attempts: int
) -> Runnable[Any, Any]:
    """`runnable` tried up to `attempts` times on RETRYABLE failures, with exponential
    backoff and jitter (LangChain's RunnableRetry), honouring Retry-After."""
    return RetryHonouringRetryAfter(
        bound=runnable,
        kwargs={},
        config={},
        retry_exception_types=RETRYABLE,
        max_attempt_number=max(1, attempts),
        wait_exponential_jitter=True,
        exponential_jitter_params={
            "initial": settings.retry_initial_s,
            "max": settings.retry_max_s,
            "jitter": settings.retry_initial_s,
        },
        max_pause_s=settings.retry_after_max_s,
    )


async def pause_after_stream(error: BaseException, settings: LLMSettings) -> bool:
    """Between the streamed first try (outside tenacity's loop) and the retried calls:
    wait the server's Retry-After, if any. False when it asked for longer than we wait
    (`retry_after_max_s`): don't retry that provider."""
    asked = retry_after_seconds(error)
    if asked is None:
        return True
    if asked > settings.retry_after_max_s:
        log.info("llm: the server asked for %.0f s; not waiting that long", asked)
        return False
    log.info("llm: waiting %.1f s as the server asked (Retry-After)", asked)
    await asyncio.sleep(asked)
    return True


def invoked(runnable: Runnable[Any, Any]) -> Runnable[Any, Any]:
    """Streaming `runnable` as one invocation: LangChain retries only invoke(), so inside
    a fallback chain that is streamed, a retried step must be invoked, not streamed."""

    async def call(value: Any, config: Any) -> Any:
        return await runnable.ainvoke(value, config)

    return RunnableLambda(call, name=runnable.get_name())


class Watch(AsyncCallbackHandler):
    """Notes, for one answer, how the model's last successful run ended and which
    provider ran it (the chains are tagged "provider:<name>")."""

    def __init__(self) -> None:
        self.finish_reason = ""
        self.provider = ""
        # The server refused the request's images, and the answer was written without.
        self.images_refused = False

    async def on_llm_end(
        self, response: LLMResult, *, tags: list[str] | None = None, **_: Any
    ) -> None:
        reason = ""
        for gens in response.generations:
            for gen in gens:
                info = gen.generation_info or {}
                reason = str(info.get("finish_reason") or reason)
                if isinstance(gen, ChatGeneration):
                    meta = gen.message.response_metadata or {}
                    reason = str(meta.get("finish_reason") or reason)
        self.finish_reason = reason
        for tag in tags or []:
            if tag.startswith("provider:"):
                self.provider = tag.removeprefix("provider:")

    @property
    def truncated(self) -> bool:
        """Stopped at the token cap (OpenAI-compatible servers and llama.cpp both say
        "length"), not at the end of what it had to say."""
        return self.finish_reason == "length"
