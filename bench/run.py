"""Run Muse's benchmark figures and print one table (figure, Muse, reference, ratio,
target, met?), then write everything as JSON.

    python bench/run.py                 # every figure
    python bench/run.py --only 5 6      # some of them
    python bench/run.py --quick         # smaller sizes, for a first look

Figures are measured, never asserted: the test suite does not run this."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, machine, print_rows

# figure -> (module, what it measures, full-size and quick-size runner)
FIGURES: dict[str, tuple[str, str]] = {
    "1": ("bench.fig_throughput", "throughput vs a bare PTB echo bot"),
    "2": ("bench.fig_limits", "Telegram: 200 people under its flood limits"),
    "2d": ("bench.fig_discord_ack", "Discord: a burst of slash commands acknowledged"),
    "3": ("bench.fig_slow_model", "a slow model and many people; the embedded queue"),
    "4": ("bench.fig_isolation", "a rate-limited group vs a private chat"),
    "5": ("bench.fig_overhead", "core overhead per message"),
    "6": ("bench.fig_memory", "memory scale"),
    "7": ("bench.fig_embedded", "embedded model vs llama-cpp-python"),
}


def runner(figure: str, quick: bool) -> Callable[[], Coroutine[Any, Any, list[Row]]]:
    module = importlib.import_module(FIGURES[figure][0])
    return lambda: module.run(quick)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(FIGURES), help="figures to run")
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--json", default="bench/results.json", help="where to write JSON")
    args = parser.parse_args()
    rows: list[Row] = []
    started = time.time()
    for figure in args.only or sorted(FIGURES):
        print(f"… figure {figure}: {FIGURES[figure][1]}", file=sys.stderr, flush=True)
        try:
            rows += asyncio.run(runner(figure, args.quick)())
        except Exception as exc:  # one broken figure must not lose the others' results
            print(f"figure {figure} failed: {exc!r}", file=sys.stderr, flush=True)
            rows.append(
                Row(figure, FIGURES[figure][1], "", None, None, "", False, f"failed: {exc!r}")
            )
    print_rows(rows)
    result = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
        "quick": args.quick,
        "rows": [r.as_dict() for r in rows],
    }
    Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
