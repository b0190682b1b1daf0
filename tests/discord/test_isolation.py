"""Issue #11: drafts, history and style made in a Discord channel are reachable only from
that channel (and by their author in DMs) — not from another channel of the same
server, not with a forged custom_id, not through a private thread."""

from __future__ import annotations

from typing import Any

from adapters.discord import DiscordAdapter
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_payloads import EPHEMERAL, FakeInteraction


def finished(i: FakeInteraction, needle: str) -> bool:
    return needle in i.text() and "✍️" not in i.text()


def refused(i: FakeInteraction) -> bool:
    """The answer is an ephemeral "not yours" line."""
    text = i.text()
    return bool(i.followups) and ("can't find draft" in text or "That draft is gone" in text)


async def caption_in(fake: FakeDiscord, channel: str | None, *, dm: bool = False) -> list[int]:
    """alice asks for captions there; the ids of the drafts shown."""
    i = await fake.send_slash(
        "caption", {"description": "our secret launch teaser"}, channel=channel, dm=dm
    )
    await fake.wait_for(lambda: finished(i, "captions for"))
    assert i.original is not None
    picks = [
        b["custom_id"]
        for row in i.original["components"]
        for b in row["components"]
        if b["custom_id"].startswith("m:pk:")
    ]
    return [int(p.split(":")[2]) for p in picks]


def forged(fake: FakeDiscord, channel: str, custom_id: str) -> dict[str, Any]:
    """A Muse message in `channel` whose button was edited to carry another draft's id
    (what a modified client could send)."""
    button = {"type": 2, "style": 2, "label": "Pick ✓", "custom_id": custom_id}
    body = {"content": "3 captions", "components": [{"type": 1, "components": [button]}]}
    return fake.make_message(channel, fake.bot, body)


async def test_another_channel_cannot_reach_a_private_channels_drafts(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core
) -> None:
    team = await fake.add_channel("team-private")
    ids = await caption_in(fake, team)
    secret = ids[0]
    # mallory, in #general of the same server, guesses the sequential ids.
    for name, options in (
        ("pick", {"draft": f"#{secret}"}),
        ("more", {"draft": f"#{secret}"}),
        ("remix", {"text": f"#{secret}"}),
    ):
        i = await fake.send_slash(name, options, user="mallory")
        await fake.wait_for(lambda i=i: refused(i))
        assert i.followups[-1]["flags"] & EPHEMERAL
        assert "launch teaser" not in i.text()
    history = await fake.send_slash("history", user="mallory")
    await fake.wait_for(lambda: finished(history, "Nothing here yet"))
    # Forged buttons in #general carrying the private draft's id: every verb refused.
    for verb in ("pk", "mo", "rx", "sh", "cp"):
        custom_id = f"m:{verb}:{secret}:"
        press = await fake.press_button(
            custom_id, forged(fake, fake.channel_id, custom_id), user="mallory"
        )
        await fake.wait_for(lambda press=press: refused(press))
        assert "launch teaser" not in press.text()
    draft = await core.memory.draft(secret)
    assert draft is not None and draft.status == "new"  # the forged pick changed nothing
    # Not even alice, its author, brings it into another channel of the server.
    own = await fake.send_slash("pick", {"draft": f"#{secret}"})
    await fake.wait_for(lambda: refused(own))
    # In its own channel it works for anyone there.
    here = await fake.send_slash("pick", {"draft": f"#{secret}"}, channel=team, user="bob")
    await fake.wait_for(lambda: finished(here, f"Picked #{secret}"))


async def test_the_author_reaches_a_channel_draft_from_dms(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    team = await fake.add_channel("team-private")
    ids = await caption_in(fake, team)
    mine = await fake.send_slash("pick", {"draft": f"#{ids[1]}"}, dm=True)
    await fake.wait_for(lambda: finished(mine, f"Picked #{ids[1]}"))
    theirs = await fake.send_slash("pick", {"draft": f"#{ids[1]}"}, dm=True, user="mallory")
    await fake.wait_for(lambda: refused(theirs))
    # A DM draft stays private: its author can't pull it into a channel either.
    dm_ids = await caption_in(fake, None, dm=True)
    there = await fake.send_slash("pick", {"draft": f"#{dm_ids[0]}"})
    await fake.wait_for(lambda: refused(there))


async def test_history_and_style_belong_to_the_channel(
    adapter: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    team = await fake.add_channel("team-private")
    style = await fake.send_slash("style", {"voice": "deadpan noir"}, channel=team)
    await fake.wait_for(lambda: finished(style, "Saved"))
    await fake.send_message("our codename is Bluebird", channel=team)
    await fake.wait_for(lambda: [m for m in fake.bot_messages(team) if "✍️" not in m["content"]])
    # #general: no style, no history, no drafts of #team.
    shown = await fake.send_slash("style", {}, user="mallory")
    await fake.wait_for(lambda: shown.modal)  # no style options: the form opens
    general = await fake.send_slash("caption", {"description": "a cat"}, user="mallory")
    await fake.wait_for(lambda: finished(general, "captions for"))
    assert "deadpan noir" not in model.last_prompt()
    await fake.send_message("what is our codename?", user="mallory")
    await fake.wait_for(lambda: [m for m in fake.bot_messages() if "✍️" not in m["content"]])
    assert "Bluebird" not in model.last_prompt()
    # …while #team keeps both.
    await fake.send_message("remind me of the codename", channel=team)
    await fake.wait_for(
        lambda: len([m for m in fake.bot_messages(team) if "✍️" not in m["content"]]) == 2
    )
    assert "Bluebird" in model.last_prompt()
    again = await fake.send_slash("caption", {"description": "a dog"}, channel=team)
    await fake.wait_for(lambda: finished(again, "captions for"))
    assert "deadpan noir" in model.last_prompt()


async def test_public_threads_share_their_channel_private_threads_do_not(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    ids = await caption_in(fake, fake.channel_id)
    public = await fake.add_thread(fake.channel_id, "launch chat")
    private = await fake.add_thread(fake.channel_id, "just us", private=True)
    inside = await fake.send_slash("pick", {"draft": f"#{ids[0]}"}, channel=public, user="bob")
    await fake.wait_for(lambda: finished(inside, f"Picked #{ids[0]}"))
    hidden = await caption_in(fake, private)
    out = await fake.send_slash("pick", {"draft": f"#{ids[1]}"}, channel=private, user="bob")
    await fake.wait_for(lambda: refused(out))
    back = await fake.send_slash("pick", {"draft": f"#{hidden[0]}"}, user="bob")
    await fake.wait_for(lambda: refused(back))
