"""Discord application commands, built from the core's one registry, and the way back:
an interaction's raw data turned into the text and options the core understands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.commands import CommandSpec

CONTEXT_MENU_REMIX = "Remix with Muse"
# Discord's limits for application commands.
MAX_CHOICES = 25
MAX_DESCRIPTION = 100
STRING = 3
CHAT_INPUT, MESSAGE_MENU = 1, 3
# Where commands may be used: guilds and DMs with the bot (guild install).
CONTEXTS = [0, 1]
ARGS_OPTION = "args"


def _description(text: str) -> str:
    text = " ".join(text.split()) or "—"
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _takes_free_args(spec: CommandSpec) -> bool:
    """A command without declared params whose usage shows arguments (/pick #id)."""
    return not spec.params and spec.usage.strip() != f"/{spec.name}"


def command_options(spec: CommandSpec) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = []
    for param in spec.params:
        option: dict[str, Any] = {
            "type": STRING,
            "name": param.name.lower()[:32],
            "description": _description(param.description),
            "required": param.required,
        }
        if param.choices:
            option["choices"] = [{"name": c, "value": c} for c in param.choices[:MAX_CHOICES]]
        options.append(option)
    if _takes_free_args(spec):
        options.append(
            {
                "type": STRING,
                "name": ARGS_OPTION,
                "description": _description(spec.usage),
                "required": False,
            }
        )
    # Discord rejects a required option after an optional one.
    return sorted(options, key=lambda o: not o["required"])


def build_payload(specs: Iterable[CommandSpec]) -> list[dict[str, Any]]:
    """The exact body of PUT /applications/{id}/commands: every visible command plus the
    message context-menu command."""
    payload: list[dict[str, Any]] = [
        {
            "type": CHAT_INPUT,
            "name": spec.name,
            "description": _description(spec.summary),
            "options": command_options(spec),
            "contexts": CONTEXTS,
        }
        for spec in specs
    ]
    payload.append({"type": MESSAGE_MENU, "name": CONTEXT_MENU_REMIX, "contexts": CONTEXTS})
    return payload


def _flatten(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Options with subcommand levels removed (we declare none, but be lenient)."""
    flat: list[dict[str, Any]] = []
    for option in options:
        if "options" in option:
            flat.extend(_flatten(option["options"]))
        elif "value" in option:
            flat.append(option)
    return flat


def slash_input(spec: CommandSpec, data: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(text, options) for a chat-input command. The text mirrors what a user would have
    typed (`/caption <description>`) so the conversation history reads naturally."""
    values = {o["name"]: str(o["value"]) for o in _flatten(data.get("options") or [])}
    rest = next((p.name for p in spec.params if p.rest), None)
    free = values.pop(ARGS_OPTION, "") if _takes_free_args(spec) else ""
    tail = free or (values.get(rest, "") if rest else "")
    text = f"/{spec.name} {tail}".strip()
    return text, tuple(values.items())


def context_menu_target(data: dict[str, Any]) -> str:
    """The content of the message a message command was used on."""
    target = str(data.get("target_id", ""))
    messages = (data.get("resolved") or {}).get("messages") or {}
    message = messages.get(target) or {}
    return str(message.get("content") or "")


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
