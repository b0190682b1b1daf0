"""/posted as a creator uses it over days: as a reply to /next, with a link beside a
draft, and sent twice."""

from __future__ import annotations

import re

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.helpers import ask

VIEW = "The driver's view at 6:12 from the front window"


async def test_posted_as_a_reply_to_next_records_its_idea(
    core: Core, model: ScriptedChatModel
) -> None:
    """/next ends "/posted as a reply to this message". Its first line may name other
    drafts too (a series called "Vlog #2", "close to #1"): the idea is the one meant."""
    await ask(core, "/series new Vlog #2 | a weekly dawn tram ride")
    model.enqueue(f"1. {VIEW}\n2. Rain on the rails\n3. The conductor's whistle")
    await ask(core, "/caption tram 28 at dawn")
    model.enqueue(f"Next: {VIEW}\nWhy: a fresh angle.", f"Next: {VIEW}\nWhy: a fresh angle.")
    nxt = await ask(core, "/next")
    header = re.match(r"Next for “Vlog #2” · #(\d+)  \(close to #\d+\)\n", nxt.text)
    assert header, nxt.text
    posted = await ask(core, "/posted", reply_to_text=nxt.text, reply_to_muse=True)
    assert f"Recorded #{header.group(1)} as published in “Vlog #2” (post 1)" in posted.text


async def test_a_link_beside_a_draft_records_the_draft_with_its_link(
    core: Core, model: ScriptedChatModel
) -> None:
    """Once published, a creator has a link to give: "/posted #1 <link>", or the link alone
    as a reply to the draft. The draft's words are what was published (not "#1", not
    nothing), and the link is kept beside them."""
    await ask(core, "/series new Lisbon Mornings | a weekly dawn tram ride")
    model.enqueue(f"1. {VIEW}\n2. Rain on the rails\n3. The conductor's whistle")
    captions = await ask(core, "/caption tram 28 at dawn")
    first, second = captions.drafts[0], captions.drafts[1]
    insta, tweet_link = "https://instagram.com/p/abc", "https://x.com/me/status/1"

    by_id = await ask(core, f"/posted #{first.id} {insta}")
    assert f"Recorded #{first.id} as published in “Lisbon Mornings” (post 1)" in by_id.text
    assert "Add your final words" not in by_id.text
    # A reply to several drafts asks which, keeping the link in what to send.
    which = await ask(core, f"/posted {insta}", reply_to_text=captions.text, reply_to_muse=True)
    assert f"/posted #{second.id} {insta}" in which.text
    remix = await ask(core, f"/remix #{second.id} for x")
    (tweet,) = remix.drafts
    replied = await ask(core, f"/posted {tweet_link}", reply_to_text=remix.text, reply_to_muse=True)
    assert f"Recorded #{tweet.id} as published in “Lisbon Mornings” (post 2)" in replied.text

    person = await core.memory.find_user("console", "u1")
    assert person is not None
    posts = await core.memory.recent_posts(person)
    assert [(p.draft_id, p.text, p.link) for p in posts] == [
        (first.id, first.text, insta),
        (tweet.id, tweet.text, tweet_link),
    ]
    history = (await ask(core, "/history")).text
    assert f"#{first.id} caption · instagram ✓ posted" in history
    assert f"#{tweet.id} remix · x · from #{second.id} ✓ posted" in history


async def test_the_same_post_sent_twice_is_recorded_once(
    core: Core, model: ScriptedChatModel
) -> None:
    """A /posted sent again (no answer seen yet, a second thought): the series doesn't
    count it twice, nor show the model the same post twice as its story so far."""
    await ask(core, "/series new Lisbon Mornings | a weekly dawn tram ride")
    words, link = "Tram 28 at 6am: empty seats and gold light", "https://x.com/me/status/1"
    await ask(core, f"/posted {words}")
    again = await ask(core, f"/posted {words}")
    assert "already recorded" in again.text and "post 1 of “Lisbon Mornings”" in again.text
    await ask(core, f"/posted {link}")
    assert "already recorded" in (await ask(core, f"/posted {link}")).text
    captions = await ask(core, "/caption tram 28 at dawn")
    assert str(model.calls[-1][0].content).count(f"- {words}") == 1
    draft = captions.drafts[0]
    await ask(core, f"/posted #{draft.id}")
    twice = await ask(core, f"/posted #{draft.id}")
    assert f"#{draft.id} is already recorded as post 3 of “Lisbon Mornings”" in twice.text
    # Another link for the same words is another publication (a cross-post): recorded.
    other = await ask(core, f"/posted {words} https://instagram.com/p/abc")
    assert "(post 4)" in other.text
    assert "· 4 posts" in (await ask(core, "/series")).text
    # Its words pasted first, then its id: the one post is now known to be that draft.
    second = captions.drafts[1]
    await ask(core, f"/posted {second.text}")
    assert "already recorded" in (await ask(core, f"/posted #{second.id}")).text
    assert f"#{second.id} caption · instagram ✓ posted" in (await ask(core, "/history")).text


async def test_a_premise_is_kept_whole_or_refused_never_cut(core: Core) -> None:
    """A premise with a "|" of its own kept its first piece only, the next piece became
    the tone and the typed "tone:" was lost; a long one was cut mid-word ("so that pe")."""
    made = await ask(core, "/series new Lisbon Nights | night rides | every Friday | tone: moody")
    assert "started and active: night rides | every Friday." in made.text
    assert (
        "▶ Lisbon Nights — night rides | every Friday · tone: moody"
        in (await ask(core, "/series")).text
    )
    long = "Every Monday at dawn I ride tram 28 and film the city waking up, " * 5
    refused = await ask(core, f"/series new Lisbon Mornings | {long}")
    assert refused.is_error and "under 300 characters" in refused.text
    assert "Lisbon Mornings —" not in (await ask(core, "/series")).text


async def test_a_new_series_named_like_an_ended_one_leaves_that_one_reachable(
    core: Core,
) -> None:
    """Season 1 "Lisbon" ended, a new "Lisbon" started: /series use Lisbon could then
    only ever reach the new one, and the first, with its posts, was lost to every command."""
    await ask(core, "/series new Lisbon | dawn rides")
    await ask(core, "/posted Tram 28 at 6am")
    await ask(core, "/series end")
    made = await ask(core, "/series new lisbon | night rides")
    assert "“lisbon (2)” started and active: night rides" in made.text
    assert "/series use Lisbon" in made.text  # says how to reach the ended one
    back = await ask(core, "/series use Lisbon")
    assert "“Lisbon” is the active series again: dawn rides" in back.text
    listing = (await ask(core, "/series")).text
    assert "▶ Lisbon — dawn rides · 1 post" in listing
    assert "· lisbon (2) — night rides · 0 posts" in listing


async def test_picking_a_posted_draft_to_copy_it_again_keeps_it_posted(core: Core) -> None:
    """Pick ✓ also hands a draft back to copy: used after /posted, /history said only
    "✓ picked", and that it was published was gone."""
    captions = await ask(core, "/caption tram 28 at dawn")
    draft = captions.drafts[0]
    await ask(core, f"/posted #{draft.id}")
    picked = await ask(core, f"/pick #{draft.id}")
    assert draft.text in picked.text
    assert f"#{draft.id} caption · instagram ✓ posted" in (await ask(core, "/history")).text


async def test_a_premise_ending_a_sentence_and_a_series_ended_twice_read_right(
    core: Core,
) -> None:
    """A premise typed with its own full stop showed as "ride.."; ending an ended series
    again said "ended after 0 posts" as if it had just ended."""
    made = await ask(core, "/series new Lisbon Mornings | a weekly dawn tram ride. | tone: calm")
    assert "a weekly dawn tram ride. Your brainstorms" in made.text
    assert "ride.." not in (await ask(core, "/series use Lisbon Mornings")).text
    assert "ended after 0 posts" in (await ask(core, "/series end Lisbon Mornings")).text
    again = await ask(core, "/series end Lisbon Mornings")
    assert "“Lisbon Mornings” has already ended" in again.text and "ended after" not in again.text
