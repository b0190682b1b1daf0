"""/forget covers a request still waiting in the Telegram adapter's own line for its
conversation (it keeps one before the core, so a message recorded in the inbox is not
lost while an earlier answer is written): it finishes first and is deleted with the rest,
never stored afterwards under a person Muse no longer knows."""

from __future__ import annotations

import pytest

from tests.helpers import held_until_forget_waits
from tests.telegram.conftest import Harness, final

GROUP = -100500
ANN = 222


async def test_forget_waits_for_a_request_queued_in_the_adapters_line(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ann's caption is being written in the team group and her /brainstorm waits in the
    adapter's line behind it when she sends /forget confirm in private. The brainstorm
    ran after the delete and stored its drafts and turn under a brand-new Ann."""
    fake, core = tg.fake, tg.core
    held = held_until_forget_waits(core, monkeypatch, queued="/brainstorm")
    ann = fake.user(ANN, "ann", "Ann")
    group = fake.group(GROUP)
    await fake.push_message("/caption@muse_test_bot our launch party", chat=group, user=ann)
    await held.writing.wait()
    await fake.push_message("/brainstorm@muse_test_bot launch party games 3", chat=group, user=ann)
    await held.queued.wait()
    await fake.push_message("/forget confirm", user=ann)

    done = await final(fake, ANN, "Done — I deleted")
    assert "6 drafts" in done.text, done.text  # the caption's 3 and the brainstorm's 3
    assert await core.memory.find_user("telegram", str(ANN)) is None  # not back
    team = await core.memory.find_user("telegram", f"chat:{GROUP}")
    assert team is not None
    assert await core.memory.drafts(team) == []
