"""A brainstorm session whose forum topic an admin deleted before it ended: the summary
still reaches the group, in the chat the session was started from."""

from __future__ import annotations

from tests.session_kit import SUMMARY
from tests.telegram.conftest import final
from tests.telegram.test_sessions import FORUM, Team, forum_with_topics, start_in_forum, team

__all__ = ["team"]  # the fixture, shared with the other session tests


async def test_when_its_topic_is_deleted_the_summary_comes_in_the_chat_it_started_in(
    team: Team,
) -> None:
    fake = team.fake
    forum_with_topics(fake)
    topic = await start_in_forum(team)
    del fake.topics[(FORUM, topic)]  # an admin tidied the forum: "Delete topic"
    team.model.enqueue(SUMMARY)
    team.clock.advance(minutes=20)
    summary = await final(fake, FORUM, "— closed · 3 ideas, 0 votes")
    assert summary.thread_id is None  # General, where Alice started it
    assert "Themes: cozy evenings and retro radio" in summary.text
    # No link to the topic that is gone.
    assert not any(f"/{topic}" in m.text for m in fake.messages(FORUM) if "closed" in m.text)
