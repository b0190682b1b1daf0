"""Turning a neutral Reply into Discord pieces: 2000-char chunks, persistent buttons,
files, and the /style modal."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import discord

from bot.markdown_tables import tables_as_lines
from bot.messages import Action, Attachment, Button, Reply
from bot.text_split import split_message

MAX_CHARS = 2000
MAX_ROWS = 5
MAX_PER_ROW = 5
MAX_LABEL = 80
STYLE_MODAL_ID = "muse:style"
# "muse:idea:<session id>:<message id>": the "💡 Add idea" form of a brainstorm session,
# opened from a button on that message.
IDEA_MODAL_PREFIX = "muse:idea:"
IDEA_FIELD = "idea"
IDEA_MAX = 1000
STYLE_FIELDS = (
    ("voice", "Voice", "warm, witty"),
    ("audience", "Audience", "travel lovers 25–40"),
    ("platforms", "Platforms", "instagram, x"),
    ("avoid", "Words to avoid", "wanderlust, hustle"),
)


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Discord renders Markdown: a ``` code block cut in two stays code in both parts. It
    has no tables: a model's table shows a row a line, as on Telegram, done before the
    split so every part of a long table reads the same (one that is only marks, as typed)."""
    tabled = tables_as_lines(text)
    return split_message(tabled if tabled.strip() else text, limit, fences=True)


def preview(text: str, limit: int = MAX_CHARS) -> str:
    """Streamed text so far, fitting one message: the newest part if it is long. A table
    shows as lines already, as in the finished answer."""
    text = tables_as_lines(text).strip() + " ✍️"
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


# The handler a button press goes to; set by the adapter's client (see MuseClient).
ButtonHandler = Callable[[discord.Interaction[Any], Action | None], Awaitable[None]]


class MuseButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    # Every "m:" id is ours: what Action.decode can't read is answered, not ignored.
    template=r"m:.*",
):
    """A button whose custom_id is the encoded Action: discord.py matches presses by the
    template, so buttons keep working after a restart without any stored View. A press
    whose custom_id looks like ours but doesn't decode (from an older Muse, or forged)
    still gets an answer (`action` None), never Discord's "interaction failed"."""

    def __init__(
        self,
        action: Action | None,
        label: str = "Muse",
        row: int | None = None,
        *,
        custom_id: str = "",
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:MAX_LABEL],
                custom_id=action.encode() if action is not None else custom_id,
                row=row,
                style=_style(action),
            )
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> MuseButton:
        try:
            action = Action.decode(match.group(0))
        except ValueError:
            action = None
        label = getattr(item, "label", None) or "Muse"
        return cls(action, label, custom_id=match.group(0))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler: ButtonHandler | None = getattr(interaction.client, "on_muse_button", None)
        if handler is not None:
            await handler(interaction, self.action)


def _style(action: Action | None) -> discord.ButtonStyle:
    if action is None:
        return discord.ButtonStyle.secondary
    if action.verb == "pick":
        return discord.ButtonStyle.success
    if action.verb == "forget":
        return discord.ButtonStyle.danger
    return discord.ButtonStyle.secondary


def build_view(rows: tuple[tuple[Button, ...], ...]) -> discord.ui.View | None:
    """Buttons as a timeout-free View of dynamic items; extra rows/buttons are trimmed
    to Discord's 5x5 rather than failing the whole message. An empty row takes no row
    of Discord's five (found by Hypothesis: five empty rows hid a sixth's buttons)."""
    rows = tuple(row for row in rows if row)
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for r, row in enumerate(rows[:MAX_ROWS]):
        for button in row[:MAX_PER_ROW]:
            view.add_item(MuseButton(button.action, label_text(button.label), row=r))
    return view if view.children else None


def label_text(label: str) -> str:
    """A label Discord accepts: one line, 1 to 80 characters (blank would fail the whole
    message)."""
    return " ".join(label.split())[:MAX_LABEL] or "…"


# The biggest file Discord takes from a bot anywhere (a boosted server takes more, a DM,
# where a private answer may go, never does).
UPLOAD_LIMIT = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES


def fit_files(reply: Reply, limit: int = UPLOAD_LIMIT) -> Reply:
    """The reply with each file Discord would refuse as too big (one fails its whole
    message, 413) zipped, or, if even zipped it is too big, left out and said so. A
    heavy creator's /export (JSON, which zips to a fraction) was only "no file" before:
    one zip opens anywhere with a double click, where split parts would need joining.
    CPU work on big data: run it off the event loop."""
    if all(len(a.data or b"") <= limit for a in reply.attachments):
        return reply
    most = f"the {limit / 2**20:g} MB Discord takes from a bot"
    notes: list[str] = []
    files: list[Attachment] = []
    for a in reply.attachments:
        if len(a.data or b"") <= limit:
            files.append(a)
            continue
        name, size = a.name or "The file", f"{len(a.data or b'') / 2**20:.1f} MB"
        zipped = _zipped(a)
        if len(zipped.data or b"") <= limit:
            files.append(zipped)
            notes.append(f"({name} is {size}, more than {most}, so here it is zipped.)")
        else:
            notes.append(
                f"({name} is {size}, more than {most} even zipped, so I couldn't attach it.)"
            )
    return replace(reply, text="\n\n".join([reply.text, *notes]), attachments=tuple(files))


def _zipped(file: Attachment) -> Attachment:
    name = file.name or "muse.bin"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, file.data or b"")
    return Attachment("file", buffer.getvalue(), "application/zip", f"{name.rsplit('.', 1)[0]}.zip")


def build_files(attachments: tuple[Attachment, ...]) -> list[discord.File]:
    return [
        discord.File(io.BytesIO(a.data), filename=a.name or "muse.bin")
        for a in attachments
        if a.data is not None
    ]


class StyleModal(discord.ui.Modal):
    """The /style form: blank fields keep their current value, "-" clears one (as it
    does in the slash command's options and in /style text). Submissions are handled
    from the raw interaction (see MuseClient.on_interaction), not by this object, so a
    form opened before a restart still saves."""

    def __init__(self) -> None:
        # At most 45 characters (Discord's limit for a form's title).
        super().__init__(
            title="Your style (blank keeps, - clears)", custom_id=STYLE_MODAL_ID, timeout=60
        )
        for name, label, example in STYLE_FIELDS:
            self.add_item(
                discord.ui.TextInput(
                    label=label,
                    custom_id=name,
                    placeholder=f"e.g. {example}",
                    required=False,
                    max_length=200,
                )
            )


class IdeaModal(discord.ui.Modal):
    """The "💡 Add idea" form. Like the style form, its submission is handled from the raw
    interaction, so it survives a restart: the custom_id carries the session and the
    message whose button opened it (the idea is then a reply to that session message)."""

    def __init__(self, session_id: int, message_id: int | None) -> None:
        custom_id = f"{IDEA_MODAL_PREFIX}{session_id}:{message_id or ''}"
        super().__init__(title="Add an idea", custom_id=custom_id, timeout=600)
        self.add_item(
            discord.ui.TextInput(
                label="Your idea",
                custom_id=IDEA_FIELD,
                style=discord.TextStyle.paragraph,
                placeholder="One idea — a hook, an angle, a format…",
                required=True,
                max_length=IDEA_MAX,
            )
        )


def idea_form_origin(custom_id: str) -> str | None:
    """The message id an "Add idea" form was opened from, if it says."""
    _, _, message = custom_id.removeprefix(IDEA_MODAL_PREFIX).partition(":")
    return message if message.isascii() and message.isdigit() else None
