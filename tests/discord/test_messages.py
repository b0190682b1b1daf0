"""@mentions in a channel and DMs: chat with memory, threads when busy, and failures
that must not take the client down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters import base, discord_reply
from adapters.discord import DiscordAdapter
from bot.core import Core
from bot.llm.engine import Answer
from bot.llm.fake import ScriptedChatModel
from bot.messages import Incoming, Reply, SessionKey
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_payloads import EPHEMERAL, LOADING


def gate_model(core: Core, monkeypatch: pytest.MonkeyPatch) -> tuple[asyncio.Event, list[int]]:
    """Hold the first model call until the returned event is set."""
    gate, calls = asyncio.Event(), [0]
    original: Callable[..., Answer] = core.llm.answer

    def held(*args: Any, **kwargs: Any) -> Answer:
        calls[0] += 1
        hold, inner = calls[0] == 1, original(*args, **kwargs)

        async def produce(outer: Answer) -> AsyncIterator[str]:
            if hold:
                await gate.wait()
            async for text in inner:
                outer.text = text
                yield text
            outer.truncated, outer.provider = inner.truncated, inner.provider

        return Answer(produce)

    monkeypatch.setattr(core.llm, "answer", held)
    return gate, calls


def done(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if "✍️" not in m["content"]]


async def test_mention_in_channel_replies_with_memory(
    adapter: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    asked = await fake.send_message("we launch the beta on friday")
    (reply,) = await fake.wait_for(lambda: done(fake.bot_messages()))
    assert reply["message_reference"]["message_id"] == asked["id"]  # a reply to the user
    assert "we launch the beta on friday" in reply["content"]
    assert f"<@{fake.bot['id']}>" not in model.last_prompt()  # the mention is stripped
    await fake.send_message("what day was the launch again?")
    await fake.wait_for(lambda: len(done(fake.bot_messages())) == 2)
    assert "we launch the beta on friday" in model.last_prompt()  # remembered
    # Messages that don't mention the bot are ignored: a channel's messages are answered
    # in order, so by the time the next mention is answered, any answer to it would show.
    aside = await fake.send_message("just chatting among ourselves", mention=False)
    later = await fake.send_message("and the venue?")

    def done_replies() -> list[dict[str, Any]]:
        return [m for m in done(fake.bot_messages()) if m.get("message_reference")]

    def replied_to(message_id: str) -> bool:
        return any(m["message_reference"]["message_id"] == message_id for m in done_replies())

    await fake.wait_for(lambda: replied_to(later["id"]))
    assert not replied_to(aside["id"]) and len(done(fake.bot_messages())) == 3


async def test_typing_goes_alongside_the_work_and_lands_before_the_answer(
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    model: ScriptedChatModel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mention's "Muse is typing…" is sent while Muse works on the answer, not before:
    the model is asked while Discord has yet to confirm it. The answer waits for it to
    land, or Discord would show "typing…" under the answer."""
    monkeypatch.setattr(base, "TYPING_LANDS_S", 60.0)  # as long as the test holds it
    fake.typing_held = asyncio.Event()
    await fake.send_message("we launch the beta on friday")
    await fake.wait_for(lambda: model.calls and any(c.path.endswith("/typing") for c in fake.calls))
    assert not fake.typing_landed  # the model did not wait for Discord's answer
    with contextlib.suppress(AssertionError):  # an answer that doesn't wait would post now
        await fake.wait_for(fake.bot_messages, limit_s=1.0)
    fake.typing_held.set()
    await fake.wait_for(lambda: done(fake.bot_messages()) and fake.typing_landed)
    posted = next(
        i for i, c in enumerate(fake.calls) if c.method == "POST" and c.path.endswith("/messages")
    )
    assert fake.typing_landed[0] <= posted


async def test_dm_chat_is_separate_from_the_guild(
    adapter: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    await fake.send_message("my secret DM plan", dm=True)
    channel = fake.dm_channels[fake.user(name="alice")["id"]]
    (reply,) = await fake.wait_for(lambda: done(fake.bot_messages(channel)))
    assert "my secret DM plan" in reply["content"]
    await fake.send_message("what was my plan?")  # in the guild channel
    await fake.wait_for(lambda: done(fake.bot_messages()))
    assert "my secret DM plan" not in model.last_prompt()


async def test_a_message_keeps_its_line_breaks(
    adapter: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel
) -> None:
    # A new line separates /style's fields, and a pasted post's paragraphs reach the model.
    await fake.send_message("/style voice: warm, witty\naudience: travel lovers", dm=True)
    channel = fake.dm_channels[fake.user(name="alice")["id"]]
    (styled,) = await fake.wait_for(lambda: done(fake.bot_messages(channel)))
    assert "Voice: warm, witty ·" in styled["content"]
    assert "Audience: travel lovers" in styled["content"]
    await fake.send_message("a draft for tomorrow:\n\nLine one.\nLine two.")  # in #general
    await fake.wait_for(lambda: done(fake.bot_messages()))
    assert "a draft for tomorrow:\n\nLine one.\nLine two." in model.last_prompt()


async def test_busy_channel_answers_in_a_thread(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, calls = gate_model(core, monkeypatch)
    first = await fake.send_message("first question")
    await fake.wait_for(lambda: calls[0] == 1)  # the channel is mid-answer
    await fake.send_message("second question")
    await fake.wait_for(lambda: fake.threads)
    thread = fake.threads[0]
    assert thread["parent_id"] == fake.channel_id
    in_thread = await fake.wait_for(lambda: done(fake.bot_messages(thread["id"])))
    assert "second question" in in_thread[0]["content"]
    gate.set()
    (reply,) = await fake.wait_for(lambda: done(fake.bot_messages()))
    assert reply["message_reference"]["message_id"] == first["id"]
    assert "first question" in reply["content"]


async def test_slow_model_is_deferred_and_streamed(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, started = asyncio.Event(), asyncio.Event()

    async def slow(answer: Answer) -> AsyncIterator[str]:
        started.set()
        await gate.wait()  # a model that has not produced a word yet
        hooks = ("Desk tour", "Coffee ritual", "Cable chaos", "Plant corner", "Night shift")
        for n in range(40):
            await asyncio.sleep(0.02)
            answer.text += (
                f"{n + 1}. Hook: {hooks[n]} | Angle: story | Format: reel\n" if n < 5 else " "
            )
            yield answer.text

    monkeypatch.setattr(core.llm, "answer", lambda *args, **kwargs: Answer(slow))
    i = await fake.send_slash("brainstorm", {"topic": "studio tour"})
    await asyncio.wait_for(started.wait(), 10)
    assert i.callback_types == [5]  # acknowledged before the model said anything
    assert i.original is not None and i.original["flags"] & LOADING  # "Muse is thinking…"
    gate.set()
    await fake.wait_for(lambda: "ideas for" in i.text())
    history = i.original["history"]
    assert [h for h in history if h.endswith("✍️")], "text was shown while it streamed"
    assert len(history) < 40  # edits are throttled, not one per token


async def test_forbidden_channel_does_not_crash(
    adapter: DiscordAdapter, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.forbidden_channels.add(fake.channel_id)
    await fake.send_message("hello?")
    await fake.wait_for(
        lambda: any(c.path.startswith(f"/channels/{fake.channel_id}/messages") for c in fake.calls)
    )
    await fake.wait_for(lambda: "missing permission" in caplog.text)
    assert not fake.bot_messages()
    channel = await fake.wait_for(lambda: fake.dm_channels.get(fake.user(name="alice")["id"]))
    (note,) = await fake.wait_for(lambda: fake.bot_messages(channel))
    assert "Send Messages permission" in note["content"]  # told privately, not silently dropped
    await fake.send_message("still there?", dm=True)  # the client survived
    await fake.wait_for(lambda: len(done(fake.bot_messages(channel))) == 2)


async def test_private_command_by_mention_goes_to_dm(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    await fake.send_message("/export")
    channel = await fake.wait_for(lambda: fake.dm_channels.get(fake.user(name="alice")["id"]))
    (dm,) = await fake.wait_for(lambda: fake.bot_messages(channel))
    assert dm["attachments"][0]["filename"] == "muse-export.json"
    (note,) = await fake.wait_for(lambda: fake.bot_messages())
    assert "DM" in note["content"] and "muse-export" not in str(note["attachments"])
    # Bob's DMs are closed: what he asks for is done all the same, and he is told so.
    bob = fake.user(name="bob")
    fake.forbidden_channels.add(fake.dm_channel(bob))
    await fake.send_message("/style voice: dry, precise", user="bob")
    (_, closed) = await fake.wait_for(lambda: fake.bot_messages()[1:] and fake.bot_messages())
    assert "can't DM you" in closed["content"] and "already made" in closed["content"]
    fake.forbidden_channels.clear()
    await fake.send_message("/style", user="bob")  # the channel's style, as he set it
    (shown,) = await fake.wait_for(lambda: fake.bot_messages(fake.dm_channel(bob)))
    assert "Voice: dry, precise" in shown["content"]


async def test_post_sends_a_notice_and_returns_its_id(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    session = SessionKey("discord", fake.guild_id, fake.channel_id)
    ids = await adapter.post(session, Reply("Maintenance at 5pm"))
    (notice,) = await fake.wait_for(lambda: fake.bot_messages())
    assert notice["content"] == "Maintenance at 5pm" and not notice["flags"] & EPHEMERAL
    assert ids == [str(notice["id"])]


async def test_no_token_or_user_text_in_info_logs(
    adapter: DiscordAdapter, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_text = "my unreleased album title Zebra Tuesday"
    await fake.send_message(secret_text)
    await fake.wait_for(lambda: done(fake.bot_messages()))
    i = await fake.send_slash("caption", {"description": secret_text})
    await fake.wait_for(lambda: "captions" in i.text())
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not [m for m in info if fake.token in m or "Zebra Tuesday" in m]


async def test_typing_shows_again_while_the_first_words_are_slow(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord shows "Muse is typing…" for ~10 s: while the first words take longer (a
    model server retried, a queue), it is sent again, so Muse never looks gone; it stops
    with the answer."""
    monkeypatch.setattr(discord_reply, "TYPING_EVERY_S", 0.01)
    gate, _ = gate_model(core, monkeypatch)

    def calls() -> list[str]:
        return ["typing" if c.path.endswith("/typing") else c.method for c in fake.calls]

    await fake.send_message("we launch the beta on friday")
    await fake.wait_for(lambda: calls().count("typing") >= 3)
    gate.set()
    await fake.wait_for(lambda: done(fake.bot_messages()))
    # Back to a real pace: at every 0.01 s, the next answer's own "typing…" would repeat
    # for as long as a loaded machine takes to write it. So the next answer shows one
    # "typing…", and any more between the two answers would come from the first's loop.
    monkeypatch.setattr(discord_reply, "TYPING_EVERY_S", 60.0)
    await fake.send_message("and the venue?")
    await fake.wait_for(lambda: len(done(fake.bot_messages())) == 2)
    between = calls()[calls().index("POST") : len(calls()) - calls()[::-1].index("POST")]
    assert between.count("typing") <= 1


async def test_a_long_answer_arrives_whole_before_the_next_one(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice asks for something long (three messages' worth), then at once for /help: the
    long answer's parts used to be split by /help's, which went out in between."""
    assert isinstance(core.llm.model, ScriptedChatModel)
    core.llm.model.enqueue("\n\n".join(f"Part {n}: " + "tram " * 150 for n in range(6)))
    route, handle, receive = fake._route, core.handle, core.receive
    help_sent, help_waits, handled = asyncio.Event(), asyncio.Event(), set()

    async def slow_discord(method: str, p: list[str], body: Any, files: Any) -> Any:
        text = str((body or {}).get("content") or "")
        help_sent.set() if text.startswith("Here is what I can do") else None
        if text.startswith("Part 0") and "✍️" not in text:  # until /help went out, or waits
            await asyncio.wait(
                [asyncio.ensure_future(e.wait()) for e in (help_sent, help_waits)],
                return_when=asyncio.FIRST_COMPLETED,
            )
        return await route(method, p, body, files)

    def handing(msg: Incoming, entry: Any = None) -> Any:
        handled.add(msg.text)
        return handle(msg, entry)

    def received(msg: Incoming) -> Any:
        help_waits.set() if msg.text == "/help" and msg.text not in handled else None
        return receive(msg)

    monkeypatch.setattr(fake, "_route", slow_discord)
    monkeypatch.setattr(core, "handle", handing)
    monkeypatch.setattr(core, "receive", received)
    await fake.send_message("tell me everything about trams", dm=True)
    await fake.send_message("/help", dm=True)
    channel = fake.dm_channels[fake.user(name="alice")["id"]]
    sent = await fake.wait_for(lambda: len(got := done(fake.bot_messages(channel))) >= 5 and got)
    assert [m["content"][:6] for m in sent][:3] == ["Part 0", "Part 2", "Part 4"]
    assert sent[3]["content"].startswith("Here is what I can do")


async def test_a_long_chinese_answer_is_split_after_its_sentences(
    adapter: DiscordAdapter, fake: FakeDiscord, model: ScriptedChatModel, core: Core
) -> None:
    """Chinese has no space after a sentence's 。: a long answer was cut at the 2000th
    character, mid-word, though every sentence had an end to cut at."""
    core.settings.llm.chat_max_tokens = 5000
    chinese = "".join(f"第{n}班电车在清晨的阳光里慢慢驶过老城。" for n in range(300))
    model.enqueue(chinese)
    await fake.send_message("讲讲老城的电车", dm=True)
    channel = fake.dm_channels[fake.user(name="alice")["id"]]
    await fake.wait_for(
        lambda: any("第299班" in m["content"] for m in done(fake.bot_messages(channel)))
    )
    parts = [m["content"] for m in done(fake.bot_messages(channel))]
    assert len(parts) > 1 and all(len(p) <= 2000 and p.endswith("老城。") for p in parts)
    assert "".join(parts) == chinese
