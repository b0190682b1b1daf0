"""`muse chat` the way a user runs it: piped stdin, answers on stdout, exit 0 at EOF."""

from __future__ import annotations

import asyncio
import getpass
import io
import json
import os
from pathlib import Path

import pytest

import adapters.console as console_module
from adapters.console import ConsoleAdapter
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.memory.records import Profile
from tests.helpers import muse_cli


async def console_run(core: Core, script: str, *, group: bool = False) -> str:
    """What the terminal shows for `script` (one line each), piped."""
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(script), stdout=out, group=group)
    core.attach(console.name, console)
    assert await console.run() == 0
    return out.getvalue()


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
    (path,) = (muse_env / "exports").iterdir()
    assert f"Saved {path.name} to {path}" in result.stdout
    assert json.loads(path.read_text())["profile"]["voice"] == "calm"


def test_an_export_that_cant_be_saved_is_one_line_and_the_chat_goes_on(
    muse_env: Path, tmp_path: Path
) -> None:
    """exports/ linked to a drive that isn't there (or a full disk): /export ended the
    chat with a FileExistsError (OSError) traceback, and nothing after it was answered."""
    muse_env.mkdir(parents=True)
    (muse_env / "exports").symlink_to(tmp_path / "unplugged-usb" / "muse")
    result = muse_cli("chat", stdin="/style voice: calm\n/export\n/style\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert f"I couldn't save the file in {muse_env / 'exports'} (File exists)" in result.stdout
    assert result.stdout.count("Voice: calm") == 2  # the chat went on after it


async def test_each_export_gets_a_file_of_its_own(core: Core) -> None:
    text = await console_run(core, "/export\nben: /export\n/export\n", group=True)
    saved = [line.split(" to ", 1)[1] for line in text.splitlines() if line.startswith("Saved ")]
    assert len(saved) == 3 and len(set(saved)) == 3  # none overwrote another
    exports = core.settings.data_dir / "exports"
    assert sorted(str(p) for p in exports.iterdir()) == sorted(saved)
    assert "-ben-" in Path(saved[1]).name and "-ben-" not in Path(saved[0]).name
    for path in saved:
        data = json.loads(await asyncio.to_thread(Path(path).read_text))
        assert data["format"] == "muse-export/1"


async def test_a_press_of_no_button_is_answered_here_not_by_the_model(
    core: Core, model: ScriptedChatModel
) -> None:
    text = await console_run(core, "!1\n!2.1\n")
    assert text == (
        "There's no button [1] here — buttons are numbered under each answer.\n\n"
        "There's no button [2.1] here — buttons are numbered under each answer.\n\n"
    )
    assert model.calls == []  # never sent to the model as chat
    # One word after "!" is the terminal's syntax too, never chat for the model.
    text = await console_run(core, "!abc\n!123\n")
    assert text == (
        "There's no button [abc] here — buttons are numbered under each answer.\n\n"
        "There's no button [123] here — buttons are numbered under each answer.\n\n"
    )
    assert model.calls == []
    # "!" alone said "There's no button [] here".
    text = await console_run(core, "!\n!!\n")
    assert text == 2 * "Press a button by its number, e.g. !1 — they are under each answer.\n\n"
    assert model.calls == []
    text = await console_run(core, "/caption a red door for x\n!16\n!4\n")
    assert "There's no button [16] here" in text and "Picked #1 ✓" in text
    assert len(model.calls) == 1


async def test_console_help_tells_how_to_press_buttons_and_quit(core: Core) -> None:
    text = await console_run(core, "/help\n")
    assert "Here is what I can do" in text
    assert text.rstrip().endswith(
        "In this terminal: !1 presses button [!1 …] under the last answer; /quit leaves."
    )
    one = await console_run(core, "/help pick\n")  # about /pick alone, not the terminal
    assert one.startswith("/pick #id\n") and "In this terminal" not in one


async def test_group_replies_carry_the_replied_message(core: Core) -> None:
    text = await console_run(
        core,
        "/caption a red door for x\n/remix #1 for x\n"
        ">2 /posted\n>2 /remix make it punchier for linkedin\n>1 /posted\n>2\n>9 /posted\n",
        group=True,
    )
    # ">2" alone is the terminal's syntax with nothing to say: not chat for the model.
    assert "Reply to [2] with what? e.g. >2 make it shorter" in text
    assert "[3] Recorded #4 as published." in text  # the draft message [2] shows
    assert "[4] Remix from #4 for LinkedIn" in text
    assert "[5] Which one did you publish? /posted #1 · /posted #2 · /posted #3" in text
    assert text.rstrip().endswith("There's no message [9] here to reply to.")


async def test_a_long_group_session_keeps_only_its_recent_messages_for_replies(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_module, "KEEP_MESSAGES", 2)
    text = await console_run(
        core, "/caption a red door for x\n/help\n/help\n>1 /posted\n>3 /posted\n", group=True
    )
    assert "There's no message [1] here to reply to." in text  # the oldest, let go
    assert "[4] Recorded “Here is what I can do" in text  # a recent one still answers


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
    typed = muse_env / "console_history"  # what an interactive `muse chat` keeps for ↑
    typed.write_text("/caption a lighthouse\n")
    forgot = muse_cli("forget", "--yes")
    assert forgot.returncode == 0 and "Deleted 3 drafts" in forgot.stdout
    assert not typed.exists()  # the lines typed go with the rest
    again = muse_cli("export")
    assert again.returncode == 1 and "nothing is stored" in again.stderr  # really gone


def test_cli_export_to_an_output_that_cant_show_every_character_is_still_the_data(
    muse_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Windows cp1252 redirect, or PYTHONIOENCODING=ascii: the export ended in a
    # UnicodeEncodeError traceback, and the chat's answers with it.
    assert muse_cli("chat", stdin="/caption 東京の朝 ☕\n").returncode == 0
    monkeypatch.setenv("PYTHONIOENCODING", "ascii")
    exported = muse_cli("export")
    assert exported.returncode == 0, exported.stderr
    turns = json.loads(exported.stdout)["turns"]
    assert any("東京の朝 ☕" in turn["text"] for turn in turns)
    chatted = muse_cli("chat", stdin="/caption 東京の朝 ☕\n")  # read as �, answered
    assert chatted.returncode == 0 and "Traceback" not in chatted.stderr
    assert "captions for" in chatted.stdout


def test_cli_export_of_an_unknown_person_creates_nothing(muse_env: Path) -> None:
    result = muse_cli("export", "--platform", "telegram", "--user", "404")
    assert result.returncode == 1
    assert result.stderr.strip() == "muse: nothing is stored for telegram user 404"
    muse_cli("chat", stdin="/caption a kite\n")
    unconfirmed = muse_cli("forget")  # no terminal to confirm on: nothing happens
    assert unconfirmed.returncode == 1 and "Nothing deleted" in unconfirmed.stdout
    me = getpass.getuser()
    assert f"Delete everything Muse keeps about you (console user {me})? [y/N]" in (
        unconfirmed.stdout
    )
    declined = muse_cli("forget", "--user", me, stdin="n\n")
    assert f"Delete everything Muse keeps about console user {me}? [y/N]" in declined.stdout
    assert len(json.loads(muse_cli("export").stdout)["drafts"]) == 3


async def test_cli_export_and_forget_find_a_person_whatever_the_platforms_spelling(
    core: Core,
) -> None:
    """`muse export --platform Telegram --user 111` (or tg, a typo) said "nothing is
    stored" for a person Muse keeps plenty about: an operator answering a data request
    would have told them so. The platform is now any case, and an unknown one is refused
    (exit 2, the known ones named); a @username is told that --user wants the id."""
    person = await core.memory.user_for("telegram", "111", "Alice", "person")
    await core.memory.save_profile(person, Profile(voice="dry"))
    await core.close()
    found = await asyncio.to_thread(muse_cli, "export", "--platform", "Telegram", "--user", "111")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["profile"]["voice"] == "dry"
    typo = await asyncio.to_thread(muse_cli, "forget", "--platform", "tg", "--user", "111")
    assert typo.returncode == 2 and "invalid choice: 'tg'" in typo.stderr
    by_name = await asyncio.to_thread(
        muse_cli, "export", "--platform", "telegram", "--user", "@alice"
    )
    assert by_name.returncode == 1
    assert by_name.stderr.strip() == (
        "muse: nothing is stored for telegram user @alice (--user is the numeric user id, "
        "not a @username)"
    )


async def test_a_streamed_answer_in_wide_characters_is_erased_whole(
    core: Core, model: ScriptedChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal the words shown as they come are erased for the finished answer;
    the lines to erase were counted in characters, so an answer in Japanese or Chinese
    (two columns a character) or full of emoji left rows of its streamed copy above the
    answer. They are counted in columns now."""
    monkeypatch.setattr(
        console_module.shutil, "get_terminal_size", lambda *_: os.terminal_size((20, 24))
    )
    model.enqueue("雨の朝 リスボンの 路面電車は 静かに 坂を登る 🚋🚋🚋")
    out = io.StringIO()
    console = ConsoleAdapter(core, stdout=out, interactive=True)
    core.attach(console.name, console)
    await console.ask("路面電車")  # a line typed at the prompt
    shown = out.getvalue()
    streamed, erase = shown.split("\r", 1)
    # "✍️  " (4 columns), 20 CJK characters, 5 spaces and 3 emoji: 4 + 40 + 5 + 6 = 55
    # columns, 3 rows of 20; the cursor goes 2 rows up and clears from there.
    assert streamed.startswith("✍️  雨の朝")
    assert erase.startswith("\x1b[2F\x1b[J")


async def test_piped_text_that_is_not_utf8_is_answered(core: Core) -> None:
    """`muse chat < notes.txt` with a Latin-1 "café" (stdin keeps such bytes as lone
    surrogates) got "Something went wrong on my side" and no drafts: the database
    refused the text. The bytes that aren't UTF-8 are read as "�" now."""
    stdin = io.TextIOWrapper(
        io.BytesIO(b"/caption caf\xe9 au lait for x\n/history\n"),
        encoding="utf-8",
        errors="surrogateescape",  # as Python opens a piped stdin
    )
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=stdin, stdout=out)
    core.attach(console.name, console)
    assert await console.run() == 0
    text = out.getvalue()
    assert "Something went wrong" not in text
    assert "3 captions for X" in text and "caf\ufffd au lait" in text
    assert "#1 caption · x" in text  # kept, as /history shows
