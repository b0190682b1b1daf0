"""Trying a brainstorm session in the terminal: `muse chat --group` pretends to be a group
(`ben: …` speaks as Ben, `>N …` replies to message [N], `!N.M` presses a button)."""

from __future__ import annotations

import io
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.core import Core
from tests.helpers import muse_cli

START = "/session start names for our Friday stream 20"

SCRIPT = """\
/session start names for our Friday stream 10
ben: /idea Retro Rain Radio
cai: >2 Cozy Code Radio
dee: !5.1
cai: !5.1
cai: !5.1
dee: !6.1
ben: /session end
dee: /session shortlist
/session end
ben: /idea too late
"""


async def test_a_pretend_group_runs_a_whole_session_in_the_console(core: Core) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(SCRIPT), stdout=out, group=True)
    core.attach(console.name, console)
    await core.start()
    assert await console.run() == 0
    text = out.getvalue()
    me = console.user
    assert "[1] 💡 Session #1 · names for our Friday stream\nUntil " in text
    assert f"(10 min), started by {me}." in text
    assert "[5] #4 Retro Rain Radio — ben\n  [!5.1 👍 0] [!5.2 🔀 Riff]" in text
    assert "[6] #5 Cozy Code Radio — cai\n" in text  # the reply to seed [2]
    assert "  ↳ 👍 Voted for #4 — 2 votes now." in text
    assert "  ↳ Vote on #4 taken back — 1 vote now." in text
    assert f"Only {me}, who started session #1, or a group admin can end it early" in text
    shortlist = text.split("— shortlist (open until", 1)[1]
    assert shortlist.index("#4 Retro Rain Radio — 1 vote · ben") < shortlist.index(
        "#5 Cozy Code Radio — 1 vote · cai"
    )
    summary = text.split("— closed · 5 ideas, 2 votes\n", 1)[1]
    assert "Ideas by: ben 1 · cai 1 · Muse 3" in summary
    assert "Themes: " in summary
    assert "(updated message 5)\n[5] #4 Retro Rain Radio — ben\n  [!5.1 👍 1 · closed]" in text
    assert text.rstrip().endswith("No session is running here — start one: " + START)


def test_muse_chat_group_from_the_command_line(muse_env: Path) -> None:
    result = muse_cli(
        "chat",
        "--group",
        stdin="/session start launch plan 15\nben: /idea Teaser countdown\n/session list\n",
    )
    assert result.returncode == 0, result.stderr
    assert "💡 Session #1 · launch plan" in result.stdout
    assert "#4 Teaser countdown — ben" in result.stdout
    assert "#1 launch plan · open until" in result.stdout
    alone = muse_cli("chat", stdin="/session start launch plan\n")
    assert "(In the terminal: muse chat --group.)" in alone.stdout
