"""`python bench/run.py` (the README's speed suite) can load every figure it lists: a
figure that no longer imports after a refactor would only show when someone runs it."""

from __future__ import annotations

import importlib
import inspect

from bench.run import FIGURES


def test_every_figure_of_the_suite_loads_and_can_run() -> None:
    for figure, (module_name, _) in FIGURES.items():
        module = importlib.import_module(module_name)
        assert inspect.iscoroutinefunction(module.run), f"figure {figure}: no async run()"
