"""`muse chat` the way a user runs it: piped stdin, answers on stdout, exit 0 at EOF."""

from __future__ import annotations

import io
import json
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.core import Core
from tests.helpers import muse_cli


def test_piped_chat_answers_each_line_and_exits_zero(muse_env: Path) -> None:
    result = muse_cli(
        "chat",
        stdin="/caption a rainy morning in Lisbon for instagram\n/remix #1 for x\n/history\n",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "3 captions for Instagram" in out
    assert "#1" in out and "#2" in out and "#3" in out
    assert "Remix from #1 for X" in out
    assert "#4 remix · x · from #1" in out
    assert "Traceback" not in out + result.stderr


def test_piped_chat_export_writes_the_file(muse_env: Path) -> None:
    result = muse_cli("chat", stdin="/style voice: calm\n/export\n")
    assert result.returncode == 0
    path = muse_env / "exports" / "muse-export.json"
    assert f"Saved muse-export.json to {path}" in result.stdout
    assert json.loads(path.read_text())["profile"]["voice"] == "calm"


async def test_console_buttons_can_be_pressed_and_quit_stops(core: Core) -> None:
    stdin = io.StringIO("/caption a red door for x\n!4\n/quit\n/help\n")
    out = io.StringIO()
    code = await ConsoleAdapter(core, stdin=stdin, stdout=out, interactive=False).run()
    text = out.getvalue()
    assert code == 0
    assert "[!4 Pick ✓]" in text
    assert "Picked #1 ✓" in text
    assert "Here is what I can do" not in text  # /quit ended the session before /help


def test_cli_export_and_forget_commands(muse_env: Path) -> None:
    muse_cli("chat", stdin="/caption a lighthouse\n")
    exported = muse_cli("export")
    assert exported.returncode == 0 and len(json.loads(exported.stdout)["drafts"]) == 3
    forgot = muse_cli("forget", "--yes")
    assert forgot.returncode == 0 and "Deleted 3 drafts" in forgot.stdout
    again = muse_cli("export")
    assert again.returncode == 1 and "nothing is stored" in again.stderr  # really gone


def test_cli_export_of_an_unknown_person_creates_nothing(muse_env: Path) -> None:
    result = muse_cli("export", "--platform", "telegram", "--user", "404")
    assert result.returncode == 1
    assert result.stderr.strip() == "muse: nothing is stored for telegram user 404"
    muse_cli("chat", stdin="/caption a kite\n")
    unconfirmed = muse_cli("forget")  # no terminal to confirm on: nothing happens
    assert unconfirmed.returncode == 1 and "Nothing deleted" in unconfirmed.stdout
    assert len(json.loads(muse_cli("export").stdout)["drafts"]) == 3
