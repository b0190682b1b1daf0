"""Free text: a conversation that remembers the recent turns and the creator's style.

An answer that stops at the token budget (`MUSE_LLM__CHAT_MAX_TOKENS`) says so and
offers Continue (a button, or /continue), which goes on where it stopped."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.commands import command
from bot.context import Context
from bot.errors import BadInput
from bot.llm.engine import Answer
from bot.markdown_tables import open_table
from bot.memory.records import Turn
from bot.messages import Action, Button, Outgoing, Reply
from bot.skills.common import stream_text
from bot.text_split import open_fence, open_marks

LISTENING = "I'm listening — tell me more about the post you have in mind."
CUT_NOTE = "✂️ That's where my answer length limit stopped me — press Continue, or send /continue."
NOTHING_CUT = "There's nothing to continue — my last answers here were complete."
# /continue goes on with the newest cut answer among this many of the latest answers.
CUT_WITHIN = 5
GONE = "That answer can't be continued any more — ask me again."
MORE = "…"


def answer_reply(text: str, cut: bool, turn_id: int) -> Reply:
    if not cut:
        return Reply(text)
    # Cut inside a ``` block: closed before the note, or the note would show as code;
    # inside **bold** (or *italic*…): closed, or it would show its opening **.
    close = "\n```" if open_fence(text) else "".join(reversed(open_marks(text)))
    return Reply(
        f"{text}{close}\n\n{CUT_NOTE}",
        buttons=((Button("Continue ▸", Action("continue", turn_id)),),),
    )


async def chat(ctx: Context) -> AsyncIterator[Outgoing]:
    out: list[str] = []
    answers: list[Answer] = []
    variables = {"message": ctx.args, "_max_tokens": ctx.settings.llm.chat_answer_tokens}
    async for progress in stream_text(ctx, "chat", variables, out=out, answers=answers):
        yield progress
    text = out[0].strip()
    cut = bool(text) and answers[0].truncated
    turn_id = await ctx.remember(ctx.args, text or LISTENING, cut=cut)
    yield answer_reply(text or LISTENING, cut, turn_id)


@command("continue", "Go on with an answer that stopped at my length limit.")
async def continue_(ctx: Context) -> AsyncIterator[Outgoing]:
    async for out in resume(ctx, None):
        yield out


def joined(before: str, after: str, style: str) -> str:
    """The whole answer: a completion model continues the very text (even mid-word); a
    chat model's continuation is a new message, so words get a space between them."""
    if style == "completion" or not after or after[0].isspace() or not before:
        return before + after
    return before + ("" if not after[0].isalnum() else " ") + after


async def resume(ctx: Context, turn_id: int | None) -> AsyncIterator[Outgoing]:
    """Continue this conversation's newest cut answer among its latest (or answer
    `turn_id`, from its button): the same question and history, the answer so far, and the
    model goes on from there. The stored answer grows; it may be cut again."""
    if turn_id is None:  # /continue: a /caption asked in between doesn't hide the cut one
        # In a group: the asker's own, which told them to send /continue.
        answer = await ctx.memory.latest_cut_answer(
            ctx.owner, ctx.session, CUT_WITHIN, to=ctx.person
        )
    else:
        answer = await ctx.memory.last_answer(ctx.owner, ctx.session, turn_id)
        if answer is None:
            raise BadInput(GONE)
    if answer is None or not answer.cut:
        raise BadInput(NOTHING_CUT)
    earlier = await ctx.memory.recent_turns(ctx.owner, ctx.session, before=answer.id)
    question: Turn | None = earlier.pop() if earlier and earlier[-1].role == "user" else None
    variables = {
        "message": question.text if question else "",
        "_max_tokens": ctx.settings.llm.chat_answer_tokens,
    }
    reopen = open_fence(answer.text)
    table = open_table(answer.text) if reopen is None else None
    marks = "".join(open_marks(answer.text)) if reopen is None else ""
    out: list[str] = []
    answers: list[Answer] = []
    async for progress in stream_text(
        ctx,
        "chat",
        variables,
        out=out,
        answers=answers,
        history=earlier,
        partial=answer.text,
        shown=lambda text: continued(text, reopen, table, ctx.llm.style, marks),
    ):
        yield progress
    more = out[0]
    if not more.strip():
        await ctx.memory.update_answer(answer.id, answer.text, cut=False)
        yield Reply("That was all I had to say on it — ask me anything else.")
        return
    cut = answers[0].truncated
    await ctx.memory.update_answer(answer.id, joined(answer.text, more, answers[0].style), cut=cut)
    shown = continued(more, reopen, table, answers[0].style, marks)
    yield answer_reply(shown, cut, answer.id)


def continued(
    more: str,
    reopen: str | None,
    table: tuple[str, str] | None = None,
    style: str = "chat",
    marks: str = "",
) -> str:
    """A continuation as shown: "…" and the new text. When the answer was cut inside a
    ``` block (`reopen` is its opening line), the block is opened again first, or the
    rest of the code would show as prose and the model's closing ``` open a block of
    everything after it. The code keeps its first line's indentation. Cut inside a
    table (`table`: its header lines and last row), see table_rows. Cut inside **bold**
    (`marks`: the marks open there), the continuation opens it again: the cut message
    closed it, and the continuation's closing ** would show as typed."""
    if more.lstrip(" \t").startswith("\n"):
        marks = ""  # a new line: emphasis ends with its line
    rows = table_rows(more, table, style) if table else None
    if rows is not None:
        return f"{MORE}\n{rows}"
    if reopen is None or more.lstrip().startswith("```"):
        return MORE + marks + more.strip()
    code = more.strip("\n").rstrip()
    return f"{MORE}\n{reopen}\n{code}"


def table_rows(more: str, table: tuple[str, str], style: str) -> str | None:
    """A continuation that goes on with a table cut by the length limit, its header and
    |---| lines first: without them its rows showed their pipes as typed. A row cut in
    two is shown whole again (its second half alone would read as a row of its own,
    "• Day: e · Post: Story"). None when the continuation doesn't go on with the table."""
    head, row = table
    start = more.lstrip(" \t")
    if not row or start.startswith("\n") or (row.rstrip().endswith("|") and start[:1] == "|"):
        rows = more.strip()  # the last row was whole: the continuation starts a new one
    else:
        rows = joined(row, more, style).strip()
    return f"{head}\n{rows}" if "|" in rows.partition("\n")[0] else None
