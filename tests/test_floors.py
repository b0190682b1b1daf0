"""The dependency floors in pyproject.toml are the versions pinned in tests/floors.txt,
the set the test suite has been run on: a floor can't drift from what was tried."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        Requirement(r)
        for r in [*project["dependencies"], *project["optional-dependencies"]["test"]]
    ]


def pinned() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "tests" / "floors.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", line
            pins[canonicalize_name(requirement.name)] = Version(spec.version)
    return pins


def test_every_dependency_has_a_floor_that_was_tested() -> None:
    pins = pinned()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        lows = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
        assert lows, f"{requirement} has no floor"
        assert name in pins, f"{name} is not in tests/floors.txt"
        assert pins[name] == lows[0], f"{name}: declared {lows[0]}, tested {pins[name]}"
    assert set(pins) == {canonicalize_name(r.name) for r in declared()}
