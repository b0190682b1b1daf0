"""Access, rate and quota are decided once, in the core, the same on every platform."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.config import Settings
from bot.context import Context
from bot.core import Core
from bot.errors import LLMUnavailable
from bot.messages import Outgoing, Progress, Reply
from tests.helpers import ask, message


async def test_a_flooding_user_gets_one_line_and_others_are_unaffected(core: Core) -> None:
    core.settings.rate.per_minute = 5
    flood = [message(f"note {i}", user="flood", platform="telegram") for i in range(12)]
    answers = [await core.respond(msg) for msg in flood]
    refusals = [r for rs in answers for r in rs if r.is_error]
    assert len(refusals) == 1 and "requests a minute" in refusals[0].text
    assert all(not rs for rs in answers[6:])  # told once; the rest of the flood gets silence
    assert [r.text for r in answers[0]] and not answers[0][0].is_error
    other = await ask(core, "hello from someone else", user="calm", platform="telegram")
    assert not other.is_error and "hello from someone else" in other.text


async def test_the_console_s_owner_is_never_rate_limited(core: Core) -> None:
    """`muse chat` reads a piped file line by line: every line is answered."""
    core.settings.rate.per_minute = 5
    answers = [await ask(core, f"/caption tram number {i}") for i in range(12)]
    assert all(not a.is_error and len(a.drafts) == 3 for a in answers)


async def test_allow_list_and_admins_work_the_same_on_every_platform(core: Core) -> None:
    for platform in ("telegram", "discord"):
        getattr(core.settings, platform).allowed_users = ["@bob", "222"]
        refused = await ask(core, "/caption a tram", user="111", platform=platform)
        assert refused.is_error and "id is 111" in refused.text
        by_handle = await ask(core, "hi", user="333", platform=platform, user_handle="Bob")
        assert not by_handle.is_error
        getattr(core.settings, platform).admin_ids = ["111"]
        assert not (await ask(core, "hi", user="111", platform=platform)).is_error
        # A username of digits equal to an id names nobody: ids are matched by id alone.
        posing = await ask(core, "hi", user="444", platform=platform, user_handle="111")
        assert posing.is_error and "id is 444" in posing.text


async def test_a_stranger_is_refused_once_then_rate_limited_into_silence(core: Core) -> None:
    core.settings.telegram.allowed_users = ["222"]
    core.settings.rate.per_minute = 2
    answers = [await core.respond(message("hi", user="111", platform="telegram")) for _ in range(5)]
    refusals = [r for replies in answers for r in replies if r.text]
    assert len(refusals) == 2 and all("this Muse is private" in r.text for r in refusals)


async def test_help_is_free_and_the_quota_counts_the_rest(core: Core) -> None:
    for platform in ("telegram", "discord"):
        getattr(core.settings, platform).daily_quota = 1
        assert not (await ask(core, "first", platform=platform)).is_error
        assert (await ask(core, "/help", platform=platform)).text.startswith("Here is what")
        over = await ask(core, "second", platform=platform)
        assert over.is_error and "today's 1 request —" in over.text
        # A spent quota never keeps anyone from their own data.
        assert (await ask(core, "/export", platform=platform)).attachments
        confirm = await ask(core, "/forget", platform=platform)
        assert not confirm.is_error and confirm.buttons
        done = await ask(core, action=confirm.buttons[0][0].action, platform=platform)
        assert done.text.startswith("Done — I deleted")


async def all_two_requests_left(core: Core) -> None:
    """A daily quota of 2, none of it used yet: two answers, then the refusal."""
    assert not (await ask(core, "/caption a tram", platform="telegram")).is_error
    assert not (await ask(core, "/caption a tram at dusk", platform="telegram")).is_error
    over = await ask(core, "/caption a third tram", platform="telegram")
    assert over.is_error and "today's 2 requests" in over.text


async def test_a_request_refused_for_bad_input_costs_none_of_the_quota(core: Core) -> None:
    core.settings.telegram.daily_quota = 2
    for _ in range(3):
        bad = await ask(core, "/caption", platform="telegram")
        assert bad.is_error and "Tell me what the post shows" in bad.text
    await all_two_requests_left(core)


async def test_an_answer_ready_at_once_arrives_as_one_reply(core: Core) -> None:
    """The work runs ahead of its reader: a reader that comes late gets the final Reply
    alone (nothing to stream any more), never a backlog of out-of-date progress."""
    stream = core.handle(message("/caption a tram at dawn"))
    first = await stream.__anext__()  # starts the work
    await asyncio.sleep(0)
    while core._work:  # let the work finish before reading on
        await asyncio.wait(set(core._work))
    rest = [out async for out in stream]
    outputs = [first, *rest]
    assert isinstance(outputs[-1], Reply) and len(outputs[-1].drafts) == 3
    assert sum(isinstance(o, Progress) for o in outputs) <= 1


async def test_linked_accounts_share_one_rate_and_one_quota(core: Core) -> None:
    """Linked on Telegram and Discord, a person got the per-minute limit on each app:
    twice the requests a minute of anyone else. One person, one limit."""
    from tests.test_link import DC, TG, link

    await link(core, maker=TG, joiner=DC)
    core.settings.rate.per_minute = 4
    answers = [
        await core.respond(message(f"note {i}", **(TG if i % 2 else DC)))  # type: ignore[arg-type]
        for i in range(8)
    ]
    refusals = [r for rs in answers for r in rs if r.is_error]
    assert len(refusals) == 1 and "4 requests a minute" in refusals[0].text
    assert sum(1 for rs in answers if rs and not rs[-1].is_error) == 4
    # The daily quota was already the person's: two requests on two apps spend it.
    core.settings.rate.per_minute = 0
    core.settings.telegram.daily_quota = core.settings.discord.daily_quota = 2
    assert not (await ask(core, "one", **TG)).is_error  # type: ignore[arg-type]
    assert not (await ask(core, "two", **DC)).is_error  # type: ignore[arg-type]
    refused = (await ask(core, "three", **TG)).text  # type: ignore[arg-type]
    assert "today's 2 requests (on all your linked apps together)" in refused


async def test_a_refused_request_adds_nothing_to_the_days_count(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quota 1: Alice's /caption in a group was still being written when her DM question
    was refused; then the caption failed and gave its count back. But the refusal had
    been counted too, so she stayed refused with nothing answered all day."""
    core.settings.telegram.daily_quota = 1
    spec = core.registry.get("caption")
    assert spec is not None
    writing, fail = asyncio.Event(), asyncio.Event()

    async def failing(ctx: Context) -> AsyncIterator[Outgoing]:
        writing.set()
        await fail.wait()
        raise LLMUnavailable()
        yield  # pragma: no cover

    monkeypatch.setitem(core.registry._commands, "caption", replace(spec, handler=failing))
    alice = {"platform": "telegram", "user": "111"}
    in_group = asyncio.create_task(ask(core, "/caption a tram", chat="-100", group=True, **alice))
    await writing.wait()
    assert "today's 1 request" in (await ask(core, "a question", chat="111", **alice)).text
    fail.set()
    assert "try again in a minute" in (await in_group).text
    again = await ask(core, "a question", chat="111", **alice)
    assert not again.is_error, again.text


async def test_a_message_handed_over_again_after_a_restart_still_needs_access(
    settings: Settings,
) -> None:
    """A message Telegram hands over again after a crash skipped every check: the owner
    had removed its sender from the allowed users before restarting, and it was answered
    anyway. Access is checked again (the quota is not counted twice: test_recovery)."""
    from tests.test_recovery import RecordingOutbox, cut_off, telegram

    await cut_off(settings, telegram("SLOW first"))
    settings.telegram.allowed_users = ["222"]  # 111 is no longer allowed
    core = await Core.create(settings)
    core.attach("telegram", RecordingOutbox())
    answering = asyncio.create_task(core.respond(telegram("SLOW first")))  # handed again
    await core.start()
    try:
        (refused,) = await answering
    finally:
        await core.close()
    assert refused.is_error and "this Muse is private" in refused.text
