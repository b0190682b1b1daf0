"""Brainstorm sessions where Muse lacks a right it needs: to open a thread, to post in
the threads it opens, to post in the channel at all. The session runs where Muse can
post, or it doesn't start and one line says why — never "Something went wrong", an
empty thread, or a session nobody can see that blocks the channel."""

from __future__ import annotations

from adapters.discord import DiscordAdapter
from bot.llm.fake import ScriptedChatModel
from tests.discord.fake_discord import FakeDiscord
from tests.discord.test_sessions import done, ideas, start_session
from tests.session_kit import SEEDS


async def test_without_send_messages_in_threads_it_runs_in_the_channel(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    # Create Public Threads but not Send Messages in Threads: a thread would stay empty.
    await fake.deny_posts_in_threads(fake.channel_id)
    model.enqueue(SEEDS)
    i = await fake.send_slash("session", {"topic": "stream names"}, sub="start")
    await fake.wait_for(lambda: done(i))
    assert "went wrong" not in i.text()
    assert not fake.threads  # no empty thread left behind
    await fake.wait_for(lambda: len(ideas(fake, fake.channel_id)) == 3)
    opening, *seeds = fake.bot_messages()
    assert opening["content"].startswith("💡 Session #1 · stream names")
    assert all(s["message_reference"]["message_id"] == opening["id"] for s in seeds)


async def test_where_muse_cannot_post_no_session_is_left_to_block_the_channel(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    fake.no_threads.add(fake.channel_id)
    fake.forbidden_channels.add(fake.channel_id)  # slash commands work, posts don't
    i = await fake.send_slash("session", {"topic": "stream names"}, sub="start")
    # A private line: the public "thinking…" goes first, then the line comes as a
    # followup (done() would hold in between).
    await fake.wait_for(lambda: i.followups)
    assert "went wrong" not in i.text()
    assert "couldn't post" in i.text() and "didn't start" in i.text()
    assert i.followups[-1]["flags"] & 64  # only the starter sees it
    # An admin fixes the rights; the next start (another topic) is not told that a
    # session nobody can see "is already running here".
    fake.forbidden_channels.clear()
    model.enqueue(SEEDS)
    j = await fake.send_slash("session", {"topic": "merch ideas"}, sub="start")
    await fake.wait_for(lambda: len(ideas(fake, fake.channel_id)) == 3)
    await fake.wait_for(lambda: done(j))
    assert "already running" not in j.text()
    assert fake.bot_messages()[0]["content"].startswith("💡 Session #")
    assert "merch ideas" in fake.bot_messages()[0]["content"]


async def test_an_idea_muse_can_no_longer_post_is_not_kept_half_in(
    muse: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    """Muse's right to post in the session's thread is taken away mid-session: an idea
    was stored but never shown, its author got "Something went wrong", and sending it
    again was answered "already in as #4", with nothing there to vote on."""
    _, thread = await start_session(fake, model)
    fake.forbidden_channels.add(thread)
    i = await fake.send_slash("idea", {"text": "Retro Rain Radio"}, channel=thread, user="bob")
    await fake.wait_for(lambda: i.followups)  # a private line (see above)
    assert "went wrong" not in i.text() and "couldn't post your idea" in i.text()
    fake.forbidden_channels.clear()  # an admin gives the right back
    again = await fake.send_slash("idea", {"text": "Retro Rain Radio"}, channel=thread, user="bob")
    await fake.wait_for(lambda: done(again))
    assert "already in" not in again.text()
    await fake.wait_for(
        lambda: (
            [m["content"] for m in ideas(fake, thread).values()].count("#5 Retro Rain Radio — bob")
            == 1
        )
    )
