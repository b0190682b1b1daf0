"""Button data is forged input: decoding never raises, and round-trips what Muse sends."""

from __future__ import annotations

import pytest

from bot.messages import _ACTION_CODES, Action


@pytest.mark.parametrize(
    "data",
    [
        "m:pk:²:",  # "²".isdigit() is true, int("²") raises
        "m:pk:٣:",  # an Arabic-Indic digit: int() would accept it, Muse never sends it
        "m:pk:1²:",
        "m:pk:-1:",
        "m:pk: 1:",
        "m:pk::",
        "m:pk:" + "9" * 19 + ":",  # beyond SQLite's integers
        "m:zz:1:",
        "m:pk:1",
        "x:pk:1:",
        "",
        "m",
    ],
)
def test_forged_button_data_decodes_to_nothing(data: str) -> None:
    assert Action.decode(data) is None


@pytest.mark.parametrize("verb", sorted(_ACTION_CODES))
def test_every_action_round_trips_within_64_bytes(verb: str) -> None:
    action = Action(verb, 123456789, "linkedin")  # type: ignore[arg-type]
    data = action.encode()
    assert len(data.encode()) <= 64
    assert Action.decode(data) == action
