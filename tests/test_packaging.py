"""An installed wheel carries the prompts and default config, not only the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_prompts_config_and_entry_point(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("muse_copilot-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "prompts/caption.yaml",
        "prompts/brainstorm.yaml",
        "prompts/remix.yaml",
        "prompts/chat.yaml",
        "config/muse.toml",
        "muse/cli.py",
        "adapters/console.py",
    ):
        assert needed in names, needed
    assert not any(n.startswith("tests/") for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "muse = muse.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
