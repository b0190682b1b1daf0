"""Discord application commands, built from the core's one registry with discord.py's
own `app_commands`: a CommandTree of slash commands (a command's `Sub`s become a Group's
subcommands, `Param.choices` become choices) plus the "Remix with Muse" message command.
Callbacks only hand the parsed values to the adapter, which answers through the core."""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.commands import CommandSpec, Param, Registry, Sub

log = logging.getLogger(__name__)

CONTEXT_MENU_REMIX = "Remix with Muse"
# Discord's limits for application commands.
MAX_CHOICES = 25
MAX_DESCRIPTION = 100
MAX_NAME = 32
# Guild-install commands, usable in servers and in DMs with the bot.
CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False)
INSTALLS = app_commands.AppInstallationType(guild=True, user=False)


class CommandHandlers(Protocol):
    """Where the tree's callbacks go (the adapter)."""

    async def on_slash(
        self,
        interaction: discord.Interaction[Any],
        spec: CommandSpec,
        sub: Sub | None,
        values: dict[str, str],
    ) -> None: ...

    async def on_remix_menu(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None: ...

    async def on_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None: ...


class MuseTree(app_commands.CommandTree[Any]):
    def __init__(self, client: discord.Client, handlers: CommandHandlers) -> None:
        super().__init__(client, allowed_contexts=CONTEXTS, allowed_installs=INSTALLS)
        self.handlers = handlers

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        # A command Discord knows but this tree doesn't (or with other options) means the
        # synced commands are stale; anything else is a bug. Either way: one line, no silence.
        await self.handlers.on_command_error(interaction, error)


def _description(text: str) -> str:
    text = " ".join(text.split()) or "—"
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _option_name(name: str) -> str:
    return name.lower()[:MAX_NAME]


def _options(registry: Registry, params: tuple[Param, ...]) -> tuple[Param, ...]:
    """The slash options of a command or subcommand: its params, with /help's command
    name offered as choices from the registry (a picker, so no name can be mistyped;
    autocomplete would cost a round trip a keystroke for a list this short). Past
    Discord's 25 choices it stays free text, which /help answers with "did you mean"."""
    names = tuple(c.name for c in registry.visible())
    return tuple(
        replace(p, choices=names) if p.names_a_command and len(names) <= MAX_CHOICES else p
        for p in params
    )


def _callback(
    handlers: CommandHandlers, spec: CommandSpec, sub: Sub | None, params: tuple[Param, ...]
) -> Any:
    """A coroutine whose signature declares `params` as string options, built at run time
    because the registry, not this file, says which options a command has. discord.py
    reads the signature (and the rename/describe/choices attributes) to make the options."""

    async def callback(interaction: discord.Interaction[Any], **kwargs: Any) -> None:
        values = {
            p.name: str(value)
            for i, p in enumerate(params)
            if (value := kwargs.get(f"p{i}")) is not None
        }
        await handlers.on_slash(interaction, spec, sub, values)

    first = inspect.Parameter(
        "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
    )
    signature = [first]
    for i, param in enumerate(params):
        signature.append(
            inspect.Parameter(
                f"p{i}",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str,
                default=inspect.Parameter.empty if param.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    names = {f"p{i}": _option_name(p.name) for i, p in enumerate(params)}
    described = {f"p{i}": _description(p.description) for i, p in enumerate(params)}
    choices = {
        f"p{i}": [app_commands.Choice(name=c, value=c) for c in p.choices[:MAX_CHOICES]]
        for i, p in enumerate(params)
        if p.choices
    }
    decorated: Any = app_commands.rename(**names)(callback) if names else callback
    if described:
        decorated = app_commands.describe(**described)(decorated)
    if choices:
        decorated = app_commands.choices(**choices)(decorated)
    return decorated


def _command(
    handlers: CommandHandlers,
    registry: Registry,
    spec: CommandSpec,
    sub: Sub | None,
    parent: app_commands.Group | None,
) -> app_commands.Command[Any, ..., None]:
    if sub is None:
        name, summary, params = spec.name, spec.summary, spec.params
    else:
        name, summary, params = sub.name, sub.summary, sub.params
    options = _options(registry, params)
    return app_commands.Command(
        name=name,
        description=_description(summary),
        callback=_callback(handlers, spec, sub, options),
        parent=parent,
    )


def build_tree(client: discord.Client, registry: Registry, handlers: CommandHandlers) -> MuseTree:
    """The client's command tree: every visible command of the registry, generically
    (subcommands from `spec.subs`), and the message command."""
    tree = MuseTree(client, handlers)
    for spec in registry.visible():
        if spec.subs:
            group = app_commands.Group(name=spec.name, description=_description(spec.summary))
            for sub in spec.subs:
                group.add_command(_command(handlers, registry, spec, sub, group))
            tree.add_command(group)
        else:
            tree.add_command(_command(handlers, registry, spec, None, None))

    async def remix_menu(interaction: discord.Interaction[Any], message: discord.Message) -> None:
        await handlers.on_remix_menu(interaction, message)

    tree.add_command(app_commands.ContextMenu(name=CONTEXT_MENU_REMIX, callback=remix_menu))
    return tree


def command_payload(
    tree: app_commands.CommandTree[Any], *, guild: bool = False
) -> list[dict[str, Any]]:
    """The exact body of PUT /applications/{id}/commands (or …/guilds/{id}/commands):
    what discord.py itself would send for the tree."""
    payload = [command.to_dict(tree) for command in tree.get_commands()]
    if guild:
        # Install types and contexts only mean something for global commands.
        payload = [
            {k: v for k, v in c.items() if k not in ("contexts", "integration_types")}
            for c in payload
        ]
    return payload


def payload_hash(payload: Iterable[dict[str, Any]]) -> str:
    canonical = json.dumps(list(payload), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def slash_text(
    spec: CommandSpec, sub: Sub | None, values: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """(text, options) for a slash command. The text mirrors what a user would have typed
    (`/caption <description>`, `/session start <topic>`) so history reads naturally and
    the core's text dispatch (subcommand = first word) works; options keep every value."""
    params = sub.params if sub is not None else spec.params
    path = f"{spec.name} {sub.name}" if sub is not None else spec.name
    options = dict(values)
    rest = next((p.name for p in params if p.rest), None)
    tail = options.get(rest, "") if rest else ""
    text = " ".join(part for part in (f"/{path}", tail) if part)
    return text, options


def modal_values(data: dict[str, Any]) -> dict[str, str]:
    """Non-blank text inputs of a submitted modal, by custom_id (action rows or labels)."""
    values: dict[str, str] = {}
    for row in data.get("components") or []:
        inner = row.get("components") or ([row["component"]] if "component" in row else [])
        for component in inner:
            value = str(component.get("value") or "").strip()
            if component.get("custom_id") and value:
                values[str(component["custom_id"])] = value
    return values
