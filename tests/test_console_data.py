"""The lines typed at `muse chat` (console_history in the data dir, for ↑) are stored
about the console's person like the rest: in their export, and gone with them when they
are forgotten from another app they linked the console to."""

from __future__ import annotations

import getpass
import json
import re
from pathlib import Path

from bot.config import load_settings
from bot.core import Core
from tests.helpers import ask, muse_cli
from tests.test_console_terminal import PROMPT, terminal
from tests.test_link import CODE_RE

MARK = "zebulonquartz"
TG = {"platform": "telegram", "user": "111", "chat": "111"}


async def typed(data: Path, *lines: str) -> str:
    """Type these lines at a `muse chat` in a terminal, then leave; what it showed."""
    async with terminal(data) as term:
        for n, line in enumerate(lines, start=2):
            term.type(line + "\n")
            await term.until(PROMPT, n)
        term.type("/quit\n")
        assert await term.exit_code() == 0
        return term.shown


async def test_forget_on_a_linked_app_takes_the_lines_typed_in_the_terminal(
    muse_env: Path,
) -> None:
    """/forget sent on Telegram (`muse run telegram`: no terminal open in that process)
    by someone whose console is linked to it."""
    shown = await typed(muse_env, f"/caption a {MARK} lighthouse", "/link")
    code = CODE_RE.search(shown)
    assert code and MARK in (muse_env / "console_history").read_text()
    core = await Core.create(load_settings())
    try:
        assert "Linked ✓" in (await ask(core, f"/link {code.group(1)}", **TG)).text  # type: ignore[arg-type]
        assert "no longer know you" in (await ask(core, "/forget confirm", **TG)).text  # type: ignore[arg-type]
    finally:
        await core.close()
    history = muse_env / "console_history"
    assert not history.exists() or MARK not in history.read_text()


async def test_the_export_holds_the_lines_typed_in_the_terminal(muse_env: Path) -> None:
    await typed(muse_env, f"/style voice: {MARK} calm")
    saved = re.search(r"(/\S+\.json)", await typed(muse_env, "/export"))
    assert saved
    exported = json.loads((muse_env / "exports" / Path(saved.group(1)).name).read_text())
    assert f"/style voice: {MARK} calm" in exported["console_history"]
    cli = muse_cli("export", "--platform", "console", "--user", getpass.getuser())
    assert f"/style voice: {MARK} calm" in json.loads(cli.stdout)["console_history"]
