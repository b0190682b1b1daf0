"""The providers behind the engine: the configured one, then its fallbacks, each with
the LangChain model and the prompt style it needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseLanguageModel

from bot.config import LLMSettings


@dataclass(frozen=True)
class Provider:
    name: str  # embedded | openai | fake
    settings: LLMSettings  # the shared LLM settings, with this provider's name
    model: BaseLanguageModel[Any]
    style: str  # chat (instruction-tuned) | completion (few-shot, base models)

    @property
    def remote(self) -> bool:
        """A server: worth retrying, and an empty answer from it is a failure."""
        return self.name == "openai"


def make_model(settings: LLMSettings) -> BaseLanguageModel[Any]:
    """The LangChain model behind the configured provider."""
    if settings.provider == "fake":
        from bot.llm.fake import ScriptedChatModel

        return ScriptedChatModel()
    if settings.provider == "openai":
        from langchain_openai import ChatOpenAI

        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        return ChatOpenAI(
            http_async_client=_http_client(),
            model=settings.model,
            base_url=settings.base_url,
            api_key=key,  # type: ignore[arg-type]
            timeout=settings.timeout_s,
            max_retries=0,  # retries come from LangChain's with_retry (bot/llm/resilience.py)
            temperature=settings.temperature,
            max_completion_tokens=settings.max_tokens,
        )
    from bot.llm.build_check import check_llama_build
    from bot.llm.embedded import EmbeddedLLM

    check_llama_build()

    return EmbeddedLLM(
        # "~/models/x.gguf" works as it does everywhere else (load_settings checked it).
        model_path=str(Path(settings.model_path).expanduser()) if settings.model_path else None,
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout_s=settings.timeout_s,
    )


def _http_client() -> Any:
    """The model server's HTTP client (bot/llm/http_pool.py); None (the SDK's own) for
    an OpenAI SDK older than 3, which talks through httpx rather than httpx2."""
    try:
        from bot.llm.http_pool import model_http_client
    except ImportError:  # pragma: no cover
        return None
    return model_http_client()


def style_for(settings: LLMSettings) -> str:
    if settings.prompt_style != "auto":
        return settings.prompt_style
    return "completion" if settings.provider == "embedded" else "chat"


def build_providers(
    settings: LLMSettings, model: BaseLanguageModel[Any] | None = None
) -> list[Provider]:
    """The configured provider (with `model` if given, e.g. a test's), then each fallback
    once (fallbacks use the automatic prompt style of their kind)."""
    primary = Provider(
        settings.provider,
        settings,
        model if model is not None else make_model(settings),
        style_for(settings),
    )
    chain = [primary]
    for name in settings.fallback:
        if name in (p.name for p in chain):
            continue
        own = settings.model_copy(update={"provider": name, "prompt_style": "auto"})
        chain.append(Provider(name, own, make_model(own), style_for(own)))
    return chain
