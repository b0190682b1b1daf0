"""A model's Markdown as it reaches a Telegram chat: what Telegram has no entity for
(tables) shown readably, and unfinished Markdown (an answer cut off, or still being
written) neither rejected by the Bot API nor shown as stray marks."""

from __future__ import annotations

import pytest

from tests.telegram.conftest import Harness, final

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
