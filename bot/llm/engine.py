"""The one LLM interface the skills use: render a skill's prompt in the form the
provider needs, run it as a LangChain chain (prompt | model | parser) with
LangChain's retry support, and stream text deltas."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import openai
from langchain_core.language_models import BaseLanguageModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, trim_messages
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder, PromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from bot.config import LLMSettings
from bot.errors import LLMLeak, LLMRefused, LLMUnavailable
from bot.llm import userdata
from bot.llm.prompts import PromptSpec
from bot.messages import Attachment

log = logging.getLogger(__name__)

# Worth another try: the server may answer next time.
RETRYABLE = (
    openai.APITimeoutError,
    openai.APIConnectionError,
    openai.RateLimitError,
    openai.InternalServerError,
    openai.ConflictError,
    httpx.TimeoutException,
    httpx.TransportError,
    asyncio.TimeoutError,
    ConnectionError,
)
# Final: retrying cannot help, and the user needs a different message.
# (Checked after RETRYABLE, so this is every other HTTP error status: 400, 401, 403, 404,
# 413, 422...)
REFUSED = (openai.APIStatusError,)


def make_model(settings: LLMSettings) -> BaseLanguageModel[Any]:
    """The LangChain model behind the configured provider."""
    if settings.provider == "fake":
        from bot.llm.fake import ScriptedChatModel

        return ScriptedChatModel()
    if settings.provider == "openai":
        from langchain_openai import ChatOpenAI

        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        return ChatOpenAI(
            model=settings.model,
            base_url=settings.base_url,
            api_key=key,  # type: ignore[arg-type]
            timeout=settings.timeout_s,
            max_retries=0,  # retries come from LangChain's with_retry below
            temperature=settings.temperature,
            max_completion_tokens=settings.max_tokens,
        )
    from bot.llm.build_check import check_llama_build
    from bot.llm.embedded import EmbeddedLLM

    check_llama_build()

    return EmbeddedLLM(
        model_path=settings.model_path,
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout_s=settings.timeout_s,
    )


# The continuation of a completion prompt: what the model wrote so far (after the primer).
CONTINUATION = "_continuation"
NUMBERED_RE = re.compile(r"^[ \t]*\d{1,2}[.)][ \t]*\S", re.M)
# Continuation rounds write one list item each: stop at its end.
ITEM_STOP = "\n"


def completion_prompt(spec: PromptSpec) -> str:
    """Few-shot examples + template + primer (+ the text so far, when continuing), as
    one completion prompt. Trailing spaces are dropped (a prompt ending in a space
    makes SentencePiece models stumble); a trailing newline of the template is kept
    only when a primer follows it, so a template like "Muse:" continues on that line."""
    form = spec.completion
    template = form.template if form.primer else form.template.rstrip("\n")
    text = (form.examples + template + form.primer).rstrip(" \t")
    return text + "{" + CONTINUATION + "}"


def count_items(text: str) -> int:
    return len(NUMBERED_RE.findall(text))


def wanted_items(spec: PromptSpec, variables: dict[str, Any]) -> int:
    """How many numbered items the completion must have ("3" or e.g. "{count}")."""
    raw = spec.completion.min_items
    if not raw:
        return 0
    try:
        return max(0, min(10, int(raw.format(**variables))))
    except (ValueError, KeyError, IndexError):
        return 0


def approx_tokens(messages: Sequence[BaseMessage]) -> int:
    """Cheap token estimate (~4 chars a token): good enough for a context budget, and
    the same for every provider (the embedded model's tokenizer is not at hand here)."""
    return sum(len(str(m.content)) // 4 + 1 for m in messages)


def fit_history(history: Sequence[BaseMessage], budget_tokens: int) -> list[BaseMessage]:
    """The newest turns that fit the budget, oldest first (LangChain's trim_messages)."""
    if not history:
        return []
    return trim_messages(
        list(history),
        max_tokens=budget_tokens,
        token_counter=approx_tokens,
        strategy="last",
        allow_partial=False,
    )


# A completion prompt shows each past turn on one line: multi-line replies (drafts with
# their ids and hints) would read to a base model as the shape of an answer to copy.
HISTORY_TURN_CHARS = 240


def history_text(history: Sequence[BaseMessage]) -> str:
    lines = []
    for m in history:
        text = userdata.flatten(str(m.content))
        if len(text) > HISTORY_TURN_CHARS:
            text = text[: HISTORY_TURN_CHARS - 1].rsplit(" ", 1)[0] + "…"
        lines.append(f"{'Creator' if isinstance(m, HumanMessage) else 'Muse'}: {text}\n")
    return "".join(lines)


def delimited(history: Sequence[BaseMessage]) -> list[BaseMessage]:
    """Earlier turns for a chat prompt: the creator's between the data tags, Muse's own
    with any look-alike tags made inert."""
    out: list[BaseMessage] = []
    for m in history:
        text = str(m.content)
        if isinstance(m, HumanMessage):
            out.append(HumanMessage(userdata.wrap(text)))
        else:
            out.append(m.model_copy(update={"content": userdata.neutralise(text)}))
    return out


# A server batches or queues requests itself (and says 429 when full, which is waited
# out): many at once keep 200 waiting people from queueing behind a few slow answers.
SERVER_CONCURRENCY = 128


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
        self.model = model if model is not None else make_model(settings)
        style = settings.prompt_style
        if style == "auto":
            style = "completion" if settings.provider == "embedded" else "chat"
        self.style = style
        self._gate = asyncio.Semaphore(concurrency(settings))

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
    def supports_vision(self) -> bool:
        return self.settings.vision and self.style == "chat"

    # -- chain building ---------------------------------------------------

    def _chain(
        self,
        spec: PromptSpec,
        variables: dict[str, Any],
        images: Sequence[Attachment],
        *,
        extra_stop: Sequence[str] = (),
    ) -> Runnable[dict[str, Any], str]:
        temperature = variables.get("_temperature")
        if temperature is None:
            temperature = spec.temperature
        if temperature is None:
            temperature = self.settings.temperature
        params: dict[str, Any] = {
            "temperature": temperature,
            "max_tokens": spec.max_tokens or self.settings.max_tokens,
        }
        if self.settings.provider == "fake":
            clean = {k: v for k, v in variables.items() if not k.startswith("_")}
            params = {"skill": spec.name, "variables": clean}
        elif self.settings.provider == "openai":
            params["max_completion_tokens"] = params.pop("max_tokens")
        prompt: Runnable[dict[str, Any], Any]
        if self.style == "chat":
            if images and self.supports_vision:
                prompt = RunnableLambda(lambda v: self._vision_messages(spec, v, images))
            else:
                prompt = ChatPromptTemplate.from_messages(
                    [
                        ("system", spec.chat.system),
                        MessagesPlaceholder("history"),
                        ("human", spec.chat.user),
                    ]
                )
        else:
            stop = [*spec.completion.stop, *extra_stop]
            want = wanted_items(spec, variables)
            if want:
                stop.append(f"\n{want + 1}.")  # the list is complete: don't write more
            if stop and self.settings.provider != "fake":
                params["stop"] = stop
            prompt = PromptTemplate.from_template(completion_prompt(spec))
        return prompt | self.model.bind(**params) | StrOutputParser()

    def _vision_messages(
        self, spec: PromptSpec, v: dict[str, Any], images: Sequence[Attachment]
    ) -> list[BaseMessage]:
        content: list[Any] = [{"type": "text", "text": spec.chat.user.format(**v)}]
        for img in images:
            if img.data:
                b64 = base64.b64encode(img.data).decode()
                url = f"data:{img.mime or 'image/jpeg'};base64,{b64}"
            else:
                url = img.url or ""
            content.append({"type": "image_url", "image_url": {"url": url}})
        return [
            SystemMessage(spec.chat.system.format(**v)),
            *v["history"],
            HumanMessage(content=content),
        ]

    def _inputs(
        self, spec: PromptSpec, variables: dict[str, Any], history: Sequence[BaseMessage]
    ) -> dict[str, Any]:
        """The prompt's values, user text made safe to delimit: look-alikes of the data
        tags neutralised (chat form), line breaks flattened (completion form)."""
        values = {name: variables.get(name, "") for name in spec.variables}
        for name, value in values.items():
            if isinstance(value, str) and name not in spec.trusted:
                clean = userdata.neutralise(value)
                values[name] = clean if self.style == "chat" else userdata.flatten(clean)
        values[CONTINUATION] = ""
        fitted = fit_history(history, self.settings.context_tokens)
        values["history"] = delimited(fitted) if self.style == "chat" else history_text(fitted)
        return values

    # -- running ----------------------------------------------------------

    async def stream(
        self,
        skill: str,
        variables: dict[str, Any],
        history: Sequence[BaseMessage] = (),
        images: Sequence[Attachment] = (),
    ) -> AsyncIterator[str]:
        """Yield text deltas. A retryable failure before the first token falls back
        to the retried, non-streaming call; any final failure becomes a MuseError.

        Completion style: the answer starts with the prompt's primer, and a numbered
        list that ends early (fewer than the form's `min_items`) is continued, one
        primed item at a time ("...\n3."), instead of being generated again."""
        spec = self.prompts[skill]
        variables = dict(variables)
        chain = self._chain(spec, variables, images)
        inputs = self._inputs(spec, variables, history)
        completion = self.style == "completion"
        primer = spec.completion.primer.rstrip(" \t") if completion else ""
        protected = userdata.fragments(spec.chat.system) if not completion else []
        async with self._gate:
            text = ""
            async for delta in self._run(chain, inputs, primer):
                text += delta
                if userdata.leaked(text, protected):
                    raise LLMLeak(f"{skill}: the answer repeated the system prompt")
                yield delta
            want = wanted_items(spec, variables) if completion else 0
            if count_items(text) >= want:
                return
            more = self._chain(spec, variables, images, extra_stop=[ITEM_STOP])
            for _ in range(want):
                have = count_items(text)
                if have >= want:
                    break
                body = text[len(primer) :]
                cue = f"{have + 1}." if body.endswith("\n") else f"\n{have + 1}."
                added = ""
                async for delta in self._run(more, {**inputs, CONTINUATION: body + cue}, ""):
                    added += delta
                if not added.strip():
                    break
                text += cue + added
                yield cue + added

    async def _run(
        self, chain: Runnable[dict[str, Any], str], inputs: dict[str, Any], primer: str
    ) -> AsyncIterator[str]:
        """One generation: stream it, or fall back to the retried call."""
        started = False
        try:
            async for delta in chain.astream(inputs):
                if not delta:
                    continue  # e.g. the role-only first chunk of an OpenAI stream
                if not started and primer:
                    yield primer
                started = True
                yield delta
            if not started and primer:
                yield primer
            return
        except RETRYABLE as exc:
            if started:
                raise LLMUnavailable(f"stream broke: {exc!r}") from exc
            if self.settings.provider == "embedded" or self.settings.max_retries == 0:
                # The local model timed out (timeout_s for the whole generation):
                # it would only time out again.
                raise LLMUnavailable(repr(exc)) from exc
            log.info("llm stream failed before output (%s); retrying", type(exc).__name__)
        except REFUSED as exc:
            raise LLMRefused(repr(exc)) from exc
        yield primer + await self._invoke_with_retry(chain, inputs)

    async def complete(
        self,
        skill: str,
        variables: dict[str, Any],
        history: Sequence[BaseMessage] = (),
        images: Sequence[Attachment] = (),
    ) -> str:
        return "".join([d async for d in self.stream(skill, variables, history, images)])

    async def _invoke_with_retry(
        self, chain: Runnable[dict[str, Any], str], inputs: dict[str, Any]
    ) -> str:
        """The streaming call was attempt one: up to `max_retries` more, LangChain's way."""
        retrying = chain.with_retry(
            retry_if_exception_type=RETRYABLE,
            stop_after_attempt=max(1, self.settings.max_retries),
            wait_exponential_jitter=True,
            exponential_jitter_params={
                "initial": self.settings.retry_initial_s,
                "max": self.settings.retry_max_s,
                "jitter": self.settings.retry_initial_s,
            },
        )
        try:
            return await retrying.ainvoke(inputs)
        except RETRYABLE as exc:
            raise LLMUnavailable(repr(exc)) from exc
        except REFUSED as exc:
            raise LLMRefused(repr(exc)) from exc
