"""Bad input and failures: always one clear line, never a crash or silence."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.llm.userdata import CLOSE, OPEN
from bot.messages import Attachment, Progress, Reply
from tests.helpers import ask, message


async def test_unknown_command(core: Core) -> None:
    reply = await ask(core, "/frobnicate now")
    assert reply.text == "I don't know /frobnicate — send /help to see what I can do."


async def test_huge_message_is_cut_with_a_notice(core: Core, model: ScriptedChatModel) -> None:
    reply = await ask(core, "/caption " + "a very long description " * 4500)  # ~100 KB
    assert "first 4000 characters" in reply.text
    assert len(reply.drafts) == 3
    assert len(model.last_prompt()) < 20_000


async def test_binary_junk_gets_a_clear_reply(core: Core) -> None:
    reply = await ask(core, "\x00\x01\x02\x03\x04\x05\x06\x07")
    assert reply.is_error and "binary" in reply.text
    assert (await ask(core, "/help")).text.startswith("Here is what I can do")


async def test_unsupported_attachment_is_explained(core: Core) -> None:
    reply = await ask(core, attachments=(Attachment("sticker"),))
    assert "sticker" in reply.text and "text and photos" in reply.text


async def test_photo_without_vision_uses_the_text_and_says_so(core: Core) -> None:
    photo = Attachment("image", data=b"\xff\xd8fake-jpeg", mime="image/jpeg")
    reply = await ask(core, "/caption sunset at the pier", attachments=(photo,))
    assert "only your text" in reply.text and len(reply.drafts) == 3
    bare = await ask(core, attachments=(photo,))
    assert bare.is_error and "add a few words" in bare.text


async def test_llm_down_gives_a_friendly_line_with_a_ref_in_the_log(
    core: Core, model: ScriptedChatModel, caplog: pytest.LogCaptureFixture
) -> None:
    core.llm.settings.max_retries = 1
    model.enqueue(ConnectionError("down"), ConnectionError("still down"))
    with caplog.at_level(logging.WARNING):
        reply = await ask(core, "/caption a bridge")
    assert reply.is_error and reply.text.startswith("My writing engine is unreachable")
    ref = re.search(r"\(ref ([0-9a-f]{4})\)", reply.text)
    assert ref and ref.group(1) in caplog.text


async def test_unexpected_failure_is_one_line_not_a_traceback(
    core: Core, model: ScriptedChatModel, caplog: pytest.LogCaptureFixture
) -> None:
    model.enqueue(ZeroDivisionError("bug"))
    with caplog.at_level(logging.ERROR):
        reply = await ask(core, "hello")
    assert reply.text.startswith("Something went wrong on my side") and "\n" not in reply.text
    assert "Traceback" not in reply.text
    ref = re.search(r"ref ([0-9a-f]{4})", reply.text)
    assert ref and ref.group(1) in caplog.text and "ZeroDivisionError" in caplog.text
    assert (await ask(core, "/help")).text  # still alive


class GatedModel(ScriptedChatModel):
    """Holds any prompt mentioning 'SLOW' until released: a slow LLM call. `started` is
    set once the first prompt has reached it."""

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        self.__dict__["release"] = asyncio.Event()
        self.__dict__["started"] = asyncio.Event()
        self.__dict__["seen"] = []

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        self.__dict__["started"].set()
        # The person's words, without the data tags they reach the model in.
        text = str(messages[-1].content).removeprefix(OPEN).removesuffix(CLOSE)
        self.__dict__["seen"].append(text)
        if "SLOW" in text:
            await self.__dict__["release"].wait()
        yield ChatGenerationChunk(message=AIMessageChunk(content=f"answer to {text}"))


async def test_slow_conversation_does_not_delay_another_and_order_is_kept(settings: Any) -> None:
    model = GatedModel()
    core = await Core.create(settings, model=model)
    try:
        slow = asyncio.create_task(core.respond(message("SLOW one", chat="a")))
        queued = asyncio.create_task(core.respond(message("second in a", chat="a")))
        other = await asyncio.wait_for(core.respond(message("hi from b", chat="b")), 10)
        assert other[-1].text == "answer to hi from b"
        assert not slow.done() and not queued.done()
        assert "second in a" not in model.__dict__["seen"]  # waits its turn
        model.__dict__["release"].set()
        first, second = await asyncio.wait_for(asyncio.gather(slow, queued), 10)
        assert first[-1].text == "answer to SLOW one"
        assert second[-1].text == "answer to second in a"
    finally:
        await core.close()


async def test_in_a_group_members_do_not_wait_for_each_other(settings: Any) -> None:
    """A group is many people: one member's slow request holds up only their own next
    one, and the group's conversation reports itself busy meanwhile."""
    model = GatedModel()
    core = await Core.create(settings, model=model)
    try:
        ana = {"chat": "g", "group": True, "user": "ana"}
        slow = asyncio.create_task(core.respond(message("SLOW from ana", **ana)))
        queued = asyncio.create_task(core.respond(message("ana again", **ana)))
        ben = await asyncio.wait_for(
            core.respond(message("hi from ben", chat="g", group=True, user="ben")), 10
        )
        assert ben[-1].text == "answer to hi from ben"
        assert core.busy(message("anyone", chat="g", group=True, user="cai"))
        assert "ana again" not in model.__dict__["seen"]  # ana's own order holds
        model.__dict__["release"].set()
        first, second = await asyncio.wait_for(asyncio.gather(slow, queued), 10)
        assert [first[-1].text, second[-1].text] == [
            "answer to SLOW from ana",
            "answer to ana again",
        ]
        assert not core.busy(message("anyone", chat="g", group=True, user="cai"))
    finally:
        await core.close()


async def test_answers_stream_as_progress_before_the_final_reply(core: Core) -> None:
    outs = [o async for o in core.handle(message("tell me something about tram photos"))]
    progress = [o for o in outs if isinstance(o, Progress)]
    assert len(progress) >= 2 and isinstance(outs[-1], Reply)
    assert progress[-1].text.strip() == outs[-1].text
