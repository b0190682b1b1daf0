"""The creative skills, as a user meets them, on the scripted model."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import Action
from bot.platforms import PLATFORMS, hashtags
from tests.fakes.clock import FakeClock
from tests.helpers import ask, message, slow_answers

DRAFT_ID = re.compile(r"#(\d+)")


async def test_caption_gives_three_distinct_drafts_with_ids_and_buttons(core: Core) -> None:
    reply = await ask(core, "/caption a rainy morning in Lisbon, tram 28, for instagram")
    assert len(reply.drafts) == 3
    assert len({d.text for d in reply.drafts}) == 3
    assert all(d.platform == "instagram" and len(d.text) <= 2200 for d in reply.drafts)
    assert "3 captions for Instagram" in reply.text
    for d in reply.drafts:
        assert f"#{d.id}" in reply.text
    verbs = {b.action.verb for row in reply.buttons for b in row}
    assert {"remix", "shorter", "more", "pick", "platform"} <= verbs
    assert all(len(b.action.encode().encode()) <= 64 for row in reply.buttons for b in row)


async def test_caption_in_three_different_tones(core: Core, model: ScriptedChatModel) -> None:
    reply = await ask(core, "/caption our dog at the beach")
    labels = [d.label for d in reply.drafts]
    assert len(set(labels)) == 3
    assert all(tone in model.last_prompt() for tone in labels)


async def test_over_limit_drafts_are_repaired_never_sent_over(
    core: Core, model: ScriptedChatModel
) -> None:
    long = "word " * 120  # 600 chars, far over X's 280
    tags = " ".join(f"#tag{i}" for i in range(40))
    model.enqueue(f"1. {long}one\n2. {long}two {tags}\n3. short and sweet #x")
    reply = await ask(core, "/caption a tram for x")
    assert len(reply.drafts) == 3
    for d in reply.drafts:
        assert len(d.text) <= PLATFORMS["x"].max_chars
        assert len(hashtags(d.text)) <= PLATFORMS["x"].max_hashtags


async def test_instagram_hashtag_cap(core: Core, model: ScriptedChatModel) -> None:
    tags = " ".join(f"#t{i}" for i in range(45))
    model.enqueue(f"1. Lovely day {tags}\n2. Another day\n3. A third day")
    reply = await ask(core, "/caption a park for instagram")
    assert len(hashtags(reply.drafts[0].text)) == 30


async def test_a_hashtag_over_the_cap_inside_a_sentence_stays_a_word(
    core: Core, model: ScriptedChatModel
) -> None:
    """Threads takes one hashtag: a second one mid-sentence loses its "#", not the word
    ("Golden #sunset over from tram 28." read as a broken sentence)."""
    model.enqueue(
        "1. Golden #sunset over #Lisbon from tram 28. #travel\n"
        "2. Rain on the rails in #Lisbon today. #Tram28 #RainyDays\n3. Tram 28 at dusk"
    )
    reply = await ask(core, "/caption tram 28 in Lisbon for threads")
    assert {d.text for d in reply.drafts} == {
        "Golden #sunset over Lisbon from tram 28.",
        "Rain on the rails in #Lisbon today.",
        "Tram 28 at dusk",
    }


async def test_repeats_are_dropped_and_regenerated(core: Core, model: ScriptedChatModel) -> None:
    model.enqueue("1. Same words here\n2. Same words here\n3. Same words here!")
    reply = await ask(core, "/caption a cat on a sofa")
    # One survivor from the first answer, the rest from a regeneration.
    assert len(reply.drafts) == 3
    assert len({d.text.lower().strip("!") for d in reply.drafts}) == 3
    assert len(model.calls) == 2


async def test_empty_caption_explains_with_an_example(core: Core, model: ScriptedChatModel) -> None:
    reply = await ask(core, "/caption")
    assert reply.is_error
    assert "/caption a rainy tram ride in Lisbon" in reply.text
    assert not model.calls


async def test_brainstorm_n_ideas_with_hook_angle_format(core: Core) -> None:
    reply = await ask(core, "/brainstorm rainy-day content for a café 4")
    ids = DRAFT_ID.findall(reply.text)
    assert len(ids) == 4
    assert reply.text.count("Angle:") == 4
    assert re.search(r"\[(reel|carousel|thread|photo dump|short video|poll|story)\]", reply.text)
    assert "4 ideas" in reply.text


async def test_brainstorm_defaults_to_five(core: Core) -> None:
    reply = await ask(core, "/brainstorm street photography")
    assert len(DRAFT_ID.findall(reply.text.split("Like one?")[0])) == 5


async def test_brainstorm_rejects_silly_counts(core: Core) -> None:
    assert "1 to 10" in (await ask(core, "/brainstorm cats 50")).text
    assert "1 to 10" in (await ask(core, "/brainstorm cats 0")).text  # not quietly 5


async def test_remix_draft_for_another_platform_keeps_lineage(core: Core) -> None:
    first = await ask(core, "/caption sunrise over the harbour for instagram")
    parent = first.drafts[0]
    reply = await ask(core, f"/remix #{parent.id} for x")
    assert len(reply.drafts) == 1
    child = reply.drafts[0]
    assert child.parent_id == parent.id and child.platform == "x"
    assert len(child.text) <= 280
    assert f"from #{parent.id}" in reply.text


async def test_remix_of_plain_text_and_reply(core: Core, model: ScriptedChatModel) -> None:
    reply = await ask(core, "/remix We open our second bakery on Saturday for linkedin")
    assert reply.drafts[0].platform == "linkedin"
    assert "second bakery" in model.last_prompt()
    reply = await ask(core, "/remix make it punchier for threads", reply_to_text="Old post text")
    assert reply.drafts[0].platform == "threads"
    assert "Old post text" in model.last_prompt() and "punchier" in model.last_prompt()


async def test_remix_of_unknown_draft(core: Core) -> None:
    reply = await ask(core, "/remix #9999")
    assert reply.text == "I can't find draft #9999 among yours."


async def test_drafts_are_private_to_their_owner(core: Core) -> None:
    mine = await ask(core, "/caption a quiet library", user="alice", chat="alice")
    reply = await ask(core, f"/remix #{mine.drafts[0].id}", user="bob", chat="bob")
    assert "can't find draft" in reply.text


async def test_buttons_more_like_this_shorter_pick_and_platform(core: Core) -> None:
    first = await ask(core, "/caption a foggy bridge for instagram")
    d = first.drafts[0]
    more = await ask(core, action=Action("more", d.id))
    assert len(more.drafts) == 3 and all(x.parent_id == d.id for x in more.drafts)
    shorter = await ask(core, action=Action("shorter", d.id))
    assert shorter.drafts[0].parent_id == d.id
    switched = await ask(core, action=Action("platform", d.id, "bluesky"))
    assert switched.drafts[0].platform == "bluesky" and len(switched.drafts[0].text) <= 300
    picked = await ask(core, action=Action("pick", d.id))
    assert f"Picked #{d.id}" in picked.text and d.text in picked.text
    history = await ask(core, "/history")
    assert f"#{d.id} caption · instagram ✓ picked" in history.text


async def test_button_for_a_gone_draft(core: Core) -> None:
    reply = await ask(core, action=Action("remix", 424242))
    assert reply.text == "That draft is gone; send /caption again for fresh ones."


async def test_style_is_shown_set_and_applied_to_later_prompts(
    core: Core, model: ScriptedChatModel
) -> None:
    assert "No style set yet" in (await ask(core, "/style")).text
    saved = await ask(
        core, "/style voice: warm, witty | audience: travel lovers 25-40 | avoid: wanderlust"
    )
    assert "Voice: warm, witty" in saved.text and "wanderlust" in saved.text
    await ask(core, "/caption a tram in the rain")
    prompt = model.last_prompt()
    assert "warm, witty" in prompt and "travel lovers" in prompt and "wanderlust" in prompt
    bad = await ask(core, "/style colour: blue")
    assert bad.is_error and "/style voice:" in bad.text
    # An unknown platform is refused; the fields typed with it are kept.
    mixed = await ask(core, "/style voice: calm, dry | platforms: myspace")
    assert mixed.is_error and "“myspace”" in mixed.text and "The rest is saved." in mixed.text
    assert "Voice: calm, dry" in (await ask(core, "/style")).text
    cleared = await ask(core, "/style avoid: - | voice: none")
    assert "Voice: — · Audience: travel lovers 25-40" in cleared.text and "Avoid: —" in cleared.text


async def test_avoided_words_never_reach_the_creator(core: Core, model: ScriptedChatModel) -> None:
    await ask(core, "/style avoid: wanderlust")
    model.enqueue("1. Pure wanderlust today\n2. Rain and rails\n3. Fogged windows, warm coffee")
    reply = await ask(core, "/caption a tram")
    assert reply.drafts and all("wanderlust" not in d.text.lower() for d in reply.drafts)


async def test_free_chat_remembers_recent_turns(core: Core, model: ScriptedChatModel) -> None:
    model.enqueue("Nice, a pottery channel!")
    await ask(core, "I run a pottery channel called Mud Club")
    await ask(core, "what should I post first?")
    assert "Mud Club" in model.last_prompt()
    assert "Nice, a pottery channel!" in model.last_prompt()


async def test_caption_from_an_idea(core: Core, model: ScriptedChatModel) -> None:
    ideas = await ask(core, "/brainstorm home barista tips 3")
    idea_id = int(DRAFT_ID.findall(ideas.text)[0])
    reply = await ask(core, action=Action("caption", idea_id))
    assert len(reply.drafts) == 3 and reply.drafts[0].parent_id == idea_id


async def test_help_lists_every_command_of_the_registry(core: Core) -> None:
    text = (await ask(core, "/help")).text
    for spec in core.registry.visible():
        assert spec.usage in text


async def test_more_like_a_remix_writes_about_its_post_not_its_instruction(
    core: Core, model: ScriptedChatModel
) -> None:
    post = "Our bakery opens at 7am with fresh pastel de nata every morning"
    remix = await ask(core, f"/remix {post} for linkedin tone hype")
    (draft,) = remix.drafts
    more = await ask(core, f"/more #{draft.id}")
    assert more.drafts and all(d.parent_id == draft.id for d in more.drafts)
    showing = re.search(r"post showing: <creator_input>(.*?)</creator_input>", model.last_prompt())
    assert showing and showing.group(1) == draft.text  # not "tone: hype"
    tones = re.search(r"in this order: <creator_input>(.*?)</creator_input>", model.last_prompt())
    assert tones and "tone" not in tones.group(1)


async def test_export_returns_everything_as_json_and_forget_deletes_it(core: Core) -> None:
    await ask(core, "/style voice: dry humour")
    await ask(core, "/caption a bike ride")
    export = await ask(core, "/export")
    assert export.private and export.attachments[0].name == "muse-export.json"
    data = json.loads(export.attachments[0].data or b"")
    assert data["profile"]["voice"] == "dry humour"
    assert len(data["drafts"]) == 3 and data["turns"]
    core.clock = clock = FakeClock()
    confirm = await ask(core, "/forget")
    assert confirm.buttons and "Sure?" in confirm.text
    assert (await ask(core, "/history")).text.startswith("Your latest drafts")  # not yet deleted
    # A confirmation pressed long after it was offered asks again instead of deleting.
    yes = confirm.buttons[0][0].action
    assert yes is not None
    clock.advance(minutes=11)
    late = await ask(core, action=yes)
    assert late.is_error and "send /forget again" in late.text
    assert (await ask(core, "/history")).text.startswith("Your latest drafts")
    confirm = await ask(core, "/forget")
    clock.advance(minutes=9)
    done = await ask(core, action=confirm.buttons[0][0].action)
    assert "deleted 3 drafts" in done.text and done.text.endswith(
        "and your style. I no longer know you."
    )
    after = json.loads((await ask(core, "/export")).attachments[0].data or b"")
    assert after["drafts"] == [] and after["turns"] == [] and after["profile"] is None
    assert "No style set yet" in (await ask(core, "/style")).text


async def test_export_and_forget_say_only_what_there_is(core: Core) -> None:
    await ask(core, "/caption a bike ride", user="bo", chat="bo")  # no style set
    export = await ask(core, "/export", user="bo", chat="bo")
    assert "3 drafts, 2 messages. It's yours." in export.text  # no "your style"
    done = await ask(core, "/forget confirm", user="bo", chat="bo")
    assert done.text == "Done — I deleted 3 drafts, 2 messages. I no longer know you."
    await ask(core, "/style voice: warm", user="cy", chat="cy")
    await ask(core, "/style voice: -", user="cy", chat="cy")  # cleared: no style left
    export = await ask(core, "/export", user="cy", chat="cy")
    assert export.text.endswith("0 drafts, 0 messages. It's yours."), export.text


async def test_forget_waits_for_an_answer_still_being_written_elsewhere(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caption asked in a group is still being written when its author sends /forget
    confirm in private: its drafts and turns are deleted with the rest, never stored
    after the delete under the id of someone Muse no longer knows."""
    writing, go_on = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        writing.set()
        await go_on.wait()

    slow_answers(core.llm, monkeypatch, before=slow)
    asked = message("/caption our launch party", user="ann", chat="team", group=True)
    caption = asyncio.create_task(core.respond(asked))
    await writing.wait()
    settle = core.at_work.settle

    async def settling(who: list[str], timeout_s: float) -> None:
        go_on.set()  # /forget is waiting now: the caption can finish
        await settle(who, timeout_s)

    monkeypatch.setattr(core.at_work, "settle", settling)
    forget = asyncio.create_task(ask(core, "/forget confirm", user="ann", chat="ann"))
    forget.add_done_callback(lambda _: go_on.set())  # had it not waited, never hang
    assert "#1" in (await caption)[-1].text
    assert (await forget).text.startswith("Done — I deleted 3 drafts, 2 messages.")
    team = await core.memory.find_user("console", "chat:team")
    assert team is not None
    assert await core.memory.drafts(team) == []
    assert await core.memory.recent_turns(team, "console:team") == []


async def test_group_memory_is_separate_from_private(core: Core, model: ScriptedChatModel) -> None:
    await ask(core, "/style voice: formal", user="alice", chat="alice")
    await ask(core, "/style voice: chaotic memes", user="alice", chat="team", group=True)
    await ask(core, "/caption a launch party", user="alice", chat="alice")
    assert "formal" in model.last_prompt() and "chaotic" not in model.last_prompt()
    await ask(core, "/caption a launch party", user="bob", chat="team", group=True)
    assert "chaotic memes" in model.last_prompt()


async def test_base_model_captions_that_miss_the_topic_go_last(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"  # how the embedded base model is prompted
    model.enqueue(  # continuations of the prompt's "1." primer, as a base model writes them
        " My mom had a lot to say about me #MomLife\n2. Rainy tram 28 in Lisbon\n3. Cake!",
        " Lisbon glows in the rain #Lisbon\n2. Cookies again\n3. Bells of the tram, fogged glass",
    )
    reply = await ask(core, "/caption a rainy tram in Lisbon")
    assert [d.text for d in reply.drafts] == [
        "Rainy tram 28 in Lisbon",
        "Lisbon glows in the rain #Lisbon",
        "Bells of the tram, fogged glass",
    ]


async def test_base_model_remix_that_copies_an_example_is_retried(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    model.enqueue(
        "I tested five budget microphones so you don't have to.",
        "Bakery #2 is open in Porto! Come by for cake on Saturday #Porto",
    )
    reply = await ask(core, "/remix Our bakery turns 10 on Saturday, free cake for linkedin")
    assert reply.drafts[0].text == "Bakery #2 is open in Porto! Come by for cake on Saturday #Porto"
    assert len(model.calls) == 2


async def test_base_model_remix_never_shows_someone_elses_post(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    model.enqueue(*["I tested five budget microphones so you don't have to."] * 3)
    reply = await ask(
        core, "/remix Our bakery turns 10 on Saturday, free cake for everyone for x tone: funny"
    )
    assert reply.drafts[0].text == "Our bakery turns 10 on Saturday, free cake for everyone"
    assert "couldn't rewrite this faithfully" in reply.text
    assert reply.drafts[0].label == ""  # their own words: not "tone: funny" or "shorter"
    # A draft of theirs that the model can't rewrite is not copied under a new number.
    model.enqueue(*["I tested five budget microphones so you don't have to."] * 3)
    shorter = await ask(core, action=Action("shorter", reply.drafts[0].id))
    assert shorter.is_error and not shorter.drafts
    assert (
        shorter.text
        == f"The offline model couldn't rewrite #{reply.drafts[0].id} this time — try again."
    )


def test_on_topic_matches_inflections_not_filler() -> None:
    from bot.skills.common import on_topic

    assert on_topic("Rainy day, fogged windows #RainyDay", "a rainy morning in Lisbon")
    assert on_topic("Lisbon's trams never sleep", "tram 28 in Lisbon")
    assert not on_topic("The cheapest one surprised me", "our podcast episode one is live")
    assert not on_topic("be the best version every day", "free cake for everyone on Saturday")
    source = "We launched our podcast about urban gardening"
    assert not on_topic("Gardening is fun #garden", source, min_shared=2)
    assert on_topic("Our urban gardening podcast is out!", source, min_shared=2)


async def test_style_reaches_the_embedded_models_few_shot_prompts(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    await ask(core, "/style voice: dry humour | audience: busy parents")
    for command in ("/caption a school run", "/brainstorm school lunches 3", "what now?"):
        await ask(core, command)
        assert "dry humour" in model.last_prompt(), command
    await ask(core, "/remix Lunchboxes packed, kids late anyway for x")
    assert "Voice: dry humour" in model.last_prompt()
