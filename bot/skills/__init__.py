"""The skills, a module per family of commands; `command_registry()` collects them."""

from bot.commands import Registry, collect


def command_registry() -> Registry:
    """The commands, without a database or a model: for menus and slash-command sync."""
    from bot.skills import (
        account,
        brainstorm,
        caption,
        chat,
        link,
        next_post,
        remix,
        series,
        session,
        session_ideas,
        session_riff,
        variety,
    )

    return collect(
        brainstorm,
        caption,
        remix,
        series,
        next_post,
        variety,
        chat,
        session,
        session_ideas,
        session_riff,
        account,
        link,
    )
