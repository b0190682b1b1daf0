"""The README stays true to the code: every command and the CI command are in it."""

from __future__ import annotations

from pathlib import Path

from bot.core import Core

ROOT = Path(__file__).resolve().parent.parent


async def test_readme_lists_every_command(core: Core) -> None:
    readme = (ROOT / "README.md").read_text()
    for spec in core.registry.visible():
        assert f"`/{spec.name}" in readme, f"/{spec.name} missing from README"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in quick.strip().splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[1] in ci and "muse chat" in commands[0]
