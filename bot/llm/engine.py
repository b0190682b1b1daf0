"""The one LLM interface the skills use: render a skill's prompt in the form the
provider needs, run it as a LangChain chain (prompt | model | parser) with
LangChain's retry support, and stream text deltas."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import openai
from langchain_core.language_models import BaseLanguageModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder, PromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from bot.config import LLMSettings
from bot.errors import LLMRefused, LLMUnavailable
from bot.llm.prompts import PromptSpec
from bot.memory.records import Turn
from bot.messages import Attachment

log = logging.getLogger(__name__)

# Worth another try: the server may answer next time.
RETRYABLE = (
    openai.APITimeoutError,
    openai.APIConnectionError,
    openai.RateLimitError,
    openai.InternalServerError,
    httpx.TimeoutException,
    httpx.TransportError,
    asyncio.TimeoutError,
    ConnectionError,
)
# Final: retrying cannot help, and the user needs a different message.
REFUSED = (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError,
           openai.BadRequestError)


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
    from bot.llm.embedded import EmbeddedLLM

    return EmbeddedLLM(
        model_path=settings.model_path,
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
    )


def history_messages(history: Sequence[Turn]) -> list[BaseMessage]:
    return [
        HumanMessage(t.text) if t.role == "user" else AIMessage(t.text) for t in history
    ]


def history_text(history: Sequence[Turn]) -> str:
    return "".join(
        f"{'Creator' if t.role == 'user' else 'Muse'}: {t.text}\n" for t in history
    )


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
        # The embedded model computes on our own 2 cores: queue its generations.
        self._gate = asyncio.Semaphore(1 if settings.provider == "embedded" else 16)

    @property
    def supports_vision(self) -> bool:
        return self.settings.vision and self.style == "chat"

    # -- chain building ---------------------------------------------------

    def _chain(
        self, spec: PromptSpec, variables: dict[str, Any], images: Sequence[Attachment]
    ) -> tuple[Runnable[dict[str, Any], str], dict[str, Any]]:
        params: dict[str, Any] = {
            "temperature": variables.pop("_temperature", None) or spec.temperature
            or self.settings.temperature,
            "max_tokens": spec.max_tokens or self.settings.max_tokens,
        }
        if self.settings.provider == "fake":
            params = {"skill": spec.name, "variables": dict(variables)}
        elif self.settings.provider == "openai":
            params["max_completion_tokens"] = params.pop("max_tokens")
        prompt: Runnable[dict[str, Any], Any]
        if self.style == "chat":
            user: Any = spec.chat.user
            if images and self.supports_vision:
                prompt = RunnableLambda(lambda v: self._vision_messages(spec, v, images))
            else:
                prompt = ChatPromptTemplate.from_messages(
                    [("system", spec.chat.system), MessagesPlaceholder("history"), ("human", user)]
                )
        else:
            if spec.completion.stop and self.settings.provider != "fake":
                params["stop"] = spec.completion.stop
            form = spec.completion
            prompt = PromptTemplate.from_template(form.examples + form.template + form.primer)
        model = self.model.bind(**params)
        return prompt | model | StrOutputParser(), variables

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
        self, spec: PromptSpec, variables: dict[str, Any], history: Sequence[Turn]
    ) -> dict[str, Any]:
        values = {name: variables.get(name, "") for name in spec.variables}
        values["history"] = (
            history_messages(history) if self.style == "chat" else history_text(history)
        )
        return values

    # -- running ----------------------------------------------------------

    async def stream(
        self,
        skill: str,
        variables: dict[str, Any],
        history: Sequence[Turn] = (),
        images: Sequence[Attachment] = (),
    ) -> AsyncIterator[str]:
        """Yield text deltas. A retryable failure before the first token falls back
        to the retried, non-streaming call; any final failure becomes a MuseError."""
        spec = self.prompts[skill]
        chain, variables = self._chain(spec, dict(variables), images)
        inputs = self._inputs(spec, variables, history)
        primer = spec.completion.primer if self.style == "completion" else ""
        async with self._gate:
            started = False
            if primer:
                yield primer
            try:
                async for delta in chain.astream(inputs):
                    started = True
                    yield delta
                return
            except RETRYABLE as exc:
                if started:
                    raise LLMUnavailable(f"stream broke: {exc!r}") from exc
                log.info("llm stream failed before output (%s); retrying", type(exc).__name__)
            except REFUSED as exc:
                raise LLMRefused(repr(exc)) from exc
            yield await self._invoke_with_retry(chain, inputs)

    async def complete(
        self,
        skill: str,
        variables: dict[str, Any],
        history: Sequence[Turn] = (),
        images: Sequence[Attachment] = (),
    ) -> str:
        return "".join([d async for d in self.stream(skill, variables, history, images)])

    async def _invoke_with_retry(
        self, chain: Runnable[dict[str, Any], str], inputs: dict[str, Any]
    ) -> str:
        retrying = chain.with_retry(
            retry_if_exception_type=RETRYABLE,
            stop_after_attempt=max(1, self.settings.max_retries),
            wait_exponential_jitter=True,
            exponential_jitter_params={"initial": 0.5, "max": 8.0},
        )
        try:
            return await retrying.ainvoke(inputs)
        except RETRYABLE as exc:
            raise LLMUnavailable(repr(exc)) from exc
        except REFUSED as exc:
            raise LLMRefused(repr(exc)) from exc
