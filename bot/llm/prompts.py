"""Prompts are data: prompts/*.yaml, loaded and validated once at start-up.

Each skill has a chat form (system + user, for instruction-tuned servers) and a
few-shot completion form (for the embedded base model, which has no chat template).
User text is data: in the chat form it must sit between the <creator_input> tags (checked
here); in the completion form each value stays on its labelled line (the engine flattens
it). See bot/llm/userdata.py.
"""

from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.llm.language import language_of
from bot.llm.userdata import CLOSE, OPEN, undelimited

# Filled in by the engine itself, so templates may use them without declaring.
BUILTIN_VARIABLES = {"history"}


class PromptError(Exception):
    """A broken prompt file: one line naming the file and the field."""


class ChatForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: str = Field(min_length=1)
    user: str = Field(min_length=1)
    # Sent after an answer that stopped at the token cap, to have it go on (/continue).
    resume: str = "Continue exactly where your last answer stopped. Don't repeat anything."


SUBJECT_RE = re.compile(r"^(?:Topic|Post|Series):[ \t]*(.+)$", re.M)


class CompletionForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Few-shot examples, written exactly as the model should continue them.
    examples: str = ""
    template: str = Field(min_length=1)
    # Appended to the prompt and put back in front of the answer: the model continues
    # from it (e.g. "1." so the answer is a numbered list).
    primer: str = ""
    stop: list[str] = []
    # The answer is a numbered list of at least this many items: "3", or a variable
    # such as "{count}". When the model stops early, the engine primes the next number
    # ("3.") and lets it continue, one item at a time.
    min_items: str = ""
    # One more example per language ("pt": "Post: …"), put after the others when the
    # variable named by `language_of` is written in it (bot/llm/language.py): the base
    # model writes in the language of its examples, not of the request.
    language_of: str = ""
    languages: dict[str, str] = {}

    def subjects(self) -> list[str]:
        """What each few-shot example is about (its Topic/Post/Series lines): a base
        model sometimes copies an example instead of following the request, and a
        candidate closer to one of these than to the request is such a copy."""
        return [m.group(1).strip() for m in SUBJECT_RE.finditer(self.examples)]

    def language_subjects(self, request: str) -> list[str]:
        """The subject of the example in `request`'s language, if its prompt shows one
        (only that one: the other languages' would take on-topic drafts for copies of
        examples the model never saw)."""
        own = self.languages.get(language_of(request), "") if self.languages else ""
        return [m.group(1).strip() for m in SUBJECT_RE.finditer(own)]

    # Variables that are whole lines of the template or nothing ("{series}Post: …": the
    # value ends with its own line break). Flattened like every value, with that final
    # line break kept: what follows it is the template's, never the person's.
    lines: list[str] = []


class PromptSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""
    description: str = Field(min_length=1)
    variables: list[str]
    # Variables Muse fills itself (numbers, platform names): the only ones a chat form
    # may use outside the <creator_input> tags. Everything else is treated as user text.
    trusted: list[str] = []
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    chat: ChatForm
    completion: CompletionForm


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _check(spec: PromptSpec, label: str) -> None:
    known = set(spec.variables) | BUILTIN_VARIABLES
    for field, text in (
        ("chat.system", spec.chat.system),
        ("chat.user", spec.chat.user),
        ("completion.examples", spec.completion.examples),
        ("completion.template", spec.completion.template),
        ("completion.min_items", spec.completion.min_items),
        *((f"completion.languages.{k}", v) for k, v in spec.completion.languages.items()),
    ):
        try:
            used = _placeholders(text)
        except ValueError as exc:
            raise PromptError(f"{label}: field {field}: {exc}") from None
        unknown = sorted(used - known)
        if unknown:
            raise PromptError(f"{label}: field {field}: undeclared variable {{{unknown[0]}}}")
    language_of = [spec.completion.language_of] if spec.completion.language_of else []
    for field, names in (
        ("trusted", spec.trusted),
        ("completion.lines", spec.completion.lines),
        ("completion.language_of", language_of),
    ):
        strangers = sorted(set(names) - set(spec.variables))
        if strangers:
            raise PromptError(f"{label}: field {field}: undeclared variable {{{strangers[0]}}}")
    for field, text in (("chat.system", spec.chat.system), ("chat.user", spec.chat.user)):
        problems = undelimited(text, spec.trusted)
        if problems:
            raise PromptError(
                f"{label}: field {field}: user text must sit between {OPEN} and {CLOSE} "
                f"(or be listed in trusted): {problems[0]}"
            )


def load_prompt(path: Path, label: str = "") -> PromptSpec:
    label = label or f"prompts/{path.name}"
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise PromptError(f"{label}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise PromptError(f"{label}: must be a mapping of fields")
    try:
        spec = PromptSpec(**data, name=path.stem) if "name" not in data else PromptSpec(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise PromptError(f"{label}: field {field}: {err['msg']}") from None
    _check(spec, label)
    return spec


def default_prompt_dir() -> Path:
    return Path(str(resources.files("prompts")))


def load_prompts(
    directory: Path | None = None, required: tuple[str, ...] = ()
) -> dict[str, PromptSpec]:
    """Your own folder (MUSE_PROMPTS_DIR) is named by its own path in every error: as
    "prompts/…" it read as a fault of the packaged files, not of the folder you set."""
    own = directory is not None
    directory = directory or default_prompt_dir()
    if own and not directory.is_dir():
        raise PromptError(f"{directory}: no such folder (MUSE_PROMPTS_DIR)")

    def label(name: str) -> str:
        return str(directory / name) if own else f"prompts/{name}"

    specs = {p.stem: load_prompt(p, label(p.name)) for p in sorted(directory.glob("*.yaml"))}
    for name in required:
        if name not in specs:
            raise PromptError(f"{label(name + '.yaml')}: file is missing")
    return specs
