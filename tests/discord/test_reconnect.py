"""Issue #11: a dropped gateway connection comes back by itself — resumed (events sent
meanwhile are not lost), re-identified when Discord won't resume, and retried with
backoff while the gateway is down — and Muse keeps answering."""

from __future__ import annotations

from adapters.discord import DiscordAdapter
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_payloads import FakeInteraction


def answered(i: FakeInteraction) -> bool:
    return "/caption" in i.text()


async def test_resumes_and_answers_what_came_while_disconnected(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.hold_gateway()  # Discord unreachable for a moment
    await fake.drop_connection()
    await fake.wait_for(lambda: not fake.connected)
    meanwhile = await fake.send_slash("help")  # kept by Discord for the session
    fake.release_gateway()
    await fake.wait_for(lambda: answered(meanwhile), limit_s=30)
    assert fake.resumed == 1 and len(fake.identified) == 1  # resumed, not a new session
    after = await fake.send_slash("help", user="bob")
    await fake.wait_for(lambda: answered(after))


async def test_identifies_again_when_the_session_cannot_resume(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.resumable = False
    await fake.drop_connection()
    # discord.py tries to RESUME, the fake refuses, and it identifies afresh — through
    # the configured gateway, not discord.gg.
    await fake.wait_for(lambda: len(fake.identified) == 2, limit_s=30)
    i = await fake.send_slash("help")
    await fake.wait_for(lambda: answered(i))


async def test_retries_with_backoff_while_the_gateway_is_down(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.refuse_connections = 2
    await fake.drop_connection()
    await fake.wait_for(lambda: fake.connected and fake.refused == 2, limit_s=60)
    assert fake.refuse_connections == 0 and fake.resumed == 1
    i = await fake.send_slash("help")
    await fake.wait_for(lambda: answered(i))
