"""The README stays true to the code: every command, every setting and the CI command are
in it."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from bot.config import Settings
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


def _setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            names |= {f"MUSE_{name}__{sub}".upper() for sub in kind.model_fields}
        else:
            names.add(f"MUSE_{name}".upper())
    return names


def test_every_setting_the_readme_names_exists_and_every_setting_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"MUSE_[A-Z0-9_]*[A-Z0-9]", readme))
    real = _setting_names()
    assert named - real == set(), "README names settings Muse doesn't have"
    assert real - named == set(), "settings the README doesn't mention"
