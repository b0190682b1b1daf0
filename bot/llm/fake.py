"""A scripted chat model for tests and demos: `enqueue()` exact answers (or
exceptions); otherwise it answers in each skill's expected shape, derived from
the request, so every skill works offline without a real model."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

FORMATS = ("reel", "carousel", "thread", "photo dump", "short video", "poll", "story")
ANGLES = (
    "behind the scenes",
    "a mistake you made",
    "a myth to bust",
    "a before/after",
    "a tiny how-to",
    "a question to the audience",
    "a personal story",
)
OPENERS = ("Slow down:", "Plot twist:", "Hot take:", "Quiet moment:", "Real talk:", "Tiny joy:")


class ScriptedChatModel(BaseChatModel):
    _queue: deque[str | BaseException] = PrivateAttr(default_factory=deque)
    _calls: list[list[BaseMessage]] = PrivateAttr(default_factory=list)
    _count: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "muse-scripted"

    def enqueue(self, *answers: str | BaseException) -> None:
        self._queue.extend(answers)

    @property
    def calls(self) -> list[list[BaseMessage]]:
        """Every prompt received, as messages — tests read what the model was told."""
        return self._calls

    def last_prompt(self) -> str:
        return "\n".join(str(m.content) for m in self._calls[-1]) if self._calls else ""

    def _answer(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        self._calls.append(list(messages))
        self._count += 1
        if self._queue:
            item = self._queue.popleft()
            if isinstance(item, BaseException):
                raise item
            return item
        return self._shaped(kwargs.get("skill", "chat"), kwargs.get("variables") or {})

    @staticmethod
    def _capped(text: str, kwargs: dict[str, Any]) -> tuple[str, str]:
        """Like a server, stop at the answer's token budget (4 characters a token, at a
        word end) and say how it ended."""
        cap = int(kwargs.get("max_tokens") or 0) * 4
        if not cap or len(text) <= cap:
            return text, "stop"
        cut = text[:cap]
        return (cut.rsplit(" ", 1)[0] if " " in cut else cut), "length"

    def _shaped(self, skill: str, v: dict[str, Any]) -> str:
        n = self._count
        subject = str(v.get("description") or v.get("topic") or v.get("source") or "")
        subject = re.sub(r"\s+", " ", subject).strip()[:120] or "your idea"
        tag = "#" + (re.sub(r"[^\w]", "", subject.split(" ")[0].title()) or "Muse")
        if skill == "brainstorm":
            count = int(v.get("count") or 5)
            return "\n".join(
                f"{i + 1}. Hook: {OPENERS[(n + i) % len(OPENERS)]} {subject} (take {n}.{i + 1})"
                f" | Angle: {ANGLES[(n + i) % len(ANGLES)]}"
                f" | Format: {FORMATS[(n + i) % len(FORMATS)]}"
                for i in range(count)
            )
        if skill == "caption":
            tones = str(v.get("tones") or "warm, witty, poetic").split(", ")
            return "\n".join(
                f"{i + 1}. {OPENERS[(n + i) % len(OPENERS)]} {subject}, told {tone} (v{n}). {tag}"
                for i, tone in enumerate(tones)
            )
        if skill == "next":
            return (
                f"Next: {OPENERS[n % len(OPENERS)]} part {n} of {v.get('series_name')}"
                f" (take {n})\nWhy: it follows {str(v.get('posted') or 'the premise')[:80]}."
            )
        if skill == "riff":
            idea = str(v.get("idea") or "the idea")
            return "\n".join(
                f"{i + 1}. {idea}, {OPENERS[(n + i) % len(OPENERS)].rstrip(':').lower()} take {n}"
                for i in range(3)
            )
        if skill == "summary":
            first = str(v.get("top") or "the first idea")
            return (
                f"Themes: {subject} from several angles\n"
                f"Decision: go with {first}\n"
                "Open questions: who makes it, and by when?"
            )
        if skill == "remix":
            how = str(v.get("instructions") or "").strip()
            return f"{OPENERS[n % len(OPENERS)]} {subject} ({how or 'remixed'})"
        return f"Noted: {str(v.get('message') or '')[:200]}. What should we make of it next?"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text, finish = self._capped(self._answer(messages, kwargs), kwargs)
        message = AIMessage(content=text, response_metadata={"finish_reason": finish})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text, finish = self._capped(self._answer(messages, kwargs), kwargs)
        for piece in re.findall(r"\S+\s*|\s+", text):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        end = AIMessageChunk(content="", response_metadata={"finish_reason": finish})
        yield ChatGenerationChunk(message=end)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """Natively async: LangChain would otherwise step the sync stream in a thread."""
        for chunk in self._stream(messages, stop, None, **kwargs):
            if run_manager and chunk.text:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
