"""MUSE_ environment variables that name no setting. Misspelt (MUSE_LLM_PROVIDER, one
underscore where sections take two), one was ignored without a word: Muse ran on the
embedded model while its owner thought it was talking to their server."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping

from pydantic import BaseModel

from bot.config import Settings

# Read by Muse itself, not a setting: the config file given with --config.
OWN = {"MUSE_CONFIG"}


def known_names() -> set[str]:
    names = set(OWN)
    for field, info in Settings.model_fields.items():
        kind = info.annotation
        names.add(f"MUSE_{field}".upper())  # a section may also be given whole, as JSON
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            names.update(f"MUSE_{field}__{sub}".upper() for sub in kind.model_fields)
    return names


def unknown_env(environ: Mapping[str, str] = os.environ) -> list[str]:
    """One line for each MUSE_ variable that no setting reads, with the nearest name."""
    known = known_names()
    lines = []
    for name in sorted(environ):
        if not name.upper().startswith("MUSE_") or name.upper() in known:
            continue
        close = difflib.get_close_matches(name.upper(), sorted(known), n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        lines.append(f"{name} is not a Muse setting{hint}; it is ignored")
    return lines
