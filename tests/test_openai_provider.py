"""The openai provider end to end: the real Core, ChatOpenAI and LangChain's retry,
against a local fake OpenAI-compatible server (tests/fakes/openai_server.py)."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from langchain_core.messages import AIMessage

from bot.config import Settings, load_settings
from bot.core import Core
from bot.errors import LLMDeclined
from bot.llm.chains import finished
from bot.messages import Attachment, Progress, Reply
from tests.fakes.openai_server import (
    FakeOpenAI,
    Step,
    hang,
    rate_limited,
    reply,
    server_error,
    status,
    unauthorized,
)
from tests.helpers import ask, message

KEY = "sk-test-muse-1234"
REF_RE = re.compile(r"\(ref [0-9a-f]{4}\)")
CAPTION = "/caption a rainy morning in Lisbon for instagram"


@pytest.fixture
def openai_env(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    for key, value in {
        "MUSE_LLM__API_KEY": KEY,
        "MUSE_LLM__MODEL": "muse-test-model",
        "MUSE_LLM__TIMEOUT_S": "5",
        "MUSE_LLM__MAX_RETRIES": "2",
        "MUSE_LLM__RETRY_INITIAL_S": "0.01",
        "MUSE_LLM__RETRY_MAX_S": "0.05",
    }.items():
        monkeypatch.setenv(key, value)
    return server


@pytest.fixture
def settings(openai_env: FakeOpenAI) -> Settings:
    """The shared `core` fixture runs on these."""
    return load_settings()


async def test_streamed_captions_arrive_as_progress_then_reply(
    core: Core, server: FakeOpenAI
) -> None:
    await ask(core, "/style voice: dry humour, lowercase")
    outs = [out async for out in core.handle(message(CAPTION))]

    progress = [o for o in outs if isinstance(o, Progress)]
    final = outs[-1]
    assert isinstance(final, Reply) and not final.is_error
    assert len(progress) >= 3, "the answer should stream in several steps"
    assert len(final.drafts) == 3
    assert "Lisbon said sun. Lisbon lied." in final.text
    # Streamed text grows: each Progress holds everything so far.
    assert all(b.text.startswith(a.text) for a, b in itertools.pairwise(progress))

    (sent,) = server.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.streamed
    assert sent.json["model"] == "muse-test-model"
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    (system,) = sent.messages("system")
    assert "dry humour, lowercase" in system
    assert "a rainy morning in Lisbon" in sent.messages("user")[-1]


async def test_rate_limit_is_retried_and_the_user_gets_captions(
    core: Core, server: FakeOpenAI
) -> None:
    server.enqueue(rate_limited(retry_after=0))
    answer = await ask(core, CAPTION)

    assert not answer.is_error, answer.text
    assert len(answer.drafts) == 3
    first, retried = server.requests
    assert first.streamed
    # The retry is LangChain's with_retry around a plain (non-streaming) call.
    assert not retried.streamed
    assert retried.json["messages"] == first.json["messages"]


async def test_non_streaming_answer_after_server_errors(core: Core, server: FakeOpenAI) -> None:
    server.enqueue(server_error(), server_error(), reply("1. one\n2. two more\n3. three, finally"))
    answer = await ask(core, CAPTION)

    assert not answer.is_error, answer.text
    assert [d.text for d in answer.drafts] == ["one", "two more", "three, finally"]
    assert [r.streamed for r in server.requests] == [True, False, False]


async def test_persistent_errors_give_the_friendly_line(core: Core, server: FakeOpenAI) -> None:
    server.enqueue(*[server_error()] * 5)
    answer = await ask(core, CAPTION)

    assert answer.is_error
    assert "unreachable" in answer.text and REF_RE.search(answer.text)
    assert len(server.requests) == 3  # the streamed try + MUSE_LLM__MAX_RETRIES=2


async def test_timeout_gives_the_friendly_line(
    openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSE_LLM__TIMEOUT_S", "0.2")
    openai_env.enqueue(hang(30), hang(30), hang(30))
    core = await Core.create(load_settings())
    try:
        answer = await ask(core, CAPTION)
    finally:
        await core.close()

    assert answer.is_error
    assert answer.text.startswith("My writing engine is unreachable right now")
    assert REF_RE.search(answer.text)
    assert "Traceback" not in answer.text
    assert len(openai_env.requests) == 3  # the streamed try + 2 retries, each timed out


async def test_timeout_from_the_environment(
    openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSE_LLM__TIMEOUT_S", "0.2")
    monkeypatch.setenv("MUSE_LLM__MAX_RETRIES", "0")
    openai_env.enqueue(hang(30))
    core = await Core.create(load_settings())
    try:
        answer = await ask(core, "hello, any idea for today?")
    finally:
        await core.close()

    assert answer.is_error and "unreachable" in answer.text and REF_RE.search(answer.text)
    assert len(openai_env.requests) == 1  # max_retries=0: no second try


async def test_bad_key_is_refused_without_retrying(core: Core, server: FakeOpenAI) -> None:
    server.enqueue(unauthorized())
    answer = await ask(core, CAPTION)

    assert answer.is_error
    assert answer.text.startswith("My writing engine refused the request")
    assert REF_RE.search(answer.text)
    assert len(server.requests) == 1


async def test_free_chat_goes_through_the_server(core: Core, server: FakeOpenAI) -> None:
    server.enqueue(reply("Post the tram at golden hour, then ask: which line is yours?"))
    answer = await ask(core, "what should I post about Lisbon?")

    assert answer.text == "Post the tram at golden hour, then ask: which line is yours?"
    assert "what should I post about Lisbon?" in server.requests[0].messages("user")[-1]


async def test_a_reasoning_model_s_thinking_is_never_shown(core: Core, server: FakeOpenAI) -> None:
    # A server run without a reasoning parser puts the model's thinking in the content.
    server.enqueue(reply("<think>The user wants trams. Let me plan.</think>\n\nTry a tram reel."))
    outs = [out async for out in core.handle(message("what should I post about trams?"))]

    assert outs[-1].text == "Try a tram reel."
    assert not any("plan" in out.text or "think>" in out.text for out in outs)


async def test_thinking_split_across_chunks_is_held_back_until_it_closes() -> None:
    parse = finished("", remote=True)
    chunks = ["  <thi", "nk>Plan: be brief", ".</th", "ink>", "\n\n", "<3 Lisbon", " trams"]

    async def stream() -> AsyncIterator[str]:
        for chunk in chunks:
            yield chunk

    text = "".join([piece async for piece in parse.atransform(stream())])
    assert text.strip() == "<3 Lisbon trams"  # blanks around an answer are trimmed later


async def test_a_refusal_is_a_declined_answer_not_an_empty_one() -> None:
    refusal = AIMessage(content="", additional_kwargs={"refusal": "I can't help with that."})
    with pytest.raises(LLMDeclined):
        await finished("", remote=True).ainvoke(refusal)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def test_vision_sends_the_photo_as_an_image_url_part(
    openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSE_LLM__VISION", "true")
    core = await Core.create(load_settings())
    try:
        photo = Attachment("image", data=PNG, mime="image/png")
        replies = await core.respond(
            message("/caption sunset at the harbour", attachments=(photo,))
        )
    finally:
        await core.close()

    assert not replies[-1].is_error and len(replies[-1].drafts) == 3
    (sent,) = openai_env.requests
    parts = sent.messages("user")[-1]
    assert isinstance(parts, list)
    images = [p for p in parts if p["type"] == "image_url"]
    assert len(images) == 1
    assert images[0]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert any("sunset at the harbour" in p.get("text", "") for p in parts)


async def test_without_vision_only_the_text_is_used(core: Core, server: FakeOpenAI) -> None:
    photo = Attachment("image", data=PNG, mime="image/png")
    replies = await core.respond(message("/caption sunset at the harbour", attachments=(photo,)))

    assert "can't see images, so I used only your text" in replies[-1].text
    assert len(replies[-1].drafts) == 3
    (sent,) = server.requests
    assert isinstance(sent.messages("user")[-1], str)  # plain text, no image part
    assert "image_url" not in str(sent.json)


async def test_an_image_format_vision_models_refuse_is_named_not_blamed_on_settings(
    openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An iPhone photo sent as a file (HEIC) went to the server, which refuses any image
    but PNG, JPEG, WebP and GIF: the creator read "My writing engine refused the request
    (check the model settings)", about settings that are fine, and tried again in vain."""
    monkeypatch.setenv("MUSE_LLM__VISION", "true")
    core = await Core.create(load_settings())
    heic = Attachment("image", data=b"\x00\x00\x00\x18ftypheic", mime="image/heic")
    try:
        answer = (await core.respond(message("/caption", attachments=(heic,))))[-1]
        assert answer.is_error and "settings" not in answer.text
        assert "not HEIC" in answer.text and "JPEG" in answer.text
        assert not openai_env.requests  # nothing sent that the server can't read
        # With words, the words are used, and it says so.
        answer = (await core.respond(message("/caption our beach day", attachments=(heic,))))[-1]
        assert "not HEIC, so I used only your text" in answer.text and len(answer.drafts) == 3
        assert "image_url" not in str(openai_env.requests[-1].json)
    finally:
        await core.close()


async def test_a_photo_is_not_captioned_blind_by_a_fallback_that_can_t_see_it(
    openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vision server down, the offline fallback (which can't see images) captioned a
    photo sent alone as "the attached photo": confident captions about something else
    (a balcony garden, for a tram at dusk), with no word that the photo went unseen."""
    monkeypatch.setenv("MUSE_LLM__VISION", "true")
    monkeypatch.setenv("MUSE_LLM__MAX_RETRIES", "0")
    monkeypatch.setenv("MUSE_LLM__FALLBACK", "fake")
    core = await Core.create(load_settings())
    # A fallback that writes from words only, as the embedded model does (its prompts).
    core.llm.providers[1] = replace(core.llm.providers[1], style="completion")
    photo = Attachment("image", data=b"\xff\xd8\xff", mime="image/jpeg")
    try:
        openai_env.enqueue(*(server_error() for _ in range(4)))
        alone = (await core.respond(message("", attachments=(photo,))))[-1]
        assert alone.is_error and not alone.drafts
        assert "can't see photos" in alone.text and REF_RE.search(alone.text)
        # With words, the fallback's captions are welcome, said to be from the words.
        worded = await core.respond(message("/caption tram 28 at dusk", attachments=(photo,)))
        assert len(worded[-1].drafts) == 3
        assert "can't see images, so I used only your text" in worded[-1].text
    finally:
        await core.close()


@pytest.mark.parametrize(
    ("answer", "setting"),
    [
        (unauthorized(), "MUSE_LLM__API_KEY"),
        (status(403, "Project does not have access to this model"), "MUSE_LLM__API_KEY"),
        (status(404, 'model "muse-test-model" not found, try pulling it first'), "MUSE_LLM__MODEL"),
        (None, "MUSE_LLM__BASE_URL"),  # the address without /v1: nothing there (404)
    ],
)
async def test_a_refused_request_tells_the_admin_which_setting_to_check(
    openai_env: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    answer: Step | None,
    setting: str,
) -> None:
    """The log said only "OpenAIModelNotFoundError 404", also when the model was fine and
    the base URL lacked its /v1: the admin went looking in the wrong place."""
    if answer is None:
        monkeypatch.setenv("MUSE_LLM__BASE_URL", openai_env.base_url.removesuffix("/v1"))
    else:
        openai_env.enqueue(answer)
    core = await Core.create(load_settings())
    try:
        with caplog.at_level(logging.WARNING):
            reply_ = await ask(core, "an idea for a tram reel?")
    finally:
        await core.close()
    assert reply_.is_error and REF_RE.search(reply_.text)
    (line,) = [r.getMessage() for r in caplog.records if "ref " in r.getMessage()]
    assert setting in line, line
    if answer is None:
        assert len(openai_env.requests) == 0


async def test_a_server_that_refuses_images_captions_from_the_words_and_says_so(
    openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """MUSE_LLM__VISION=true on a model that can't see images (400 for an image part):
    every photo got "refused the request (check the model settings)", its words unused,
    and the log said only "400"."""
    monkeypatch.setenv("MUSE_LLM__VISION", "true")
    core = await Core.create(load_settings())
    photo = Attachment("image", data=PNG, mime="image/png")
    refused = "Invalid content type. image_url is only supported by certain models."
    try:
        with caplog.at_level(logging.WARNING):
            openai_env.enqueue(status(400, refused))
            worded = await ask(core, "/caption tram 28 at dusk", attachments=(photo,))
            openai_env.enqueue(status(400, refused))
            alone = await ask(core, "", attachments=(photo,))
    finally:
        await core.close()
    assert len(worded.drafts) == 3 and "so I used only your text" in worded.text
    assert "image_url" not in str(openai_env.requests[1].json)
    assert alone.is_error and "settings" not in alone.text and "/caption" in alone.text
    assert "MUSE_LLM__VISION" in caplog.text
