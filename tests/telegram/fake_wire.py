"""The Bot API's wire rules the fake applies: its errors, its HTML dialect (what it
accepts, what it rejects and how it says so), UTF-16 lengths and message entities."""

from __future__ import annotations

import html
import re
from typing import Any

MAX_TEXT = 4096
# Parameters that are free text; everything else PTB sends JSON-encoded (ints, objects).
TEXT_PARAMS = {
    "text",
    "caption",
    "url",
    "secret_token",
    "callback_query_id",
    "inline_query_id",
    "file_id",
    "parse_mode",
    "next_offset",
    "action",
    "filename",
}
TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
TAGS |= {"code", "pre", "blockquote", "tg-emoji"}
HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)(\s[^<>]*)?>|&(#\d+|#x[0-9a-fA-F]+|\w+);|[<>&]")


class ApiError(Exception):
    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def parameters(self) -> dict[str, int]:
        """The error's ResponseParameters, as the Bot API adds them."""
        found = {"retry_after": self.retry_after, "migrate_to_chat_id": self.migrate_to_chat_id}
        return {k: v for k, v in found.items() if v is not None}


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """The visible text of Telegram-HTML, raising like Telegram on what it rejects."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in HTML_TOKEN.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        closing, tag, entity = m.group(1), m.group(2), m.group(4)
        where = f"at byte offset {len(text[: m.start()].encode())}"
        if tag:
            tag = tag.lower()
            if tag not in TAGS:
                raise ApiError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}" {where}',
                )
            if closing:
                if not stack or stack[-1] != tag:
                    raise ApiError(
                        400,
                        f"Bad Request: can't parse entities: Unmatched end tag "
                        f'{where}, expected "</{stack[-1] if stack else ""}>"',
                    )
                stack.pop()
            else:
                stack.append(tag)
        elif entity:
            if entity not in ("lt", "gt", "amp", "quot") and not entity.startswith("#"):
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unsupported HTML "
                    f'entity "&{entity};" {where}',
                )
            out.append(html.unescape(m.group(0)))
        else:
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: Can't find end of the entity starting {where}",
            )
    if stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag "
            f'corresponding to start tag "{stack[-1]}"',
        )
    out.append(text[pos:])
    return "".join(out)


def entities(text: str) -> list[dict[str, Any]]:
    """bot_command and mention entities, with offsets in UTF-16 units like Telegram's."""
    found = []
    for m in re.finditer(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@\w+)?|(?<!\w)@\w{5,32}", text):
        kind = "bot_command" if m.group(0).startswith("/") else "mention"
        if kind == "bot_command" and m.start() != 0:
            continue
        found.append(
            {"type": kind, "offset": utf16(text[: m.start()]), "length": utf16(m.group(0))}
        )
    return found
