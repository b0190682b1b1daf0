"""Rendering: splitting (also one long code answer end to end), button layout,
intents, option parsing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import discord

from adapters.discord import DiscordAdapter, intents
from adapters.discord_commands import build_tree, command_payload, slash_text
from adapters.discord_render import MuseButton, build_view, split_text
from adapters.discord_sync import NoAnswers, cli_tree
from bot.commands import CommandSpec, Param, Sub
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import Action, Button
from bot.skills import command_registry
from tests.discord.fake_discord import FakeDiscord
from tests.helpers import code_lines


def test_split_prefers_paragraphs_then_sentences_then_words() -> None:
    paragraphs = ["A" * 900, "B" * 900, "C" * 900]
    assert split_text("\n\n".join(paragraphs)) == ["A" * 900 + "\n\n" + "B" * 900, "C" * 900]
    sentences = " ".join(f"Sentence {n} is here." for n in range(200))
    chunks = split_text(sentences)
    assert all(len(c) <= 2000 and c.endswith(".") for c in chunks)
    assert " ".join(chunks) == sentences
    words = " ".join(["word"] * 1000)
    assert all(len(c) <= 2000 and not c.endswith(" ") for c in split_text(words))
    assert " ".join(split_text(words)) == words
    assert split_text("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]
    assert split_text("short") == ["short"]


def code_answer(functions: int) -> str:
    body = "\n".join(
        f"def f{n}(x):\n    # step {n}\n    return x * {n}  # __dunder__ *star*"
        for n in range(functions)
    )
    return "Here you go:\n\n```python\n" + body + "\n```\n\nThat's it."


def test_a_code_block_cut_in_two_stays_code_with_its_language_and_indentation() -> None:
    text = code_answer(90)
    parts = split_text(text)
    assert len(parts) == 3 and all(len(p) <= 2000 for p in parts)
    assert all(p.count("```") == 2 for p in parts)  # every part renders its code as code
    assert all(p.startswith("```python\n") for p in parts[1:])
    assert all(p.endswith("\n```") for p in parts[:-1])
    # Every code line whole, indentation and all, in order; cuts between lines only.
    assert code_lines(parts) == code_lines([text])
    assert parts[0].startswith("Here you go:") and parts[-1].endswith("```\n\nThat's it.")


def test_fences_outside_a_cut_are_left_alone() -> None:
    short = "See:\n```js\nlet x = 1;\n```\n" + " ".join(["word"] * 600)
    parts = split_text(short)
    assert parts[0].startswith("See:\n```js\nlet x = 1;\n```") and parts[0].count("```") == 2
    assert all("```" not in p for p in parts[1:])
    unclosed = "```\n" + "\n".join(f"  line {n}" for n in range(400))
    parts = split_text(unclosed)
    assert all(p.count("```") == 2 for p in parts[:-1]) and parts[1].startswith("```\n  line")


def test_bold_cut_in_two_is_closed_and_reopened_and_nothing_else_is() -> None:
    words = " ".join(["word"] * 600)
    parts = split_text(f"Say **{words}** and ~~{words}~~ ok")
    assert all(len(p) <= 2000 and p.count("**") % 2 == 0 for p in parts)
    assert parts[0].startswith("Say **") and parts[1].startswith("**word")
    assert " ".join(parts).replace("**", "").replace("~~", "").split() == (
        f"Say {words} and {words} ok".split()
    )
    assert any(p.startswith("~~word") for p in parts) and parts[-1].endswith("~~ ok")
    # Not emphasis: spaced stars, a star inside a word, stars in `code`, escaped ones.
    plain = ("5 * 3 {} * 2", "2*3 {} 4*5", "`**` {} **", "\\*\\* {} **", "\\** {} **")
    for text in (p.format(words) for p in plain):
        assert " ".join(split_text(text)).split() == text.split()


async def test_a_long_code_answer_arrives_as_code_in_every_message(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, model: ScriptedChatModel
) -> None:
    core.settings.llm.chat_max_tokens = 4000
    answer = code_answer(60)
    model.enqueue(answer)
    m = await fake.send_message("write me some code", dm=True)
    channel = fake.dm_channels[m["author"]["id"]]

    def answered() -> list[dict[str, Any]]:
        sent = fake.bot_messages(channel)
        return sent if sent and sent[-1]["content"].endswith("That's it.") else []

    shown = [m["content"] for m in await fake.wait_for(answered)]
    assert len(shown) == 2 and all(p.count("```") == 2 for p in shown)
    # The cut fell between two functions, not inside one (before a line that is not
    # indented under the one above it).
    assert re.match(r"```python\ndef f\d+\(x\):\n", shown[1])
    assert code_lines(shown) == code_lines([answer])


async def test_view_is_trimmed_to_discord_limits_and_round_trips() -> None:
    # async: discord.py before 2.5 makes a View only inside a running event loop
    rows = tuple(
        tuple(Button(f"B{r}{c}", Action("remix", r * 10 + c)) for c in range(7)) for r in range(7)
    )
    view = build_view(rows)
    assert view is not None and view.timeout is None
    layout = view.to_components()
    assert len(layout) == 5 and all(len(row["components"]) == 5 for row in layout)
    ids = [c["custom_id"] for row in layout for c in row["components"]]
    assert all(Action.decode(i) is not None for i in ids)
    template = MuseButton.__discord_ui_compiled_template__
    assert all(re.fullmatch(template, i) for i in ids)
    assert build_view(()) is None


def test_intents_are_minimal() -> None:
    wanted = intents()
    assert wanted.guilds and wanted.guild_messages and wanted.dm_messages
    assert not wanted.message_content and not wanted.members and not wanted.presences
    assert intents(message_content=True).message_content


def test_slash_options_become_text_and_options() -> None:
    registry = command_registry()
    caption = registry.get("caption")
    assert caption is not None
    values = {"description": "a tram", "tone": "hype"}
    assert slash_text(caption, None, values) == (
        "/caption a tram",
        {"description": "a tram", "tone": "hype"},
    )
    pick = registry.get("pick")
    assert pick is not None
    assert slash_text(pick, None, {"draft": "#7"}) == ("/pick #7", {"draft": "#7"})
    _, tree = cli_tree()
    payload = {c["name"]: c for c in command_payload(tree)}
    assert [o["name"] for o in payload["pick"]["options"]] == ["draft"]
    assert payload["history"]["options"] == []


def test_subcommands_become_a_group_from_the_registry() -> None:
    """Any command with `subs` is a slash command group, built generically."""
    registry = command_registry()
    spec = CommandSpec(
        name="plan",
        summary="Plan things together.",
        usage="/plan start|end",
        handler=_never,
        subs=(
            Sub(
                "start",
                "Start a plan.",
                "/plan start <topic> [minutes]",
                (
                    Param("topic", "What about", required=True, rest=True),
                    Param("minutes", "How long", choices=("15", "30")),
                ),
            ),
            Sub("end", "End it.", "/plan end"),
            Sub("show", "Show one.", "/plan show <id>", (Param("id", "Which one", rest=True),)),
        ),
    )
    registry.add(spec)
    client = discord.Client(intents=discord.Intents.none())
    tree = build_tree(client, registry, NoAnswers())
    plan = next(c for c in command_payload(tree) if c["name"] == "plan")
    subs = {o["name"]: o for o in plan["options"]}
    assert {o["type"] for o in plan["options"]} == {1}  # SUB_COMMAND
    assert [o["name"] for o in subs["start"]["options"]] == ["topic", "minutes"]
    assert subs["start"]["options"][0]["required"] is True
    assert [c["value"] for c in subs["start"]["options"][1]["choices"]] == ["15", "30"]
    assert subs["end"]["options"] == []
    assert [o["name"] for o in subs["show"]["options"]] == ["id"]
    start = spec.subs[0]
    assert slash_text(spec, start, {"topic": "cozy games", "minutes": "15"}) == (
        "/plan start cozy games",
        {"topic": "cozy games", "minutes": "15"},
    )
    assert slash_text(spec, spec.subs[2], {"id": "4"}) == ("/plan show 4", {"id": "4"})


async def _never(ctx: Any) -> AsyncIterator[Any]:
    raise AssertionError("not called")
    yield


async def test_a_table_in_an_answer_shows_a_row_a_line(
    adapter: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    """Discord renders Markdown but has no tables: a model's table showed its pipes and
    dashes as typed. Each row is a line now, as on Telegram ("• Day: Mon · Post: Reel"),
    its cells' **bold** kept for Discord to show; a table in a code block stays as typed."""
    model.enqueue(
        "Plan:\n| Day | Post |\n|:--|--:|\n| Mon | **Reel** |\n| Tue | Story |\n\n"
        "```\n| a | b |\n|---|---|\n```\nGo!"
    )
    m = await fake.send_message("plan my week", dm=True)
    channel = fake.dm_channels[m["author"]["id"]]

    def answered() -> list[dict[str, Any]]:
        sent = fake.bot_messages(channel)
        return sent if sent and sent[-1]["content"].endswith("Go!") else []

    (shown,) = await fake.wait_for(answered)
    assert shown["content"] == (
        "Plan:\n• Day: Mon · Post: **Reel**\n• Day: Tue · Post: Story\n\n"
        "```\n| a | b |\n|---|---|\n```\nGo!"
    )
