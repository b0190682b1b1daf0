"""Groups, supergroups and forum topics: answer only when addressed, in the same topic,
as a reply to the asking message; personal answers go to a private chat."""

from __future__ import annotations

from bot.messages import Incoming, SessionKey
from tests.telegram.conftest import Harness, Held, final, partial

GROUP = -100500


async def test_mention_answered_chatter_ignored(tg: Harness, seen: list[Incoming]) -> None:
    fake = tg.fake
    group = fake.group(GROUP)
    await fake.push_message("lunch anyone?", chat=group)
    await fake.push_message("/help@other_bot", chat=group)
    asking = await fake.push_message("@muse_test_bot ideas for our Friday stream?", chat=group)
    answer = await final(fake, GROUP, "Noted:")
    assert len(seen) == 1 and len(fake.messages(GROUP)) == 1
    msg = seen[0]
    assert msg.text == "ideas for our Friday stream?" and msg.is_group
    assert msg.session == SessionKey("telegram", str(GROUP))
    assert answer.reply_to == asking["message_id"] and answer.thread_id is None

    # A reply to Muse's own message needs no mention; a reply to someone else's does.
    other = await fake.push_message("nice", chat=group, user=fake.user(222, "bob", "Bob"))
    await fake.push_message("I agree", chat=group, reply_to=other["message_id"])
    await fake.push_message("make it shorter", chat=group, reply_to=answer.message_id)
    await final(fake, GROUP, "Noted: make it shorter")
    assert [m.text for m in seen] == ["ideas for our Friday stream?", "make it shorter"]
    assert seen[1].reply_to_text == answer.text


async def test_commands_with_and_without_bot_name(tg: Harness, seen: list[Incoming]) -> None:
    fake = tg.fake
    group = fake.group(GROUP)
    await fake.push_message("/help@muse_test_bot", chat=group)
    await final(fake, GROUP, "Here is what I can do")
    await fake.push_message("/caption our new pixel-art trailer for x", chat=group)
    answer = await final(fake, GROUP, "3 captions for X")
    assert [m.text for m in seen] == ["/help", "/caption our new pixel-art trailer for x"]
    # Group buttons work for members: the drafts belong to the group.
    await fake.press_button(answer, "Pick ✓", user=fake.user(222, "bob", "Bob"))
    await final(fake, GROUP, "Picked #1 ✓")


async def test_a_command_typed_after_the_mention_is_that_command(
    tg: Harness, seen: list[Incoming]
) -> None:
    """ "hey @muse /caption a sunset" was chat ("Noted: …"), not captions; a command
    right after Muse's mention is now that command, in a group and in private. A command
    word later in a sentence to Muse is still chat."""
    fake = tg.fake
    group = fake.group(GROUP)
    await fake.push_message("hey @muse_test_bot /caption a sunset over the bay for x", chat=group)
    await final(fake, GROUP, "3 captions for X")
    await fake.push_message("@muse_test_bot what do you think of /caption?", chat=group)
    await final(fake, GROUP, "Noted: what do you think of /caption?")
    await fake.push_message("hi @muse_test_bot, /caption a sunset for x")
    await final(fake, 111, "3 captions for X")
    assert [m.text for m in seen] == [
        "/caption a sunset over the bay for x",
        "what do you think of /caption?",
        "/caption a sunset for x",
    ]


async def test_forum_topic_keeps_its_thread(tg: Harness, seen: list[Incoming], held: Held) -> None:
    fake = tg.fake
    forum = fake.group(GROUP, forum=True)
    asking = await fake.push_message("/caption a cosy stream setup", chat=forum, thread_id=77)
    writing = await partial(fake, GROUP)  # a slow answer shows its words in the topic too
    assert writing.thread_id == 77 and writing.reply_to == asking["message_id"]
    held.release.set()
    answer = await final(fake, GROUP, "3 captions")
    assert answer.message_id == writing.message_id
    assert seen[0].session == SessionKey("telegram", str(GROUP), "77")
    assert answer.thread_id == 77 and answer.reply_to == asking["message_id"]
    await fake.press_button(answer, "Shorter")
    remix = await final(fake, GROUP, "Remix from #")
    assert remix.thread_id == 77


async def test_an_anonymous_admin_is_told_why_muse_cannot_answer(
    tg: Harness, seen: list[Incoming]
) -> None:
    """An admin with "Remain anonymous" on writes as the group: Telegram sends it from a
    stand-in bot, with no person Muse could remember or answer privately."""
    fake = tg.fake
    group = fake.group(GROUP)
    anonymous = fake.user(1087968824, "GroupAnonymousBot", "Group") | {"is_bot": True}
    as_group = {"sender_chat": group}
    await fake.push_message("lunch anyone?", chat=group, user=anonymous, extra=as_group)
    await fake.push_message("/help@other_bot", chat=group, user=anonymous, extra=as_group)
    asking = await fake.push_message("/help", chat=group, user=anonymous, extra=as_group)
    told = await final(fake, GROUP, "Remain anonymous")
    assert told.reply_to == asking["message_id"]
    await fake.push_message("/help", chat=group)  # a member as themself: answered
    await final(fake, GROUP, "Here is what I can do")
    assert len(fake.messages(GROUP)) == 2 and [m.text for m in seen] == ["/help"]


async def test_personal_answers_go_to_a_private_chat(tg: Harness) -> None:
    fake = tg.fake
    group = fake.group(GROUP)
    await fake.push_message("/style voice: bold, playful", chat=group)
    await final(fake, GROUP, "I sent that to you in a private chat")
    saved = await final(fake, 111, "Saved")
    assert saved.text.startswith("Saved for the group you asked in. Voice: bold, playful")

    fake.blocked.add(222)  # Bob never opened a chat with the bot
    bob = fake.user(222, "bob", "Bob")
    await fake.push_message("/export", chat=group, user=bob)
    await final(fake, GROUP, "open a chat with @muse_test_bot")
    assert not any(m.document for m in fake.sent)
    # What he asks for is done all the same, and the group is told so, not to redo it.
    await fake.push_message("/style voice: dry, precise", chat=group, user=bob)
    notes = await fake.wait_for(
        lambda: [m.text for m in fake.messages(GROUP) if "open a chat" in m.text][1:]
    )
    assert "change you asked for is already made" in notes[0]
    fake.blocked.discard(222)  # once he can be reached: the group's style was set
    await fake.push_message("/style", chat=group, user=bob)
    assert "Voice: dry, precise" in (await final(fake, 222, "Voice:")).text


async def test_chatter_reaches_muse_unaddressed_when_telegram_delivers_it(
    tg: Harness, seen: list[Incoming]
) -> None:
    """Privacy mode off (or Muse an admin): plain group messages reach the core marked
    unaddressed; Muse answers nothing, asks no model and fetches no photo."""
    fake = tg.fake
    fake.privacy = False
    group = fake.group(GROUP)
    bob = fake.user(222, "bob", "Bob")
    first = await fake.push_message("what about a behind-the-scenes reel?", chat=group, user=bob)
    await fake.push_message("love it", chat=group, reply_to=first["message_id"])
    await fake.push_message("our set", chat=group, user=bob, photo=b"jpeg bytes")
    await fake.push_message("@muse_test_bot what do you think?", chat=group)
    await final(fake, GROUP, "Noted: what do you think?")
    assert [(m.text, m.addressed) for m in seen] == [
        ("what about a behind-the-scenes reel?", False),
        ("love it", False),
        ("our set", False),
        ("what do you think?", True),
    ]
    assert seen[1].reply_to_id == str(first["message_id"]) and seen[1].reply_to_text
    assert seen[2].attachments[0].kind == "image" and seen[2].attachments[0].data is None
    assert not fake.of("getFile") and len(tg.model.calls) == 1
    assert len(fake.messages(GROUP)) == 1 and not fake.of("sendChatAction")


async def test_an_admin_bot_gets_chatter_even_in_privacy_mode(
    tg: Harness, seen: list[Incoming]
) -> None:
    fake = tg.fake
    group = fake.group(GROUP)
    await fake.push_message("before Muse was admin", chat=group)
    fake.make_bot_admin(GROUP)
    await fake.push_message("after", chat=group)
    await fake.push_message("/help", chat=group)
    await final(fake, GROUP, "Here is what I can do")
    assert [(m.text, m.addressed) for m in seen] == [("after", False), ("/help", True)]


async def test_replies_carry_the_replied_message_id(tg: Harness, seen: list[Incoming]) -> None:
    fake = tg.fake
    group = fake.group(GROUP)
    bob = fake.user(222, "bob", "Bob")
    other = await fake.push_message("a post draft about trams", chat=group, user=bob)
    await fake.push_message("/remix for x", chat=group, reply_to=other["message_id"])
    muse = await final(fake, GROUP, "Remix for X")
    await fake.push_message("shorter please", chat=group, reply_to=muse.message_id)
    await final(fake, GROUP, "Noted: shorter please")
    assert [m.reply_to_id for m in seen] == [str(other["message_id"]), str(muse.message_id)]
    assert all(m.addressed for m in seen)


async def test_in_a_topic_the_creation_notice_is_not_a_reply(
    tg: Harness, seen: list[Incoming]
) -> None:
    """Telegram makes every topic message "reply" to the topic's creation notice:
    that is no reply to anyone (and no reason for Muse to answer)."""
    fake = tg.fake
    fake.privacy = False
    forum = fake.group(GROUP, forum=True)
    topic = fake.topic(forum, "Friday stream")
    await fake.push_message("a plain idea in the topic", chat=forum, thread_id=topic)
    await fake.push_message("/help", chat=forum, thread_id=topic)
    help_msg = await final(fake, GROUP, "Here is what I can do")
    await fake.push_message("thanks!", chat=forum, thread_id=topic, reply_to=help_msg.message_id)
    await final(fake, GROUP, "Noted: thanks!")
    assert [(m.addressed, m.reply_to_id) for m in seen] == [
        (False, None),
        (True, None),
        (True, str(help_msg.message_id)),
    ]
    assert {m.session for m in seen} == {SessionKey("telegram", str(GROUP), str(topic))}


async def test_the_groups_style_and_drafts_sent_privately_say_whose_they_are(
    tg: Harness,
) -> None:
    """/style, /history and /novelty in a group are about the group's memory, but their
    answers go to the member's private chat: "Saved. Voice: hype" there read as the
    member's own style (which /caption in that chat then didn't use)."""
    fake = tg.fake
    group = fake.group(GROUP)
    await fake.push_message("/caption a dog on the beach", chat=group)
    await final(fake, GROUP, "3 captions")
    for command, answer in [
        ("/style voice: hype", "Saved for the group you asked in. Voice: hype"),
        ("/style", "The style of the group you asked in"),
        ("/history", "Latest drafts of the group you asked in"),
        ("/novelty", "Variety of the last 3 drafts of the group you asked in"),
    ]:
        await fake.push_message(command, chat=group)
        await final(fake, 111, answer)
    await fake.push_message("/style")  # in the private chat: their own, still unset
    await final(fake, 111, "No style set yet")


async def test_a_sticker_or_gif_in_reply_to_muse_is_a_reaction_not_a_request(
    tg: Harness, seen: list[Incoming]
) -> None:
    """Members answer Muse's drafts with a 👍 sticker or a GIF: that is no request, and
    "I can't use stickers yet" to the whole group would be noise."""
    fake = tg.fake
    group = fake.group(GROUP)
    await fake.push_message("/caption a tram for x", chat=group)
    drafts = await final(fake, GROUP, "3 captions")
    bob = fake.user(222, "bob", "Bob")
    sticker = {"file_id": "st1", "file_unique_id": "st1u", "type": "regular", "emoji": "👍"}
    sticker |= {"width": 512, "height": 512, "is_animated": False, "is_video": False}
    gif = {"file_id": "gif1", "file_unique_id": "gif1u", "width": 320, "height": 240}
    gif |= {"duration": 2, "mime_type": "video/mp4", "file_name": "clap.mp4"}
    for extra in ({"sticker": sticker}, {"animation": gif, "document": gif}):
        await fake.push_message(chat=group, user=bob, reply_to=drafts.message_id, extra=extra)
    await fake.push_message("love #2", chat=group, user=bob, reply_to=drafts.message_id)
    await final(fake, GROUP, "Noted: love #2")
    assert [m.addressed for m in seen] == [True, False, False, True]
    assert len(fake.messages(GROUP)) == 2


async def test_continue_in_a_group_goes_on_with_the_askers_own_answer(tg: Harness) -> None:
    """Alice's answer stopped at the length limit and says "send /continue"; Bob's, sent
    meanwhile, stopped too. Her /continue is about her answer, not the group's latest."""
    fake = tg.fake
    group = fake.group(GROUP)
    tg.core.settings.llm.chat_max_tokens = 20  # about 80 characters
    story = "@muse_test_bot the whole story of tram 28, stop by stop, from Martim Moniz on"
    await fake.push_message(story, chat=group)
    await final(fake, GROUP, "length limit stopped me")
    bob = fake.user(222, "bob", "Bob")
    other = "@muse_test_bot every bakery on the way to Belém, with their opening hours"
    await fake.push_message(other, chat=group, user=bob)
    await fake.wait_for(lambda: len(fake.messages(GROUP)) == 2)
    asked = await fake.push_message("/continue", chat=group)
    more = await fake.wait_for(
        lambda: next((m for m in fake.messages(GROUP) if m.reply_to == asked["message_id"]), None)
    )
    assert more.text.startswith("…Noted: the whole story of tram 28")


async def test_a_mention_leaves_no_stray_space_or_comma(tg: Harness, seen: list[Incoming]) -> None:
    """ "what do you think @muse_test_bot?" reached the model as "what do you think ?", and
    "@muse_test_bot, ideas…" as ", ideas…"."""
    fake = tg.fake
    group = fake.group(GROUP)
    await fake.push_message("what do you think @muse_test_bot?", chat=group)
    await final(fake, GROUP, "Noted:")
    await fake.push_message("@muse_test_bot, ideas for Friday", chat=group)
    await fake.wait_for(lambda: len(seen) == 2)
    assert [m.text for m in seen] == ["what do you think?", "ideas for Friday"]


async def test_a_command_typed_without_a_space_before_japanese_words(
    tg: Harness, seen: list[Incoming]
) -> None:
    """Japanese and Chinese put no space between words, and Telegram reads
    "/brainstorm東京の朝" as the command /brainstorm and its words (it highlights it so):
    Muse took the whole line for chat, and in a group answered it as a conversation."""
    fake = tg.fake
    group = fake.group(GROUP)
    await fake.push_message("/brainstorm東京の朝 3", chat=group)
    await final(fake, GROUP, "3 ideas for “東京の朝”")
    await fake.push_message("/caption@muse_test_bot　雨の日の路面電車", chat=group)  # a wide space
    await final(fake, GROUP, "3 captions for Instagram")
