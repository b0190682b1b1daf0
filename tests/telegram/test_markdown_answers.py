"""A model's Markdown as it reaches a Telegram chat: what Telegram has no entity for
(tables) shown readably, and unfinished Markdown (an answer cut off, or still being
written) neither rejected by the Bot API nor shown as stray marks."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import slow_answers
from tests.telegram.conftest import Harness, Held, final, partial

ALICE = 111


async def test_an_answer_cut_off_inside_a_code_block_shows_the_code_as_code(
    tg: Harness,
) -> None:
    fake = tg.fake
    tg.model.enqueue("Here is the loop:\n```python\nfor stop in line:\n    ring(stop)  # **bell**")
    await fake.push_message("write the loop")
    shown = await final(fake, ALICE, "Here is the loop:")
    assert '<pre><code class="language-python">for stop in line:' in shown.raw
    assert shown.text == "Here is the loop:\nfor stop in line:\n    ring(stop)  # **bell**"


async def test_a_table_in_an_answer_shows_a_row_a_line(tg: Harness) -> None:
    fake = tg.fake
    tg.model.enqueue("Plan:\n| Day | Post |\n|---|---|\n| Mon | Reel |\n| Tue | Story |\nGo!")
    await fake.push_message("plan my week")
    shown = await final(fake, ALICE, "Plan:")
    assert shown.text == "Plan:\n• Day: Mon · Post: Reel\n• Day: Tue · Post: Story\nGo!"


@pytest.mark.parametrize("answer", [">", "```\n```", "```python", "| |\n|---|"])
async def test_an_answer_that_is_only_markdown_marks_is_shown_as_typed(
    tg: Harness, answer: str
) -> None:
    """An answer whose formatting left nothing to show (an empty quote, code block or
    table) was sent as empty HTML, which Telegram rejects ("message text is empty"),
    and the person read "Something went wrong"; it is shown as typed now."""
    fake = tg.fake
    tg.model.enqueue(answer)
    await fake.push_message("hi there")
    shown = await fake.wait_for(lambda: fake.messages(ALICE))
    assert [m.text for m in shown] == [answer]


async def test_a_table_and_code_being_written_show_formatted_and_every_edit_is_taken(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While an answer streamed, its view was plain text: the half-written table showed
    its pipes and dashes, the code its fence and **marks**, and then the final message
    showed something else. The view is formatted like the final message now (a table
    row, or a block, still being written included), and Telegram takes every edit."""
    fake = tg.fake
    tg.adapter.cfg.stream_after_s = 0
    answer = (
        "Plan:\n| Day | Post |\n|---|---|\n| Mon | **Reel** |\n| Tue | Story |\n"
        "```python\npost('<reel>')  # **today**\npost('story')\n```\nDone."
    )
    tg.model.enqueue(answer)
    gates = {"| Tue": asyncio.Event(), "post('<reel>')": asyncio.Event()}

    async def hold(text: str) -> None:
        for marker, gate in gates.items():
            if text.endswith(marker) or text.endswith(marker + " "):
                await gate.wait()

    slow_answers(tg.core.llm, monkeypatch, after_each=hold)
    await fake.push_message("plan my week")
    view = await partial(fake, ALICE)
    await fake.wait_for(lambda: "Tue" in view.text)
    assert view.text.startswith("Plan:\n• Day: Mon · Post: Reel\n• Day: Tue")
    assert "|" not in view.text and "**" not in view.text
    gates["| Tue"].set()
    await fake.wait_for(lambda: "<reel>" in view.text)
    assert "```" not in view.text and "<pre>" in view.raw
    gates["post('<reel>')"].set()
    shown = await final(fake, ALICE, "Done.")
    assert shown.text == (
        "Plan:\n• Day: Mon · Post: Reel\n• Day: Tue · Post: Story\n"
        "post('<reel>')  # **today**\npost('story')\nDone."
    )
    edits = [c for c in fake.calls if c.method in ("sendMessage", "editMessageText")]
    assert all(c.status == 200 for c in edits)


async def test_progress_html_rejected_shows_plain_text(tg: Harness, held: Held) -> None:
    fake = tg.fake
    fake.parse_failures = 1
    tg.model.enqueue("Draft **one** coming up & more")
    await fake.push_message("write it")
    view = await partial(fake, ALICE)
    assert view.parse_mode is None and view.text == "Draft ✍️"
    assert any(c.status == 400 and c.method == "sendMessage" for c in fake.calls)
    held.release.set()
    shown = await final(fake, ALICE, "coming up")
    assert shown.text == "Draft one coming up & more" and shown.parse_mode == "HTML"


async def test_an_answer_cut_inside_code_then_continued_shows_code_then_prose(
    tg: Harness,
) -> None:
    """An answer stopped by the length limit inside a ``` block: its "✂️ … press
    Continue" note was shown inside the code block, and the continuation (the rest of
    the code, the closing ```, then prose) showed the code as prose and the prose after
    it as code. The cut block is closed before the note, and the continuation reopens
    it (same language) until the model's own closing fence."""
    fake = tg.fake
    tg.core.settings.llm.chat_max_tokens = 10  # 40 characters on the fake model
    tg.model.enqueue(
        "Loop:\n```python\nfor stop in line:\n    ring(stop)",
        "    ring(stop)\n```\nThat's **all**.",
    )
    await fake.push_message("write the loop")
    cut = await final(fake, ALICE, "Continue")
    assert cut.raw.startswith('Loop:\n<pre><code class="language-python">for stop in line:')
    assert cut.raw.endswith(
        "</code></pre>\n\n✂️ That's where my answer length limit stopped me"
        " — press Continue, or send /continue."
    )
    await fake.push_message("/continue")
    more = await final(fake, ALICE, "all.")
    assert more.raw == (
        '…\n<pre><code class="language-python">    ring(stop)</code></pre>\nThat\'s <b>all</b>.'
    )


async def test_an_answer_cut_inside_a_table_then_continued_shows_rows(tg: Harness) -> None:
    """An answer stopped by the length limit in the middle of a table: its continuation
    (the rest of the row, more rows) had no header row and |---| line, so it showed its
    pipes as typed. The continuation carries the table's header over, and shows the cut
    row whole, so every row reads "• Day: … · Post: …" again."""
    fake = tg.fake
    tg.core.settings.llm.chat_max_tokens = 13  # 52 characters on the fake model
    tg.model.enqueue(
        "Plan:\n| Day | Post |\n|---|---|\n| Mon | Reel |\n| Tue | Story |",
        " | Story |\n| Wed | **Live** |\nGo!",
    )
    await fake.push_message("plan my week")
    cut = await final(fake, ALICE, "Continue")
    assert cut.text.startswith("Plan:\n• Day: Mon · Post: Reel\n• Day: Tue\n\n✂️")
    await fake.push_message("/continue")
    more = await final(fake, ALICE, "Go!")
    assert more.text == "…\n• Day: Tue · Post: Story\n• Day: Wed · Post: Live\nGo!"
    assert "<b>Live</b>" in more.raw


async def test_a_table_continued_after_its_last_row_is_not_carried_over(tg: Harness) -> None:
    fake = tg.fake
    tg.core.settings.llm.chat_max_tokens = 12  # 48 characters: cut after the Mon row
    tg.model.enqueue(
        "Plan:\n| Day | Post |\n|---|---|\n| Mon | Reel | \nthen rest", "\n\nThat's all."
    )
    await fake.push_message("plan my week")
    await final(fake, ALICE, "Continue")
    await fake.push_message("/continue")
    more = await final(fake, ALICE, "all.")
    assert more.text == "…That's all."


async def test_an_answer_cut_inside_bold_then_continued_is_bold_in_both(tg: Harness) -> None:
    """An answer stopped by the length limit inside **bold**: the cut message showed its
    opening ** as typed, and the continuation its closing one. The cut message closes
    the bold before its note, the continuation opens it again."""
    fake = tg.fake
    tg.core.settings.llm.chat_max_tokens = 6  # 24 characters on the fake model
    tg.model.enqueue("Tip: **always post at six", "six pm** or so.")
    await fake.push_message("when should I post?")
    cut = await final(fake, ALICE, "Continue")
    assert cut.raw.startswith("Tip: <b>always post at</b>\n\n✂️")
    await fake.push_message("/continue")
    more = await final(fake, ALICE, "or so.")
    assert more.raw == "…<b>six pm</b> or so."


async def test_bold_around_a_link_shows_bold(tg: Harness) -> None:
    """A model's **bold sentence with a [link](https://…) in it** showed its ** marks as
    typed (bold was never matched across a link); now the sentence is bold, the link in
    it, and a bold label or a link bold as a whole still show as before."""
    fake = tg.fake
    tg.model.enqueue(
        "**Read [the guide](https://x.io/a) first** and *see [`cfg`](https://x.io/b) too*.\n"
        "**[All](https://x.io/c)** · [**new**](https://x.io/d) · [**](https://x.io/e)"
    )
    await fake.push_message("where do I start?")
    shown = await final(fake, ALICE, "first")
    assert shown.raw == (
        '<b>Read <a href="https://x.io/a">the guide</a> first</b> and '
        '<i>see <a href="https://x.io/b"><code>cfg</code></a> too</i>.\n'
        '<b><a href="https://x.io/c">All</a></b> · <a href="https://x.io/d"><b>new</b></a>'
        ' · <a href="https://x.io/e">**</a>'
    )
