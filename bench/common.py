"""What every benchmark figure shares: a result row and its table, a temporary data dir
with the environment Muse reads, percentiles, process CPU/RSS readings, and the command
line of a figure run alone."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass
class Row:
    """One figure: Muse's value, the reference measured in the same run (if any), and
    the target it is held to. `met` is computed by the figure, which knows the target's
    direction."""

    figure: str
    what: str
    unit: str
    muse: float | None
    reference: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.muse is None or not self.reference:
            return None
        return self.muse / self.reference

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@contextlib.contextmanager
def muse_env(**settings: str) -> Iterator[Path]:
    """A fresh data dir and MUSE_* settings for this block (restored afterwards)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("MUSE_")}
    for key in saved:
        del os.environ[key]
    with tempfile.TemporaryDirectory(prefix="muse-bench-") as tmp:
        os.environ["MUSE_DATA_DIR"] = tmp
        for key, value in settings.items():
            os.environ[f"MUSE_{key.upper()}"] = value
        try:
            yield Path(tmp)
        finally:
            for key in [k for k in os.environ if k.startswith("MUSE_")]:
                del os.environ[key]
            os.environ.update(saved)


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), from /proc."""
    path = f"/proc/{pid or 'self'}/status"
    with open(path, encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process so far, from /proc."""
    with open(f"/proc/{pid or 'self'}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": model, "python": sys.version.split()[0]}


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def print_rows(rows: list[Row]) -> None:
    head = f"{'fig':<4}{'what':<52}{'unit':<7}{'Muse':>9}{'ref':>9}{'ratio':>7}  {'target':<24}met"
    print(head)
    print("-" * len(head))
    for r in rows:
        met = {True: "yes", False: "NO", None: "—"}[r.met]
        print(
            f"{r.figure:<4}{r.what[:51]:<52}{r.unit:<7}{fmt(r.muse):>9}{fmt(r.reference):>9}"
            f"{fmt(r.ratio):>7}  {r.target[:23]:<24}{met}"
        )
        if r.note:
            print(f"{'':<4}  ↳ {r.note}")


def run_alone(
    measure: Callable[[int], Coroutine[Any, Any, list[Row]]], option: str, default: int
) -> None:
    """A figure's own command line (`python bench/fig_limits.py --users 50`): one size
    option, and the same table the suite prints."""
    parser = argparse.ArgumentParser()
    parser.add_argument(option, type=int, default=default)
    size = vars(parser.parse_args())[option.lstrip("-").replace("-", "_")]
    print_rows(asyncio.run(measure(size)))
