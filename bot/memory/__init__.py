"""Creator memory: SQLite through sqlite-utils, every call off the event loop."""

from bot.memory.memory import Memory
from bot.memory.records import DraftRecord, Profile, Turn

__all__ = ["DraftRecord", "Memory", "Profile", "Turn"]
