"""The one command registry: /help, Telegram's command menu and Discord's slash
commands are all built from it, so a command is declared once."""

from __future__ import annotations

import difflib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.context import Context
    from bot.messages import Outgoing

Handler = Callable[["Context"], AsyncIterator["Outgoing"]]


@dataclass(frozen=True)
class Param:
    """One argument of a command; Discord turns it into a slash-command option."""

    name: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    # "rest" params swallow the free text of a text command (only one per command).
    rest: bool = False
    # Its choices are the registry's commands (/help's), filled in where they are shown.
    names_a_command: bool = False


@dataclass(frozen=True)
class Sub:
    """A subcommand (`/session start …`): Discord shows it as a real subcommand; in text
    it is the first word of the arguments, and the command's handler dispatches on it."""

    name: str
    summary: str
    usage: str
    params: tuple[Param, ...] = ()
    private: bool = False


@dataclass(frozen=True)
class CommandSpec:
    name: str
    summary: str  # one line, <= 100 chars (Discord's limit for descriptions)
    usage: str
    handler: Handler = field(compare=False, repr=False)
    params: tuple[Param, ...] = ()
    private: bool = False  # answers hold personal data: ephemeral on Discord
    hidden: bool = False  # not in menus (e.g. /start)
    subs: tuple[Sub, ...] = ()
    example: str = ""  # one typical use, shown by /help <command>


class Registry:
    """An ordered set of commands. Built per Core, never a module-level global."""

    def __init__(self) -> None:
        self._commands: dict[str, CommandSpec] = {}

    def add(self, spec: CommandSpec) -> None:
        if spec.name in self._commands:
            raise ValueError(f"command /{spec.name} registered twice")
        for summary in (spec.summary, *(sub.summary for sub in spec.subs)):
            if len(summary) > 100:
                raise ValueError(f"a summary of /{spec.name} is over 100 characters")
        # Discord's options come from the params: a command whose usage shows arguments
        # but declares none had one option named "args", described by its usage.
        for path, usage, params in (
            (spec.name, spec.usage, spec.params),
            *((f"{spec.name} {s.name}", s.usage, s.params) for s in spec.subs),
        ):
            if not spec.subs or path != spec.name:
                if not params and usage.strip() != f"/{path}":
                    raise ValueError(f"/{path} shows arguments but declares no params")
        self._commands[spec.name] = spec

    def get(self, name: str) -> CommandSpec | None:
        return self._commands.get(name.lower())

    def unknown(self, name: str) -> str:
        """The answer to /name, which is no command: with the one it likely meant."""
        guess = closest(name, (c.name for c in self.visible()))
        hint = f"did you mean /{guess}? Or send" if guess else "send"
        return f"I don't know /{name} — {hint} /help to see what I can do."

    def visible(self) -> list[CommandSpec]:
        return [c for c in self._commands.values() if not c.hidden]

    def __iter__(self) -> Any:
        return iter(self._commands.values())

    def help_text(self) -> str:
        lines = ["Here is what I can do — I draft, you decide and post:"]
        for c in self.visible():
            lines.append(f"{c.usage}\n    {c.summary}")
            lines += [f"{sub.usage}\n    {sub.summary}" for sub in c.subs]
        lines.append("Or just talk to me: I remember your style and recent drafts.")
        lines.append("/help <command> shows one command in full, e.g. /help caption")
        return "\n".join(lines)

    def help_for(self, asked: str) -> str:
        """/help caption (or /help /caption): that command's usage, what it does, its
        params and subcommands and an example; a name that is no command gets the
        one it likely meant. The whole list answered every /help <name> before."""
        name = asked.split()[0].lstrip("/").split("@")[0].lower() if asked.split() else ""
        spec = self.get(name)
        if spec is None:
            guess = closest(name, (c.name for c in self.visible()))
            hint = f"did you mean /{guess}?" if guess else "send /help to see them all."
            return f"No command /{name} — {hint}"
        lines = [spec.usage, spec.summary]
        for param in spec.params:
            lines.append(
                f"• {param.name}{'' if param.required else ' (optional)'}: "
                f"{param.description}" + (f" — {', '.join(param.choices)}" if param.choices else "")
            )
        lines += [f"• {sub.usage} — {sub.summary}" for sub in spec.subs]
        if spec.example:
            lines.append(f"Example: {spec.example}")
        return "\n".join(lines)


def did_you_mean(word: str, names: Iterable[str], command: str) -> str:
    """ "Did you mean /series new? " for a mistyped subcommand of `command`, else ""."""
    guess = closest(word, names)
    return f"Did you mean {command} {guess}? " if guess else ""


def closest(word: str, names: Iterable[str]) -> str | None:
    """The one of `names` a typo of it most likely meant, if any is close: "I don't know
    /captoin" alone left the person to find /caption in the whole /help list."""
    word = word.lower()
    # Typos keep the first letter; a different word that looks alike doesn't mean the
    # command ("/exit" is not /next, "/unpick" not /pick).
    alike = [n for n in names if word and n.startswith(word[0])]
    found = difflib.get_close_matches(word, alike, n=1, cutoff=0.7)
    return found[0] if found else None


def command(
    name: str,
    summary: str,
    usage: str = "",
    params: tuple[Param, ...] = (),
    *,
    private: bool = False,
    hidden: bool = False,
    subs: tuple[Sub, ...] = (),
    example: str = "",
) -> Callable[[Handler], Handler]:
    """Declare a command handler. Handlers are collected by `collect(module)`."""

    def wrap(fn: Handler) -> Handler:
        fn.__muse_command__ = CommandSpec(  # type: ignore[attr-defined]
            name=name,
            summary=summary,
            usage=usage or f"/{name}",
            handler=fn,
            params=params,
            private=private,
            hidden=hidden,
            subs=subs,
            example=example,
        )
        return fn

    return wrap


def collect(*modules: Any) -> Registry:
    """Build a registry from the @command functions of the given modules, in order."""
    registry = Registry()
    for module in modules:
        for value in vars(module).values():
            spec = getattr(value, "__muse_command__", None)
            if isinstance(spec, CommandSpec):
                registry.add(spec)
    return registry
