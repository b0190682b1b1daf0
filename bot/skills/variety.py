"""/novelty: how varied the recent drafts are, with the closest pairs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np

from bot.commands import command
from bot.context import Context
from bot.messages import Outgoing, Reply
from bot.novelty import embed_text
from bot.novelty.service import without_frame
from bot.skills.account import asked_in
from bot.skills.next_post import NEXT_IN
from bot.skills.series import one_line

RECENT = 30
PAIRS = 3


@command(
    "novelty",
    "How varied your recent drafts are: a score and the closest pairs.",
    private=True,
)
async def novelty(ctx: Context) -> AsyncIterator[Outgoing]:
    drafts = await ctx.memory.drafts(ctx.owner, limit=RECENT)
    if len(drafts) < 2:
        yield Reply(
            "Not enough drafts yet to tell — try /brainstorm or /caption first.", private=True
        )
        return
    embedder = ctx.novelty.current()
    known = await ctx.novelty.known(ctx.owner, embedder)
    rows = {key[1]: known.matrix[i] for i, key in enumerate(known.keys) if key[0] == "draft"}
    missing = [d for d in drafts if d.id not in rows]
    if missing:  # more than one backfill's worth, or the embedder just changed
        used, vectors = await ctx.novelty.embed(
            [embed_text(d.kind, d.text) for d in missing], embedder=embedder
        )
        if used is not embedder:
            known = await ctx.novelty.known(ctx.owner, used)
            rows = {k[1]: known.matrix[i] for i, k in enumerate(known.keys) if k[0] == "draft"}
            embedder = used
        rows.update({d.id: v for d, v in zip(missing, vectors, strict=True) if d.id not in rows})
    drafts = [d for d in drafts if d.id in rows]
    # /next's ideas for one series share its name and a week number, which alone made
    # week 2 and week 3 near-twins (95%): compared as /next compares them, without those.
    nexts = [d for d in drafts if d.label == "next" and d.request.startswith(NEXT_IN)]
    if nexts:
        texts = [
            without_frame(embed_text(d.kind, d.text), d.request.removeprefix(NEXT_IN))
            for d in nexts
        ]
        used, vectors = await ctx.novelty.embed(texts, embedder=embedder)
        if used is embedder:
            rows.update({d.id: v for d, v in zip(nexts, vectors, strict=True)})
    matrix = np.stack([rows[d.id] for d in drafts])
    sims = matrix @ matrix.T
    threshold = ctx.novelty.threshold(embedder)
    pairs = []
    for i, a in enumerate(drafts):
        for j in range(i + 1, len(drafts)):
            b = drafts[j]
            if a.parent_id == b.id or b.parent_id == a.id:
                continue  # a remix is meant to resemble its source
            pairs.append((float(sims[i, j]), a, b))
    pairs.sort(key=lambda p: p[0], reverse=True)
    twins = {d.id for s, a, b in pairs if s >= threshold for d in (a, b)}
    score = round(100 * (1 - len(twins) / len(drafts)))
    lines = [
        (
            f"Variety of the last {len(drafts)} drafts of {where}: "
            if (where := asked_in(ctx))
            else f"Variety of your last {len(drafts)} drafts: "
        )
        + f"{score}/100 — "
        + (
            f"{len(twins)} of them have a near-twin."
            if twins
            else "none repeats another. Nicely varied."
        ),
        "Closest pairs:",
    ]
    for s, a, b in pairs[:PAIRS]:
        mark = " ⚠ near-twins" if s >= threshold else ""
        lines.append(
            f"#{a.id} ↔ #{b.id} · {round(100 * s)}% alike{mark}\n"
            f"    “{one_line(a.text, 60)}” / “{one_line(b.text, 60)}”"
        )
    if twins:
        lines.append("New suggestions steer away from these. /posted tells me what you published.")
    yield Reply("\n".join(lines), private=True)
