"""Plain records the memory hands to the core."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    voice: str = ""
    audience: str = ""
    platforms: tuple[str, ...] = ()
    avoid: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.voice or self.audience or self.platforms or self.avoid)


@dataclass(frozen=True)
class Turn:
    role: str
    text: str
    id: int = 0
    # An answer that stopped at the model's token cap (it can be continued).
    cut: bool = False


@dataclass(frozen=True)
class DraftRecord:
    id: int
    owner_id: int
    author_id: int
    kind: str
    platform: str
    label: str
    text: str
    request: str
    parent_id: int | None
    status: str
    created_at: str
    session: str = ""  # the conversation it was made in
