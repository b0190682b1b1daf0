"""Slash commands, the message command, buttons and the /style modal, end to end:
the real discord.py client against the fake Discord."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from adapters.discord import DiscordAdapter
from adapters.discord_commands import CONTEXT_MENU_REMIX
from bot.core import Core
from bot.errors import LLMUnavailable
from bot.llm.engine import Answer
from bot.llm.fake import ScriptedChatModel
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_payloads import EPHEMERAL, FakeInteraction

DEFER, DEFER_UPDATE, MODAL = 5, 6, 9


def buttons(message: dict) -> list[dict]:
    return [c for row in message["components"] for c in row["components"]]


def finished(i: FakeInteraction, needle: str) -> bool:
    return needle in i.text() and "✍️" not in i.text()


async def test_caption_is_deferred_then_streamed_with_buttons(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    i = await fake.send_slash(
        "caption", {"description": "our new pixel-art roguelike trailer", "platform": "x"}
    )
    await fake.wait_for(lambda: finished(i, "captions for X"))
    assert i.callback_types == [DEFER]  # acknowledged first, answered by editing
    assert not i.callbacks[0].get("data", {}).get("flags", 0) & EPHEMERAL  # public
    original = i.original
    assert original is not None and not original["flags"] & EPHEMERAL
    assert original["edits"] >= 1
    labels = [b["label"] for b in buttons(original)]
    assert {"Shorter", "More like this", "Pick ✓"} <= set(labels)
    assert len(original["components"]) <= 5
    assert all(len(row["components"]) <= 5 for row in original["components"])
    # Stable custom ids: the encoded Action of each draft.
    assert any(b["custom_id"].startswith("m:rx:") for b in buttons(original))


async def test_button_press_remixes_the_draft(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    i = await fake.send_slash("caption", {"description": "a rainy tram ride in Lisbon"})
    await fake.wait_for(lambda: finished(i, "captions for"))
    assert i.original is not None
    shorter = next(b for b in buttons(i.original) if b["label"] == "Shorter")
    press = await fake.press_button(shorter["custom_id"], i.original)
    await fake.wait_for(lambda: finished(press, "#4"))
    assert press.callback_types == [DEFER]
    assert "shorter" in press.text().lower()
    assert i.original["content"].startswith("3 captions")  # the drafts stay in place


async def test_pick_button_and_foreign_draft(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    i = await fake.send_slash("caption", {"description": "sunset over the harbour"}, dm=True)
    await fake.wait_for(lambda: finished(i, "captions for"))
    assert i.original is not None
    pick = next(b for b in buttons(i.original) if b["label"] == "Pick ✓")
    mine = await fake.press_button(pick["custom_id"], i.original)
    await fake.wait_for(lambda: "Picked #1" in mine.text())
    # Someone else pressing a button on a DM draft they don't own: ephemeral explanation.
    other = await fake.press_button(pick["custom_id"], i.original, user="mallory")
    await fake.wait_for(lambda: other.followups)
    assert "can't find draft #1" in other.text() or "gone" in other.text()
    assert other.followups[-1]["flags"] & EPHEMERAL
    assert other.original is not None and other.original.get("deleted")
    # A button whose draft no longer exists.
    gone = {"type": 2, "style": 2, "label": "Remix #9999", "custom_id": "m:rx:9999:"}
    row = {"type": 1, "components": [gone]}
    stale = await fake.press_button("m:rx:9999:", {**i.original, "components": [row]})
    await fake.wait_for(lambda: stale.followups)
    assert "That draft is gone" in stale.text()
    assert stale.followups[-1]["flags"] & EPHEMERAL


async def test_context_menu_remix(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    target = fake.make_message(
        fake.channel_id, fake.user(name="bob"), {"content": "We shipped the beta tonight"}
    )
    i = await fake.send_context_menu(CONTEXT_MENU_REMIX, target)
    await fake.wait_for(lambda: finished(i, "We shipped the beta tonight"))
    assert i.callback_types == [DEFER]
    assert i.original is not None and not i.original["flags"] & EPHEMERAL
    # Someone's "#1" is their words, not Muse's draft #1 (which exists by now).
    bob = fake.make_message(
        fake.channel_id, fake.user(name="bob"), {"content": "Voted the #1 brunch spot in Porto!"}
    )
    j = await fake.send_context_menu(CONTEXT_MENU_REMIX, bob)
    await fake.wait_for(lambda: finished(j, "Remix"))
    assert "brunch spot in Porto" in j.text() and "Remix from #1" not in j.text()
    # A post that is all embed (a link preview) is remixed from the embed's words.
    card = fake.make_message(
        fake.channel_id,
        fake.user(name="bob"),
        {"embeds": [{"type": "rich", "description": "Tram 28 timetable changes on Monday"}]},
    )
    k = await fake.send_context_menu(CONTEXT_MENU_REMIX, card)
    await fake.wait_for(lambda: finished(k, "Remix"))
    assert "Tram 28 timetable changes on Monday" in k.text()


async def test_long_answer_is_split_at_boundaries(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, model: ScriptedChatModel
) -> None:
    core.settings.llm.chat_max_tokens = 2000  # a budget this long answer fits in
    paragraphs = [f"Paragraph {n}. " + ("Sentence words here. " * 24).strip() for n in range(10)]
    model.enqueue("\n\n".join(paragraphs))
    assert len("\n\n".join(paragraphs)) > 5000
    i = await fake.send_message("tell me a long story", dm=True)
    channel = fake.dm_channels[i["author"]["id"]]

    def answered() -> list[dict]:
        # Done when the answer's last words are out (its parts go in order); a lost
        # ending times out here. A count of parts would race the last one.
        sent = fake.bot_messages(channel)
        done = sent and "✍️" not in sent[0]["content"]
        return sent if done and sent[-1]["content"].rstrip().endswith(paragraphs[-1]) else []

    sent = await fake.wait_for(answered)
    assert all(len(m["content"]) <= 2000 for m in sent)
    joined = "\n\n".join(m["content"] for m in sent)
    for paragraph in paragraphs:
        assert paragraph in joined  # nothing lost, no paragraph cut mid-way
    assert all(m["content"].rstrip().endswith(".") for m in sent)


async def test_long_slash_answer_uses_followups(
    adapter: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    model.enqueue("1. " + "Hook words that go on and on. " * 200)
    i = await fake.send_slash("remix", {"text": "long post"})
    await fake.wait_for(lambda: i.followups and "✍️" not in i.text())
    assert all(len(m["content"]) <= 2000 for m in i.visible())
    assert len(i.visible()) >= 2


async def test_export_is_an_ephemeral_json_file(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    i = await fake.send_slash("export")
    await fake.wait_for(lambda: i.original and i.original["attachments"])
    assert i.callbacks[0]["data"]["flags"] & EPHEMERAL
    assert i.original is not None and i.original["flags"] & EPHEMERAL
    (attachment,) = i.original["attachments"]
    assert attachment["filename"] == "muse-export.json"
    assert "drafts" in json.loads(attachment["data"])


async def test_private_commands_are_ephemeral(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    history = await fake.send_slash("history")
    forget = await fake.send_slash("forget")
    await fake.wait_for(lambda: finished(history, "Nothing here yet"))
    await fake.wait_for(lambda: finished(forget, "Sure?"))
    for i in (history, forget):
        assert i.original is not None and i.original["flags"] & EPHEMERAL
    assert forget.original is not None
    (confirm,) = buttons(forget.original)
    press = await fake.press_button(confirm["custom_id"], forget.original)
    await fake.wait_for(lambda: "I no longer know you" in forget.original["content"])  # type: ignore[index]
    assert press.callback_types == [DEFER_UPDATE]
    assert forget.original["components"] == []  # the confirm button is gone


async def test_llm_failure_is_a_short_ephemeral_error(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, model: ScriptedChatModel
) -> None:
    core.llm.settings.max_retries = 0
    model.enqueue(*[LLMUnavailable("connection refused")] * 5)
    i = await fake.send_slash("caption", {"description": "a tram ride"})
    await fake.wait_for(lambda: i.followups)
    assert "unreachable" in i.text()
    assert i.followups[-1]["flags"] & EPHEMERAL
    assert i.original is not None and i.original.get("deleted")  # public "thinking" removed
    # The client is still alive: the next command works.
    ok = await fake.send_slash("help")
    await fake.wait_for(lambda: finished(ok, "/caption"))


async def test_bad_input_is_ephemeral(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    i = await fake.send_slash("remix", {"text": "#9999"})
    await fake.wait_for(lambda: i.followups)
    assert "can't find draft #9999" in i.text()
    assert i.followups[-1]["flags"] & EPHEMERAL


async def test_style_opens_a_modal_and_saves(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    opened = await fake.send_slash("style")
    await fake.wait_for(lambda: opened.modal)
    assert opened.callback_types == [MODAL]
    assert opened.modal is not None
    fields = [c["custom_id"] for row in opened.modal["components"] for c in row["components"]]
    assert fields == ["voice", "audience", "platforms", "avoid"]
    submit = await fake.submit_modal(opened, {"voice": "warm, witty", "platforms": "instagram, x"})
    await fake.wait_for(lambda: finished(submit, "Saved"))
    assert submit.original is not None and submit.original["flags"] & EPHEMERAL
    assert "warm, witty" in submit.text() and "Audience: —" in submit.text()
    # Options still work without the form.
    direct = await fake.send_slash("style", {"audience": "indie devs"})
    await fake.wait_for(lambda: finished(direct, "indie devs"))
    assert "warm, witty" in direct.text()
    # An option can't be empty: "-" (or "reset") clears its field.
    cleared = await fake.send_slash("style", {"voice": "-"})
    await fake.wait_for(lambda: finished(cleared, "Saved"))
    assert "Voice: — · Audience: indie devs" in cleared.text()
    # The form says so, and does the same.
    form = await fake.send_slash("style")
    await fake.wait_for(lambda: form.modal)
    assert form.modal is not None and form.modal["title"] == "Your style (blank keeps, - clears)"
    emptied = await fake.submit_modal(form, {"audience": "-"})
    await fake.wait_for(lambda: finished(emptied, "Saved"))
    assert "Audience: —" in emptied.text() and "Platforms: instagram, x" in emptied.text()


async def test_free_argument_commands(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    cap = await fake.send_slash("caption", {"description": "new mug design"})
    await fake.wait_for(lambda: finished(cap, "captions for"))
    pick = await fake.send_slash("pick", {"draft": "#2"})
    await fake.wait_for(lambda: finished(pick, "Picked #2"))


async def test_expired_token_falls_back_to_a_channel_message(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.expire_after_ack = True  # as if the model took longer than the token's 15 minutes
    i = await fake.send_slash("brainstorm", {"topic": "cozy game devlog"})
    posted = await fake.wait_for(lambda: fake.bot_messages())
    assert i.callback_types == [DEFER]
    assert "cozy game devlog" in posted[0]["content"]


async def test_a_token_that_expires_mid_answer_leaves_no_half_answer(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Words were streaming into the response when its 15 minutes ran out (a long queue
    on the embedded model): the half answer ending in ✍️ must not stay for good."""
    halfway = asyncio.Event()

    async def slow(answer: Answer) -> AsyncIterator[str]:
        for n, hook in enumerate(("Desk tour", "Coffee ritual", "Cable chaos", "Plant corner")):
            answer.text += f"{n + 1}. Hook: {hook} | Angle: story | Format: reel\n"
            yield answer.text
            if n == 1:
                await halfway.wait()

    monkeypatch.setattr(core.llm, "answer", lambda *args, **kwargs: Answer(slow))
    i = await fake.send_slash("brainstorm", {"topic": "studio tour"})
    await fake.wait_for(lambda: i.original and "✍️" in i.original["content"])
    i.expired = True  # the interaction's token dies here
    halfway.set()
    await fake.wait_for(lambda: "Plant corner" in fake.messages[i.original["id"]]["content"])
    assert i.original is not None and not i.original["content"].endswith("✍️")
    # The whole answer (4 of the 5 a /brainstorm asks for, and a line saying so).
    assert "\n4 ideas for “studio tour”" in i.original["content"]
    assert not fake.bot_messages()  # the answer took the half answer's place: no copy


async def test_expired_private_answer_goes_to_dm_not_channel(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.expire_after_ack = True
    i = await fake.send_slash("history")
    user = i.payload["member"]["user"]["id"]
    dm = await fake.wait_for(lambda: fake.bot_messages(fake.dm_channels.get(user, "-")))
    assert "Nothing here yet" in dm[0]["content"]
    assert not fake.bot_messages()  # never in the public channel


async def test_rate_limits_are_retried_not_dropped(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.rate_limits = 3
    i = await fake.send_slash("caption", {"description": "latte art"})
    await fake.wait_for(lambda: finished(i, "captions for"))
    assert fake.rate_limited == 3
    await fake.send_message("and a mention", dm=True)
    channel = fake.dm_channels[fake.user(name="alice")["id"]]
    await fake.wait_for(lambda: fake.bot_messages(channel))


async def test_daily_quota_refusal_is_ephemeral(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core
) -> None:
    core.settings.discord.daily_quota = 1
    first = await fake.send_slash("caption", {"description": "fresh bread"})
    await fake.wait_for(lambda: finished(first, "captions for"))
    free = await fake.send_slash("help")  # /help is free on every platform
    await fake.wait_for(lambda: finished(free, "/caption"))
    second = await fake.send_slash("brainstorm", {"topic": "bakery bread"})
    await fake.wait_for(lambda: second.followups)
    assert "today's 1 request" in second.text()
    assert second.followups[-1]["flags"] & EPHEMERAL


async def test_past_the_rate_limit_no_thinking_is_left_behind(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core
) -> None:
    """One "Easy there" line, then silence: and silence must not look like an answer
    still coming ("Muse is thinking…" for good)."""
    core.settings.rate.per_minute = 2
    for n in range(2):
        i = await fake.send_slash("caption", {"description": f"tram {n}"})
        await fake.wait_for(lambda i=i: finished(i, "captions for"))
    warned = await fake.send_slash("caption", {"description": "tram 3"})
    await fake.wait_for(lambda: "Easy there" in warned.text())
    silent = await fake.send_slash("caption", {"description": "tram 4"})
    await fake.wait_for(lambda: silent.original is not None and silent.original.get("deleted"))
    assert not silent.text() and not silent.followups


async def test_a_command_discord_has_but_muse_no_longer_knows(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    i = await fake.send_slash("oldcommand", {"x": "1"})  # synced by an older Muse
    await fake.wait_for(lambda: i.callbacks)
    assert i.callback_types == [4]
    assert i.callbacks[0]["data"]["flags"] & EPHEMERAL
    assert "changed" in i.callbacks[0]["data"]["content"]
    ok = await fake.send_slash("help")  # and the client goes on
    await fake.wait_for(lambda: finished(ok, "/caption"))


async def test_a_button_muse_cannot_read_gets_an_answer(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    odd = {"type": 2, "style": 2, "label": "?", "custom_id": "m:zz:1:"}
    message = fake.make_message(
        fake.channel_id,
        fake.bot,
        {"content": "old", "components": [{"type": 1, "components": [odd]}]},
    )
    press = await fake.press_button("m:zz:1:", message)
    await fake.wait_for(lambda: press.callbacks)
    assert press.callback_types == [4] and press.callbacks[0]["data"]["flags"] & EPHEMERAL
    assert "doesn't work any more" in press.callbacks[0]["data"]["content"]


async def test_a_forged_button_gets_one_clear_line(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    i = await fake.send_slash("help", {})
    await fake.wait_for(lambda: finished(i, "Here is what I can do"))
    assert i.original is not None
    for custom_id in ("m:pk:²:", "m:pk:٣:", "m:zz:1:"):
        forged = {"type": 2, "style": 2, "label": "Pick", "custom_id": custom_id}
        message = {**i.original, "components": [{"type": 1, "components": [forged]}]}
        press = await fake.press_button(custom_id, message)
        await fake.wait_for(lambda p=press: p.callbacks)  # type: ignore[misc]
        assert "doesn't work any more" in press.callbacks[0]["data"]["content"]
        assert press.callbacks[0]["data"]["flags"] & EPHEMERAL


async def test_a_double_click_on_forget_keeps_the_first_answer(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core
) -> None:
    cap = await fake.send_slash("caption", {"description": "new mug design"}, dm=True)
    await fake.wait_for(lambda: finished(cap, "captions for"))
    forget = await fake.send_slash("forget", dm=True)
    await fake.wait_for(lambda: finished(forget, "Sure?"))
    assert forget.original is not None
    shown = dict(forget.original)  # the message as the client still shows it
    (confirm,) = buttons(shown)
    first = await fake.press_button(confirm["custom_id"], shown)
    second = await fake.press_button(confirm["custom_id"], shown)  # before the edit lands
    await fake.wait_for(lambda: second.followups)
    # What was deleted stays on screen, not "I deleted 0 drafts, 0 messages".
    assert "I deleted 3 drafts, 2 messages" in forget.original["content"]
    assert first.callback_types == second.callback_types == [DEFER_UPDATE]
    assert "already" in second.text() and second.followups[-1]["flags"] & EPHEMERAL
    alice = fake.user(name="alice")["id"]
    assert await core.memory.find_user("discord", alice) is None  # and nothing made anew


async def test_help_over_two_messages_keeps_each_command_with_its_description(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    """/help is longer than one Discord message: the cut fell between "/style […]" and
    its indented description, which opened the second message on its own."""
    helped = await fake.send_slash("help")
    # Its last words, in the last part: "/caption" is in the first, shown before the rest.
    await fake.wait_for(lambda: finished(helped, "I remember your style and recent drafts."))
    parts = [m["content"] for m in helped.visible()]
    assert len(parts) > 1
    # Each part but the last ends on a description (indented), not on a command's line.
    assert all(part.splitlines()[-1].startswith("    ") for part in parts[:-1]), parts
