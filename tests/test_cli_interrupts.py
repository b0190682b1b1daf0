"""Ctrl-C at any moment of `muse`'s start, and a reader that goes away (`muse export |
head`): an exit code and at most one line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from muse import cli
from tests.helpers import muse_cli


def test_ctrl_c_while_muse_is_still_starting_is_exit_130_without_a_traceback(
    muse_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up imports the platforms' libraries for a few seconds before the chat or the
    bots begin: a Ctrl-C then ("wrong settings, stop") printed a 30-line KeyboardInterrupt
    traceback, where a Ctrl-C a moment later is a quiet exit 130."""

    def ctrl_c(*_: object, **__: object) -> None:
        raise KeyboardInterrupt  # as the Ctrl-C arrives while logging imports the adapters

    monkeypatch.setattr(cli, "setup_logging", ctrl_c)
    try:
        code = cli.main(["chat"])
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C during start-up escaped main() as a traceback")
    assert code == 130


@pytest.mark.parametrize("command", [["export"], ["config"]], ids=" ".join)
def test_a_reader_that_stops_early_is_no_traceback(muse_env: Path, command: list[str]) -> None:
    """`muse export | head` (or `| less`, quit early) printed a BrokenPipeError
    traceback once the reader had gone."""
    muse_cli("chat", stdin="/caption a lighthouse\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "muse", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader went away before Muse wrote
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert err == ""
