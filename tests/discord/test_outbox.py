"""Discord as the core's outbox (post, edit, open_thread, is_admin, link) and the
button replies group sessions need: a vote's toast, the "Add idea" form."""

from __future__ import annotations

import pytest

from adapters.discord import DiscordAdapter
from bot.core import Core
from bot.messages import Action, Button, Reply, SessionKey
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_payloads import EPHEMERAL
from tests.discord.scripted import script_core


def general(fake: FakeDiscord) -> SessionKey:
    return SessionKey("discord", fake.channel_id)


def labels(message: dict) -> list[str]:
    return [c["label"] for row in message["components"] for c in row["components"]]


async def test_post_as_a_reply_and_edit_text_and_buttons(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    asked = fake.make_message(fake.channel_id, fake.user(name="bob"), {"content": "idea?"})
    vote = Button("👍 0", Action("vote", 7))
    (mid,) = await adapter.post(
        general(fake), Reply("#7 Desk tour", buttons=((vote,),)), reply_to=asked["id"]
    )
    message = fake.messages[mid]
    assert message["message_reference"]["message_id"] == asked["id"]
    assert labels(message) == ["👍 0"]
    counted = Reply("#7 Desk tour", buttons=((Button("👍 3", Action("vote", 7)),),))
    assert await adapter.edit(general(fake), mid, counted)
    assert labels(message) == ["👍 3"] and message["content"] == "#7 Desk tour"
    closed = Reply("#7 Desk tour — voting closed")
    assert await adapter.edit(general(fake), mid, closed)
    assert message["components"] == [] and message["content"].endswith("closed")
    assert not await adapter.edit(general(fake), "123456", closed)  # no such message


async def test_open_thread_and_post_into_it(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    key = await adapter.open_thread(general(fake), "💡 Cozy game devlog")
    assert key is not None and key.chat_id == fake.channel_id  # it belongs to its channel
    (thread,) = fake.threads
    assert thread["id"] == key.thread_id and thread["type"] == 11  # public
    assert thread["name"] == "💡 Cozy game devlog" and thread["parent_id"] == fake.channel_id
    (mid,) = await adapter.post(key, Reply("Session open until 18:00"))
    assert fake.messages[mid]["channel_id"] == thread["id"]
    assert adapter.link(key) == f"<#{thread['id']}>"
    assert adapter.link(key, mid) == (
        f"https://discord.com/channels/{fake.guild_id}/{thread['id']}/{mid}"
    )
    anchor = fake.make_message(fake.channel_id, fake.bot, {"content": "Vote here"})
    from_message = await adapter.open_thread(general(fake), "💡 Names", anchor=anchor["id"])
    assert from_message is not None and from_message.thread_id == anchor["id"]


async def test_open_thread_refused_is_none(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    fake.forbidden_channels.add(fake.channel_id)  # no Create Public Threads there
    assert await adapter.open_thread(general(fake), "💡 Anything") is None
    dm = fake.dm_channel(fake.user(name="alice"))
    assert await adapter.open_thread(SessionKey("discord", dm), "💡 Anything") is None
    assert not fake.threads


async def test_is_admin_from_interaction_or_lookup(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    bob, carol = fake.user(name="bob"), fake.user(name="carol")
    fake.moderators.update({bob["id"], carol["id"]})
    for name in ("alice", "bob"):
        i = await fake.send_slash("help", user=name)
        await fake.wait_for(lambda i=i: "/caption" in i.text())
    lookups = len(fake.calls)
    assert await adapter.is_admin(general(fake), bob["id"])
    assert not await adapter.is_admin(general(fake), fake.user(name="alice")["id"])
    assert len(fake.calls) == lookups  # both known from their interactions
    # carol never used Muse: asked of Discord (her roles give Manage Threads).
    assert await adapter.is_admin(general(fake), carol["id"])
    assert any(c.path.endswith(f"/members/{carol['id']}") for c in fake.calls)
    assert not await adapter.is_admin(general(fake), fake.user(name="dave")["id"])
    dm = fake.dm_channel(bob)
    assert not await adapter.is_admin(SessionKey("discord", dm), bob["id"])


async def test_vote_is_acknowledged_silently_with_a_private_toast(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = script_core(core, monkeypatch, lambda msg: [Reply("Vote counted: #7 👍 3", toast=True)])
    vote = Button("👍 2", Action("vote", 7))
    (mid,) = await adapter.post(general(fake), Reply("#7 Desk tour", buttons=((vote,),)))
    press = await fake.press_button("m:vt:7:", fake.messages[mid], user="bob")
    await fake.wait_for(lambda: press.followups)
    assert press.callback_types == [6]  # no "thinking…" message for a vote
    (toast,) = press.followups
    assert toast["flags"] & EPHEMERAL and "Vote counted" in toast["content"]
    assert seen[0].action == Action("vote", 7) and seen[0].session == general(fake)
    assert len(fake.bot_messages()) == 1  # nothing public was added


async def test_toast_after_thinking_and_an_empty_reply(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {"riff": [Reply("Riffing on #7 in the thread", toast=True)], "more": [Reply("")]}
    script_core(core, monkeypatch, lambda msg: answers[msg.action.verb if msg.action else ""])
    buttons = ((Button("🔀 Riff", Action("riff", 7)), Button("More", Action("more", 7))),)
    (mid,) = await adapter.post(general(fake), Reply("#7 Desk tour", buttons=buttons))
    riff = await fake.press_button("m:rf:7:", fake.messages[mid])
    await fake.wait_for(lambda: riff.followups)
    assert riff.followups[0]["flags"] & EPHEMERAL
    assert riff.original is not None and riff.original.get("deleted")  # no public leftover
    more = await fake.press_button("m:mo:7:", fake.messages[mid])
    await fake.wait_for(lambda: more.original and more.original.get("deleted"))
    assert not more.followups  # done elsewhere: the "thinking…" simply goes away


async def test_add_idea_opens_a_form_whose_text_becomes_slash_idea(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = script_core(core, monkeypatch, lambda msg: [Reply("💡 #8 by bob: " + msg.text[6:])])
    key = await adapter.open_thread(general(fake), "💡 Studio tour")
    assert key is not None
    add = Button("💡 Add idea", Action("idea", 3))
    (mid,) = await adapter.post(key, Reply("Session #3 is open", buttons=((add,),)))
    press = await fake.press_button("m:ai:3:", fake.messages[mid], user="bob")
    await fake.wait_for(lambda: press.modal)
    assert press.callback_types == [9]  # the form is the first and only response
    assert not seen
    submit = await fake.submit_modal(
        press, {"idea": "  a time-lapse\nof the whole day "}, user="bob"
    )
    await fake.wait_for(lambda: "#8" in submit.text())
    (incoming,) = seen
    assert incoming.text == "/idea a time-lapse of the whole day"
    assert incoming.session == key  # in the session's thread…
    assert incoming.reply_to_id == mid  # …answering the message whose button opened it
    assert submit.original is not None and not submit.original["flags"] & EPHEMERAL
