"""One provider's chain for one prompt: its inputs (user text delimited for that
prompt style), the prompt form it needs (chat messages or a few-shot completion), the
model with this answer's parameters, and the text out — primed, and refused if a server
sent nothing."""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    trim_messages,
)
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder, PromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator, RunnableLambda

from bot.errors import LLMDeclined
from bot.llm import userdata
from bot.llm.language import language_of
from bot.llm.prompts import PromptSpec
from bot.llm.providers import Provider
from bot.llm.resilience import EmptyAnswer, Readable
from bot.messages import Attachment

# The continuation of a completion prompt: what the model wrote so far (after the primer).
CONTINUATION = "_continuation"
# Chat form, continuing an answer cut at the token cap: the cut answer, then the ask.
RESUME = "_resume"
NUMBERED_RE = re.compile(r"^[ \t]*\d{1,2}[.)][ \t]*\S", re.M)
# Continuation rounds write one list item each: stop at its end.
ITEM_STOP = "\n"
# A completion prompt shows each past turn on one line: multi-line replies (drafts with
# their ids and hints) would read to a base model as the shape of an answer to copy.
HISTORY_TURN_CHARS = 240


def completion_prompt(spec: PromptSpec, language: str = "") -> str:
    """Few-shot examples (and the form's example in the request's `language`, last) +
    template + primer (+ the text so far, when continuing), as one completion prompt.
    Trailing spaces are dropped (a prompt ending in a space makes SentencePiece models
    stumble); a trailing newline of the template is kept only when a primer follows
    it, so a template like "Muse:" continues on that line."""
    form = spec.completion
    template = form.template if form.primer else form.template.rstrip("\n")
    examples = form.examples + form.languages.get(language, "")
    text = (examples + template + form.primer).rstrip(" \t")
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
    if approx_tokens(history) <= budget_tokens:
        # Most conversations fit whole: trim_messages would return them as they are, after
        # ten times the work (it is a measurable part of building an answer's context).
        return list(history)
    return trim_messages(
        list(history),
        max_tokens=budget_tokens,
        token_counter=approx_tokens,
        strategy="last",
        allow_partial=False,
    )


def history_text(history: Sequence[BaseMessage]) -> str:
    """Earlier turns for a completion prompt, as "Creator: … / Muse: …" lines. A command's
    exchange (/caption … and the drafts it got) is left out: the base model took its
    layout for conversation and answered a later "thanks" with "/caption … #7 (poetic)
    (16/2200) …", draft numbers included."""
    lines = []
    command = False
    for m in history:
        text = userdata.flatten(str(m.content))
        if isinstance(m, HumanMessage):
            command = text.lstrip().startswith("/")
        if command:
            continue
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


@dataclass(frozen=True)
class Request:
    """One generation asked of the model layer, whichever provider runs it."""

    spec: PromptSpec
    variables: dict[str, Any]
    history: Sequence[BaseMessage] = ()
    images: Sequence[Attachment] = ()
    # The answer so far, to be continued (an answer cut at the token cap, or a list
    # that ended early); the model's output is only what comes after it.
    partial: str = ""
    extra_stop: Sequence[str] = field(default=())

    def with_partial(self, partial: str, extra_stop: Sequence[str] = ()) -> Request:
        return Request(self.spec, self.variables, self.history, self.images, partial, extra_stop)


def primer(spec: PromptSpec, provider: Provider) -> str:
    return spec.completion.primer.rstrip(" \t") if provider.style == "completion" else ""


def inputs(request: Request, provider: Provider) -> dict[str, Any]:
    """The prompt's values for this provider's style. User text is made safe to delimit:
    look-alikes of the data tags neutralised (chat), line breaks flattened (completion)."""
    spec, variables = request.spec, request.variables
    values = {name: variables.get(name, "") for name in spec.variables}
    for name, value in values.items():
        if isinstance(value, str) and name not in spec.trusted:
            clean = userdata.neutralise(value)
            if provider.style == "chat":
                values[name] = clean
            else:
                flat = userdata.flatten(clean)
                values[name] = flat + "\n" if flat and name in spec.completion.lines else flat
    fitted = fit_history(request.history, provider.settings.context_tokens)
    if provider.style == "chat":
        values["history"] = delimited(fitted)
        values[RESUME] = (
            [AIMessage(userdata.neutralise(request.partial)), HumanMessage(spec.chat.resume)]
            if request.partial
            else []
        )
    else:
        values["history"] = history_text(fitted)
        first = primer(spec, provider)
        body = request.partial.removeprefix(first) if first else request.partial
        if body and not first and not body[0].isspace():
            body = " " + body  # "Muse:" + " the answer so far"
        values[CONTINUATION] = body
    return values


class Prepare(Runnable[Any, dict[str, Any]]):
    """The chain's first step: this provider's prompt values for the request. A Runnable
    of its own rather than a RunnableLambda, which inspects its function's signature on
    every call and runs a plain function on a worker thread (measured: ~5% of a busy
    bot's CPU, and a thread hop per answer)."""

    def __init__(self, request: Request, provider: Provider) -> None:
        self.request, self.provider = request, provider

    def invoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        return inputs(self.request, self.provider)

    async def ainvoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        return inputs(self.request, self.provider)


def build(request: Request, provider: Provider) -> Runnable[dict[str, Any], str]:
    """prepare inputs | prompt | model with this answer's parameters | text, tagged with
    the provider's name (resilience.Watch reads it)."""
    spec, variables = request.spec, request.variables
    temperature = variables.get("_temperature")
    if temperature is None:
        temperature = spec.temperature
    if temperature is None:
        temperature = provider.settings.temperature
    budget = variables.get("_max_tokens") or spec.max_tokens or provider.settings.max_tokens
    params: dict[str, Any] = {"temperature": temperature, "max_tokens": budget}
    if provider.name == "fake":
        clean = {k: v for k, v in variables.items() if not k.startswith("_")}
        params = {"skill": spec.name, "variables": clean, "max_tokens": budget}
    elif provider.name == "openai":
        params["max_completion_tokens"] = params.pop("max_tokens")
    prompt: Runnable[dict[str, Any], Any]
    if provider.style == "chat":
        if request.images and provider.settings.vision:
            images = request.images
            prompt = RunnableLambda(lambda v: vision_messages(spec, v, images))
        else:
            prompt = chat_prompt(spec.chat.system, spec.chat.user)
    else:
        stop = [*spec.completion.stop, *request.extra_stop]
        want = wanted_items(spec, variables)
        if want:
            stop.append(f"\n{want + 1}.")  # the list is complete: don't write more
        if stop and provider.name != "fake":
            params["stop"] = stop
        form = spec.completion
        language = language_of(str(variables.get(form.language_of, ""))) if form.languages else ""
        prompt = text_prompt(completion_prompt(spec, language))
    prepare = Prepare(request, provider)
    finish = finished(primer(spec, provider) if not request.partial else "", provider.remote)
    model: Runnable[Any, Any] = provider.model.bind(**params)
    if provider.remote:
        model = Readable(bound=provider.model, kwargs=params, config={})
    chain = prepare | prompt | model | finish
    return chain.with_config(tags=[f"provider:{provider.name}"], run_name=provider.name)


# Templates are built once per prompt text: LangChain serialises a template for its
# callbacks the first time it runs (measured ≈0.6 ms), and caches that on the object.
@functools.lru_cache(maxsize=256)
def chat_prompt(system: str, user: str) -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages(
        [
            ("system", system),
            MessagesPlaceholder("history"),
            ("human", user),
            MessagesPlaceholder(RESUME),
        ]
    )


@functools.lru_cache(maxsize=256)
def text_prompt(template: str) -> PromptTemplate:
    return PromptTemplate.from_template(template)


def text_of(chunk: Any) -> str:
    """The text of a model's output: a string (text-completion models) or a message
    (chat models), whose content may be a list of parts."""
    if isinstance(chunk, str):
        return chunk
    content = getattr(chunk, "content", "")
    if isinstance(content, str):
        return content
    return "".join(
        part if isinstance(part, str) else str(part.get("text", ""))
        for part in content
        if isinstance(part, str) or part.get("type") == "text"
    )


THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


def after_thinking(text: str) -> str | None:
    """`text` without a reasoning model's thinking at its start, None while the thinking
    (or what may be its opening tag) is still coming. Servers run without a reasoning
    parser (Ollama, llama.cpp, vLLM by default for some models) put it in the content,
    and the person saw Muse plan aloud ("<think>The user wants…") before each answer."""
    lead = text.lstrip()
    if not lead.startswith(THINK_OPEN):
        return None if lead and THINK_OPEN.startswith(lead) else text
    end = lead.find(THINK_CLOSE)
    return None if end < 0 else lead[end + len(THINK_CLOSE) :].lstrip()


def declined(output: Any) -> str:
    """Why a chat model wrote nothing, if its server said it declined: a refusal (an
    OpenAI-style `refusal` field) or a stop by the server's content filter."""
    if getattr(output, "additional_kwargs", {}).get("refusal"):
        return "a refusal"
    finish = getattr(output, "response_metadata", {}).get("finish_reason")
    return "the content filter" if finish == "content_filter" else ""


@functools.lru_cache(maxsize=64)
def finished(first: str, remote: bool) -> Runnable[Any, str]:
    """The chain's parser: the model's text, after `first` (the primer it was prompted
    with); a server that sent no text at all, or only blanks (a model that stopped at
    once after a line break), raises EmptyAnswer (retried, then the next provider), so a
    blank is never taken for an answer. One generator stage instead of StrOutputParser +
    a second stage: streaming through LangChain costs per chunk and per stage (measured:
    7.2 → 2.2 ms for a 31-chunk answer, bench/README.md)."""

    def check(text: Text) -> None:
        if remote and not text.seen:
            if text.declined:  # no use asking again: "unreachable, try in a minute" misled
                raise LLMDeclined(f"the model declined to answer ({text.declined})")
            raise EmptyAnswer("the server answered with no text")

    class Text:
        """Blanks before the first word are held back until a word comes, and so is a
        reasoning model's `<think>…</think>` opening (dropped; see `after_thinking`)."""

        def __init__(self) -> None:
            self.seen = False
            self.held = ""
            self.declined = ""  # why the model wrote nothing, if it said so

        def take(self, output: Any) -> tuple[str, ...]:
            chunk = text_of(output)
            if self.seen:
                return (chunk,)
            self.declined = self.declined or declined(output)
            held = after_thinking(self.held + chunk) if remote else self.held + chunk
            if held is None or not held.strip():
                self.held = self.held + chunk if held is None else held
                return ()
            self.seen = True
            return (first, held)

    def sync(outputs: Iterator[Any]) -> Iterator[str]:
        text = Text()
        for output in outputs:
            yield from (piece for piece in text.take(output) if piece)
        check(text)
        if not text.seen:
            yield first + text.held

    async def asyn(outputs: AsyncIterator[Any]) -> AsyncIterator[str]:
        text = Text()
        async for output in outputs:
            for piece in text.take(output):
                if piece:
                    yield piece
        check(text)
        if not text.seen:
            yield first + text.held

    return RunnableGenerator(sync, asyn, name="muse-text")


def vision_messages(
    spec: PromptSpec, v: dict[str, Any], images: Sequence[Attachment]
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
        *v[RESUME],
    ]
