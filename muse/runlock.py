"""One `muse run` per platform and data dir.

A second `muse run telegram` on the same data dir (a second terminal, a service restarted
before the old process ended) would take the first one's unanswered messages for what a
crash left behind, and answer them again: the person got the answer twice. The first
holds an exclusive lock on a file in the data dir for as long as it runs; the second
can't take it and stops before it starts anything. The OS releases the lock when the
process ends, however it ends (kill -9 included), so no stale lock is ever left behind."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # not POSIX (Windows): no lock, as before
    fcntl = None  # type: ignore[assignment]


class AlreadyRunning(Exception):
    """Another process runs this platform on this data dir: one line saying which."""


def hold(stack: ExitStack, data_dir: Path, platform: str) -> None:
    """Lock `platform` on `data_dir` until `stack` closes, or raise AlreadyRunning."""
    if fcntl is None:
        return
    path = data_dir / f"muse-run-{platform}.lock"
    file: IO[str] = stack.enter_context(path.open("a+", encoding="utf-8"))
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.seek(0)
        pid = file.read().strip()
        by = f", pid {pid}" if pid.isdigit() else ""
        raise AlreadyRunning(
            f"{platform} is already running on this data dir ({data_dir}{by}): stop it "
            "first, or give this one its own MUSE_DATA_DIR"
        ) from None
    file.truncate(0)
    file.write(str(os.getpid()))
    file.flush()
