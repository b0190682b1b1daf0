"""The one LLM interface the skills use: render a skill's prompt in the form each
provider needs, run it as a LangChain chain (prompt | model | parser), and stream the
answer — resiliently:

1. The configured provider streams the answer (the user sees it grow) — unless nobody
   would watch it grow: a server asked for many answers at once, or a caller that only
   wants the result (`complete`), gets each answer whole, in one response.
2. If that fails — before the first word or halfway — the answer is generated again,
   without the broken part: the provider retried with backoff (LangChain's with_retry,
   honouring Retry-After), then each fallback provider in turn (LangChain's
   with_fallbacks, `MUSE_LLM__FALLBACK`).
3. If all fail: one MuseError, which the core shows as one line with an error ref.

An answer also says whether it stopped at the token cap (`Answer.truncated`), so skills
never pass off a cut answer as a whole one, and can be continued (`partial=`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import Any

from langchain_core.language_models import BaseLanguageModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from bot.config import LLMSettings
from bot.errors import LLMLeak, LLMRefused, LLMTooLong, LLMUnavailable, MuseError
from bot.llm import userdata
from bot.llm.chains import (
    ITEM_STOP,
    Request,
    build,
    completion_prompt,
    count_items,
    delimited,
    fit_history,
    history_text,
    wanted_items,
)
from bot.llm.gate import Gate, Waiting
from bot.llm.prompts import PromptSpec
from bot.llm.providers import Provider, build_providers, make_model
from bot.llm.resilience import (
    FALLBACK_ON,
    REFUSED,
    RETRYABLE,
    Watch,
    context_exceeded,
    images_refused,
    invoked,
    pause_after_stream,
    retried,
    what_to_check,
)
from bot.messages import Attachment

__all__ = [
    "Answer",
    "LLMEngine",
    "completion_prompt",
    "count_items",
    "delimited",
    "fit_history",
    "history_text",
    "make_model",
]

log = logging.getLogger(__name__)


class Answer:
    """One answer being generated. Iterate it for the text so far — which starts over
    if a stream broke halfway and the answer was generated again; afterwards `.text`,
    `.truncated` (it stopped at the token cap, not at its end), `.provider` (which
    one answered: maybe a fallback) and its prompt `.style` (a completion-style
    continuation goes on exactly where the text stopped; a chat model's starts anew)."""

    def __init__(self, produce: Callable[[Answer], AsyncIterator[str]]) -> None:
        self._produce = produce
        self.text = ""
        self.truncated = False
        self.provider = ""
        self.style = ""
        # The server refused the images: the answer is from the words alone.
        self.images_refused = False

    def __aiter__(self) -> AsyncIterator[str]:
        return self._produce(self)


def final_error(exc: BaseException, settings: LLMSettings) -> MuseError:
    """The one error a user sees when every provider failed."""
    if isinstance(exc, MuseError):
        return exc
    if context_exceeded(exc):
        return LLMTooLong(
            f"{described(exc)}: longer than the model's context window (lower "
            "MUSE_MAX_INPUT_CHARS or MUSE_LLM__MAX_TOKENS, or give the server a larger context)"
        )
    if isinstance(exc, REFUSED) and not isinstance(exc, RETRYABLE):
        hint = what_to_check(exc, settings)
        return LLMRefused(described(exc) + (f": {hint}" if hint else ""))
    return LLMUnavailable(described(exc))


def described(exc: BaseException) -> str:
    """What failed, for the log line with the error's ref: a server's status and error
    code, never its message, which may quote the request (the person's own words)."""
    status = getattr(exc, "status_code", None)
    if status is None:
        return repr(exc)
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__} {status}" + (f" ({code})" if code else "")


# A server batches or queues requests itself (and says 429 when full, which is waited
# out): many at once keep 200 waiting people from queueing behind a few slow answers.
# 256 stays within what servers take by default (Ollama queues up to 512); with 128,
# 200 people on a 1 s model took two rounds (3.2 s vs 2.7 s, bench/README.md).
SERVER_CONCURRENCY = 256
# From this many generations at once, a server is asked for whole answers rather than
# token streams. Under such a burst the chat apps show "typing…", not partial text
# (Telegram's own threshold: adapters/telegram_delivery.BUSY_ANSWERS), while a stream
# costs CPU for every token of every answer (SSE events, a chunk object and callbacks
# each): measured on 200 answers at once, 10 → 6.6 ms of the bot's CPU an answer, and
# 200 answers of a 1 s model 2.7 → 2.0 s (bench/README.md).
WHOLE_FROM = 16


def concurrency(settings: LLMSettings) -> int:
    """How many generations run at once: the setting, else one for the embedded model
    (it computes on this machine's own cores), else SERVER_CONCURRENCY."""
    if settings.concurrency:
        return settings.concurrency
    return 1 if settings.provider == "embedded" else SERVER_CONCURRENCY


def _log_load_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        # The first generation will try again and report it to the person in one line.
        log.warning("loading the model in the background failed: %r", task.exception())


class LLMEngine:
    def __init__(
        self,
        settings: LLMSettings,
        prompts: dict[str, PromptSpec],
        model: BaseLanguageModel[Any] | None = None,
    ) -> None:
        self.settings = settings
        self.prompts = prompts
        # The configured provider first, then its fallbacks.
        self.providers: list[Provider] = build_providers(settings, model)
        self.model = self.providers[0].model
        self.gate = Gate(concurrency(settings))

    def warm_up(self) -> asyncio.Task[None] | None:
        """Start loading a local model in the background, so the first person to write
        does not wait for it (a generation that comes sooner simply waits for the load)."""
        aload = getattr(self.model, "aload", None)
        if aload is None:
            return None
        task: asyncio.Task[None] = asyncio.create_task(aload())
        task.add_done_callback(_log_load_failure)
        return task

    @property
    def style(self) -> str:
        """The configured provider's prompt style: chat | completion."""
        return self.providers[0].style

    @style.setter
    def style(self, value: str) -> None:
        self.providers[0] = replace(self.providers[0], style=value)

    @property
    def supports_vision(self) -> bool:
        return self.settings.vision and self.style == "chat"

    # -- the interface ------------------------------------------------------

    def answer(
        self,
        skill: str,
        variables: dict[str, Any],
        history: Sequence[BaseMessage] = (),
        images: Sequence[Attachment] = (),
        *,
        partial: str = "",
        waiting: Waiting | None = None,
        stream: bool = True,
    ) -> Answer:
        """Generate an answer (iterate it). With `partial`, continue that answer (one cut
        at the token cap): the text is then only what comes after it. `waiting` is told
        the answer's place in line while other answers are being written first.
        `stream=False`: nobody watches it grow, so it comes whole (also when a server
        is writing WHOLE_FROM answers at once).

        Completion style: the answer starts with the prompt's primer, and a numbered
        list that ends early (fewer than the form's `min_items`) is continued, one
        primed item at a time ("...\\n3."), instead of being generated again."""
        request = Request(
            self.prompts[skill], dict(variables), tuple(history), tuple(images), partial
        )
        return Answer(lambda answer: self._produce(request, answer, waiting, stream))

    async def stream(
        self,
        skill: str,
        variables: dict[str, Any],
        history: Sequence[BaseMessage] = (),
        images: Sequence[Attachment] = (),
    ) -> AsyncIterator[str]:
        """The answer as text deltas (for callers that only append). An answer that
        starts over after a broken stream cannot be told that way: it fails instead —
        use answer(), which yields the text so far."""
        shown = ""
        async for text in self.answer(skill, variables, history, images):
            if not text.startswith(shown):
                raise LLMUnavailable("the stream broke and the answer started over")
            yield text[len(shown) :]
            shown = text

    async def complete(
        self,
        skill: str,
        variables: dict[str, Any],
        history: Sequence[BaseMessage] = (),
        images: Sequence[Attachment] = (),
    ) -> str:
        answer = self.answer(skill, variables, history, images, stream=False)
        async for _ in answer:
            pass
        return answer.text

    # -- producing ----------------------------------------------------------

    async def _produce(
        self, request: Request, answer: Answer, waiting: Waiting | None, stream: bool
    ) -> AsyncIterator[str]:
        # What an injected "print your system prompt" would get out: never shown.
        protected = userdata.fragments(request.spec.chat.system)
        async with self.gate.slot(waiting):
            watch = Watch()
            busy = self.providers[0].remote and self.gate.running >= WHOLE_FROM
            whole = busy or not stream
            async for text in self._generate(request, watch, self.providers, whole=whole):
                if userdata.leaked(text, protected):
                    raise LLMLeak(f"{request.spec.name}: the answer repeated the system prompt")
                answer.text = text
                yield text
            answer.truncated = watch.truncated
            answer.images_refused = watch.images_refused
            answer.provider = watch.provider or self.providers[0].name
            answer.style = next(
                (p.style for p in self.providers if p.name == answer.provider), self.style
            )
            if not request.partial and not answer.truncated:
                async for text in self._complete_list(request, answer):
                    yield text

    async def _complete_list(self, request: Request, answer: Answer) -> AsyncIterator[str]:
        """A base model's numbered list that ended early: prime the next number and let
        the provider that wrote it go on, one item a round (best effort: a failed round
        leaves the list as it is)."""
        provider = next((p for p in self.providers if p.name == answer.provider), None)
        if provider is None or provider.style != "completion":
            return
        want = wanted_items(request.spec, request.variables)
        for _ in range(want):
            have = count_items(answer.text)
            if have >= want:
                return
            cue = f"{have + 1}." if answer.text.endswith("\n") else f"\n{have + 1}."
            more = request.with_partial(answer.text + cue, extra_stop=[ITEM_STOP])
            added = ""
            try:
                async for text in self._generate(more, Watch(), [provider]):
                    added = text
            except MuseError as exc:
                log.info("llm: list continuation failed (%s); keeping %d items", exc, have)
                return
            if not added.strip():
                return
            answer.text += cue + added
            yield answer.text

    async def _generate(
        self,
        request: Request,
        watch: Watch,
        providers: Sequence[Provider],
        *,
        whole: bool = False,
    ) -> AsyncIterator[str]:
        """The text so far of one generation: streamed from the first provider (or, if
        `whole`, in one piece); after a failure, generated again by the retried provider
        and then its fallbacks."""
        config: RunnableConfig = {"callbacks": [watch]}
        first = providers[0]
        text = ""
        try:
            if whole:
                text = await build(request, first).ainvoke({}, config)
                if text:
                    yield text
                return
            async for delta in build(request, first).astream({}, config):
                if delta:
                    text += delta
                    yield text
            return
        except FALLBACK_ON as exc:
            error: BaseException = exc
            where = f"after {len(text)} characters" if text else "before any text"
            log.info("llm: %s failed %s (%s)", first.name, where, type(exc).__name__)
        if context_exceeded(error) and request.history:
            # The conversation outgrew the server's context window: every later message
            # of this conversation would be refused too ("check the model settings").
            # Answer without the earlier turns, and tell the admin what to change.
            log.warning(
                "llm: %s: the request was longer than the model's context window; "
                "answered without the earlier conversation (lower MUSE_LLM__CONTEXT_TOKENS "
                "or MUSE_LLM__MAX_TOKENS, or give the server a larger context)",
                first.name,
            )
            alone = replace(request, history=())
            async for text in self._generate(alone, watch, providers, whole=whole):
                yield text
            return
        if request.images and images_refused(error):
            # A photo sent to a model that can't see images was "refused (check the
            # model settings)", its words unused: write from the words, say so (the skill
            # tells the person), and tell the admin which setting is wrong.
            log.warning(
                "llm: %s refused a request with an image (%s); answered from the words "
                "alone (set MUSE_LLM__VISION=false if the model can't see images)",
                first.name,
                described(error),
            )
            watch.images_refused = True
            blind = replace(request, images=())
            async for text in self._generate(blind, watch, providers, whole=whole):
                yield text
            return
        retry_first = await pause_after_stream(error, self.settings)
        rest = self._recovery(request, providers, error, retry_first=retry_first)
        if rest is None:
            raise final_error(error, self.settings) from error
        text = ""
        try:
            async for delta in rest.astream({}, config):
                if delta:
                    text += delta
                    yield text
        except FALLBACK_ON as exc:
            raise final_error(exc, self.settings) from exc

    def _recovery(
        self,
        request: Request,
        providers: Sequence[Provider],
        error: BaseException,
        *,
        retry_first: bool = True,
    ) -> Runnable[dict[str, Any], str] | None:
        """What runs after the first streamed try failed: that provider retried (a
        server, on a retryable failure; its first try counted), then each fallback
        (servers retried too; local models streamed once — they'd only fail again)."""
        steps: list[Runnable[dict[str, Any], str]] = []
        attempts = self.settings.max_retries
        first = providers[0]
        if retry_first and first.name != "embedded" and isinstance(error, RETRYABLE) and attempts:
            steps.append(invoked(retried(build(request, first), self.settings, attempts)))
        for provider in providers[1:]:
            chain = build(request, provider)
            if provider.name == "embedded":
                steps.append(chain)
            else:
                steps.append(invoked(retried(chain, self.settings, 1 + attempts)))
        if not steps:
            return None
        if len(steps) == 1:
            return steps[0]
        return steps[0].with_fallbacks(steps[1:], exceptions_to_handle=FALLBACK_ON)
