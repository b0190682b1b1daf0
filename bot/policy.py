"""Who may use Muse and how much: the allow-list, admins, the daily quota and a
per-person rate limit, decided here once for every platform (adapters never do)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.memory import Memory
    from bot.messages import Incoming

log = logging.getLogger(__name__)

# Commands that cost nothing: never counted against the quota.
FREE_COMMANDS = frozenset({"start", "help"})


@dataclass(frozen=True)
class Verdict:
    """`allowed`, or refused with one line to show (None: already told, stay quiet)."""

    allowed: bool
    text: str | None = None
    counted: str = ""  # the UTC day one of the person's requests was counted for it (refund)


ALLOW = Verdict(True)


class TokenBucket:
    """`rate` requests a minute, bursts up to `rate`: refills continuously."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.tokens = float(per_minute)
        self.at = time.monotonic()
        self.warned = False

    def take(self, per_minute: int) -> bool:
        now = time.monotonic()
        self.capacity = float(per_minute)
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * per_minute / 60.0)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.warned = False
            return True
        return False

    def full(self, per_minute: int) -> bool:
        elapsed = time.monotonic() - self.at
        return self.tokens + elapsed * per_minute / 60.0 >= self.capacity


class Policy:
    def __init__(self, settings: Settings, memory: Memory) -> None:
        self.settings = settings
        self.memory = memory
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def _access(self, platform: str) -> tuple[list[str], list[str], int] | None:
        """(allowed users, admins, daily quota) configured for a platform; None for the
        console, which has no settings of its own: its machine's owner, alone at the
        keyboard, with no one to crowd out."""
        section = getattr(self.settings, platform, None)
        if section is None:
            return None
        return (
            list(getattr(section, "allowed_users", []) or []),
            list(getattr(section, "admin_ids", []) or []),
            int(getattr(section, "daily_quota", 0) or 0),
        )

    @staticmethod
    def _matches(msg: Incoming, entries: list[str]) -> bool:
        names = {e.strip().lstrip("@").lower() for e in entries}
        handle = msg.user_handle.lower()
        # Anyone may pick a username of digits (Discord allows it): one equal to the
        # admin's id must not make its owner the admin. Numbers name ids only.
        by_name = bool(handle) and not handle.isdigit() and handle in names
        return msg.user_id.lower() in names or by_name

    def is_admin(self, msg: Incoming) -> bool:
        """A Muse admin (configured), not to be confused with a group's admins."""
        access = self._access(msg.session.platform)
        return access is not None and self._matches(msg, access[1])

    async def admit(self, msg: Incoming, command: str | None, *, free: bool = False) -> Verdict:
        """Access first, then the rate limit, then the daily quota (which is counted;
        `free` requests cost no model work and are not)."""
        access = self._access(msg.session.platform)
        if access is None:  # the console: a piped script past the rate lost its last lines
            return ALLOW
        allowed, admins, quota = access
        admin = self._matches(msg, admins)
        if allowed and not admin and not self._matches(msg, allowed):
            # A stranger's flood gets no flood back (and nothing of theirs is stored).
            if self._rate(msg, (msg.session.platform, msg.user_id)) is not None:
                return Verdict(False, None)
            return Verdict(
                False,
                "Sorry — this Muse is private. Ask its owner to add you "
                f"(your {msg.session.platform.title()} id is {msg.user_id}).",
            )
        if admin:
            return ALLOW
        refused = self._rate(msg, await self._rate_key(msg))
        if refused is not None:
            return refused
        if quota <= 0 or free or command in FREE_COMMANDS:
            return ALLOW
        person, day = await self._person(msg), _today()
        used = await self.memory.bump_usage(person, day)
        if used > quota:
            # Refused, so not counted: an over-count would outlive the refunds of requests
            # still being answered (one that fails must leave a request to ask again).
            await self.memory.bump_usage(person, day, by=-1)
            # Linked apps share one count: "used" on an app barely used would puzzle.
            shared = len(await self.memory.identities(person)) > 1
            return Verdict(
                False,
                f"You've used today's {quota} request{'' if quota == 1 else 's'}"
                f"{' (on all your linked apps together)' if shared else ''} — I'll be "
                "back for you tomorrow (UTC).",
            )
        return Verdict(True, counted=day)

    async def refund(self, msg: Incoming, day: str) -> None:
        """Give back a request counted on `day` that got no answer (a typo, a model that
        failed, a restart): the person is only told how to ask, or to try again. Never
        raises: the answer matters more than the count."""
        try:
            await self.memory.bump_usage(await self._person(msg), day, by=-1)
        except Exception:
            log.exception("could not give back a request in %s", msg.session)

    async def _person(self, msg: Incoming) -> int:
        """Whose quota: the person, across their linked accounts."""
        return await self.memory.user_for(
            msg.session.platform, msg.user_id, msg.user_name, "person"
        )

    async def _rate_key(self, msg: Incoming) -> tuple[str, str]:
        """Whose rate: the person, across their linked accounts, as for the quota (keyed
        by account, a person linked on two apps had twice the rate). Looked up, never
        created: someone Muse doesn't know yet (or any more) is their account."""
        if self.settings.rate.per_minute <= 0:
            return ("", "")
        account = (msg.session.platform, msg.user_id)
        person = await self.memory.find_user(*account)
        if person is None:
            return account
        key = ("person", str(person))
        if key not in self._buckets and account in self._buckets:
            self._buckets[key] = self._buckets.pop(account)  # their first message's
        return key

    def _rate(self, msg: Incoming, key: tuple[str, str]) -> Verdict | None:
        per_minute = self.settings.rate.per_minute
        if per_minute <= 0:
            return None
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(per_minute)
            if len(self._buckets) > 10_000:  # forget people who are back to a full bucket
                for k in [k for k, b in self._buckets.items() if b.full(per_minute)]:
                    del self._buckets[k]
                self._buckets[key] = bucket
        if bucket.take(per_minute):
            return None
        if bucket.warned:  # told once already: a flood gets no flood of answers back
            return Verdict(False, None)
        bucket.warned = True
        return Verdict(
            False,
            f"Easy there — that's more than {per_minute} requests a minute. "
            "Give me a moment, then try again.",
        )


def _today() -> str:
    return datetime.now(UTC).date().isoformat()
