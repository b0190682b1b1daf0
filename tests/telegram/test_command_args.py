"""Commands typed with odd arguments in a Telegram chat: each gets one line saying how
to do it right, never an answer to something else."""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.fakes.clock import FakeClock
from tests.session_kit import SEEDS
from tests.telegram.conftest import Harness, final
from tests.telegram.fake_bot_api import FakeBotAPI
from tests.telegram.test_sessions import running

ALICE = 111


@pytest.mark.parametrize(
    "command",
    [
        "/pick #3.5",
        "/pick 3.5",
        "/more #3.5",
        "/remix #3.5 for linkedin",
        "/remix #-1",
        "/caption #1e3",
        "/caption #99999999999999999999 for x",
        "/posted #-1",
    ],
)
async def test_a_number_that_is_no_id_is_refused_not_read_as_another_draft_or_as_text(
    tg: Harness, command: str
) -> None:
    """ "/pick #3.5" picked #3 and "/more #3.5" wrote captions like #3; "/remix #-1",
    "/caption #1e3" or a 20-digit id were remixed or captioned as the creator's words,
    "/posted #-1" recorded as published."""
    fake = tg.fake
    await fake.push_message("/caption a rainy tram in Lisbon for x")
    await final(fake, ALICE, "3 captions for X")
    await fake.push_message(command)
    answer = await final(fake, ALICE, "isn't one of my ids")
    word = command.split()[1]
    assert answer.text.startswith(f"{word} isn't one of my ids — they are whole numbers, e.g. /")
    assert "\n" not in answer.text
    await fake.push_message("/history")
    history = await final(fake, ALICE, "Your latest drafts")
    assert history.text.count("\n#") == 3  # nothing new was written
    assert not any("Picked" in t or "Recorded" in t for t in fake.texts(ALICE))


@pytest.mark.parametrize(
    "command", ["/remix #1 #2 for linkedin", "/caption #1, #2", "/posted #1 and #2", "/pick #1 #2"]
)
async def test_two_drafts_in_a_command_for_one_say_one_at_a_time(tg: Harness, command: str) -> None:
    """ "/remix #1 #2 for linkedin" was a remix of #1 labelled "(#2)", "/caption #1, #2"
    captioned the words "#2", "/posted #1 and #2" recorded the text “#1 and #2” as
    published and "/pick #1 #2" picked #1 alone, without a word about #2."""
    fake = tg.fake
    await fake.push_message("/caption a rainy tram in Lisbon for x")
    await final(fake, ALICE, "3 captions for X")
    await fake.push_message(command)
    answer = await final(fake, ALICE, "One draft at a time")
    name = command.split()[0]
    assert answer.text == f"One draft at a time: {name} #1, then {name} #2."
    await fake.push_message("/history")
    history = await final(fake, ALICE, "Your latest drafts")
    assert history.text.count("\n#") == 3 and "✓" not in history.text


async def test_a_whole_id_with_a_full_stop_after_it_is_still_that_draft(tg: Harness) -> None:
    fake = tg.fake
    await fake.push_message("/caption a rainy tram in Lisbon for x")
    await final(fake, ALICE, "3 captions for X")
    await fake.push_message("/pick #2.")
    await final(fake, ALICE, "Picked #2 ✓")
    await fake.push_message("/posted #3!")  # it recorded the text “#3!” as published
    await final(fake, ALICE, "Recorded #3 as published")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("/captoin a rainy tram", "/caption"),
        ("/histroy", "/history"),
        ("/brainstrom tram rides", "/brainstorm"),
        ("/series lsit", "/series list"),
    ],
)
async def test_a_mistyped_command_is_answered_with_the_one_it_likely_meant(
    tg: Harness, typed: str, meant: str
) -> None:
    """ "I don't know /captoin — send /help" left the person to find /caption in the
    whole list of commands."""
    fake = tg.fake
    await fake.push_message(typed)
    answer = await final(fake, ALICE, "I don't know")
    assert f"did you mean {meant}?" in answer.text.lower()
    assert "Something went wrong" not in answer.text


@pytest.mark.parametrize("typed", ["/exit", "/unpick #2", "/remove #2"])
async def test_a_different_word_is_not_offered_a_lookalike_command(tg: Harness, typed: str) -> None:
    """ "/exit" is not /next or /export, "/unpick" not /pick or /unlink: a guess there
    would send the person to the wrong command."""
    fake = tg.fake
    await fake.push_message(typed)
    answer = await final(fake, ALICE, "I don't know")
    assert answer.text == f"I don't know {typed.split()[0]} — send /help to see what I can do."


async def test_a_platform_named_first_is_the_platform_not_words_of_the_post(tg: Harness) -> None:
    """ "/caption for x a tram at dawn" gave Instagram captions of "for x a tram at dawn",
    and "/remix for linkedin #2" an Instagram remix of the words "for linkedin #2"."""
    fake = tg.fake
    await fake.push_message("/caption for x: a rainy tram at dawn")
    captions = await final(fake, ALICE, "3 captions for X")
    assert "for x" not in captions.text.lower().replace("captions for x", "")
    await fake.push_message("/remix for linkedin #2")
    remix = await final(fake, ALICE, "Remix from #2 for LinkedIn")
    assert "for linkedin #2" not in remix.text
    await fake.push_message("/caption for facebook: our new mug")
    other = await final(fake, ALICE, "captions for Instagram")
    assert other.text.startswith("(I don't know Facebook's rules, so this is for Instagram;")
    assert "facebook" not in other.text.split("\n", 1)[1].lower()
    await fake.push_message("/caption for the love of trams")
    await final(fake, ALICE, "3 captions for Instagram")  # no platform named: the default


async def test_how_many_ideas_said_first_is_the_count_not_part_of_the_topic(tg: Harness) -> None:
    """ "/brainstorm 3 ideas about trams" gave 5 ideas for “3 ideas about trams”."""
    fake = tg.fake
    await fake.push_message("/brainstorm 3 ideas about night trams")
    answer = await final(fake, ALICE, "ideas for")
    assert answer.text.startswith("3 ideas for “night trams”")
    await fake.push_message("/brainstorm 3 tram lines")  # a number with no "ideas": the topic
    await final(fake, ALICE, "ideas for “3 tram lines”")


@pytest.mark.parametrize("command", ["/brainstorm 5", "/brainstorm 5 ideas"])
async def test_a_count_alone_asks_for_the_topic(tg: Harness, command: str) -> None:
    """ "/brainstorm 5" gave 5 ideas for “5”."""
    fake = tg.fake
    await fake.push_message(command)
    answer = await final(fake, ALICE, "brainstorm")
    assert answer.text == "What should we brainstorm? e.g. /brainstorm rainy-day content for a café"


async def test_next_for_a_series_that_is_not_the_active_one_says_how_not_the_active_one(
    tg: Harness,
) -> None:
    """ "/next Lisbon" while “Porto” was active gave the next post for Porto."""
    fake = tg.fake
    await fake.push_message("/series new Lisbon | dawn tram rides")
    await final(fake, ALICE, "“Lisbon” started")
    await fake.push_message("/series new Porto | river walks")
    await final(fake, ALICE, "“Porto” started")
    await fake.push_message("/next lisbon")
    told = await final(fake, ALICE, "/next follows")
    assert told.text == (
        "/next follows the active series (now “Porto”). For “Lisbon”: /series use Lisbon, "
        "then /next."
    )
    assert not any(t.startswith("Next for") for t in fake.texts(ALICE))
    await fake.push_message("/next Porto")  # the active one, named: as /next
    await final(fake, ALICE, "Next for “Porto”")
    await fake.push_message("/next Braga")
    await final(fake, ALICE, "There's no series called “Braga”. Yours: ")


async def test_a_remix_for_a_network_muse_has_no_rules_for_says_so(tg: Harness) -> None:
    """ "/remix #2 for facebook" was an X remix labelled "(for facebook)"; "/remix <post>
    for facebook" remixed the words "for facebook" too. As for captions (README), the
    network is named as such and the remix goes to the default platform."""
    fake = tg.fake
    await fake.push_message("/caption a rainy tram in Lisbon for x")
    await final(fake, ALICE, "3 captions for X")
    await fake.push_message("/remix #2 for facebook")
    told = await final(fake, ALICE, "Remix from #2")
    assert told.text.startswith("(I don't know Facebook's rules, so this is for Instagram;")
    assert "Remix from #2 for Instagram" in told.text and "for facebook)" not in told.text
    await fake.push_message("/remix Tram 28 at dawn, empty seats for facebook")
    plain = await final(fake, ALICE, "Remix for Instagram")
    assert "I don't know Facebook's rules" in plain.text
    assert "for facebook" not in plain.text.split("Remix for Instagram")[1]


async def test_a_newline_after_a_subcommand_is_a_space(
    fake: FakeBotAPI, core: Core, model: ScriptedChatModel
) -> None:
    """ "/session start⏎names for our stream" (a newline typed on a phone) was "I don't
    know /session start⏎names"; "/series new⏎Lisbon | …" likewise."""
    adapter = await running(core, fake, FakeClock())
    try:
        await fake.push_message("/series new\nLisbon | dawn tram rides")
        await final(fake, ALICE, "▶ “Lisbon” started and active")
        group = fake.group(-100500)
        model.enqueue(SEEDS)
        await fake.push_message("/session start\nnames for our stream\t20", chat=group)
        opening = await final(fake, -100500, "💡 Session #1")
        assert opening.text.startswith("💡 Session #1 · names for our stream\n")
        assert "(20 min)" in opening.text
    finally:
        await adapter.stop()


async def test_help_shows_the_caption_tone_that_works(tg: Harness) -> None:
    """/caption takes "tone <tone>" (and Discord offers it as an option), yet /help and
    the README showed only "[for <platform>]"."""
    fake = tg.fake
    await fake.push_message("/help")
    shown = await final(fake, ALICE, "Here is what I can do")
    assert "/caption <what the post shows> [for <platform>] [tone <tone>]" in shown.text
    await fake.push_message("/caption a rainy tram for x tone hype")
    captions = await final(fake, ALICE, "3 captions for X")
    assert "#1 (hype)" in captions.text


async def test_a_colon_after_the_draft_id_is_no_part_of_the_instruction(tg: Harness) -> None:
    """ "/remix #2: make it shorter" labelled the remix "(: make it shorter)"."""
    fake = tg.fake
    await fake.push_message("/caption a rainy tram in Lisbon for x")
    await final(fake, ALICE, "3 captions for X")
    await fake.push_message("/remix #2: make it shorter")
    remix = await final(fake, ALICE, "Remix from #2 for X")
    assert "#4 (make it shorter) (" in remix.text


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("/caption: a rainy tram in Lisbon for x", "3 captions for X"),
        ("/help?", "Here is what I can do"),
        ("/brainstorm, night trams 2", "2 ideas for “night trams”"),
    ],
)
async def test_punctuation_right_after_a_command_still_makes_it_that_command(
    tg: Harness, typed: str, answer: str
) -> None:
    """ "/caption: a rainy tram" (Telegram shows "/caption" as the command) was answered
    as chat, the model talking about it instead of writing captions; "/help?" too."""
    fake = tg.fake
    await fake.push_message(typed)
    await final(fake, ALICE, answer)
    assert not any(t.startswith("Noted:") for t in fake.texts(ALICE))


async def test_help_with_a_command_name_explains_that_command(tg: Harness) -> None:
    """ "/help caption" (or "/help /series") printed the whole list, ignoring the name;
    a name that is no command said nothing about it either."""
    fake = tg.fake
    await fake.push_message("/help caption")
    one = await final(fake, ALICE, "/caption <what the post shows>")
    assert "Here is what I can do" not in one.text and "/remix" not in one.text
    assert "tone (optional): The tone to lead with — warm, witty" in one.text
    assert "Example: /caption a rainy morning in Lisbon" in one.text
    await fake.push_message("/help /series")
    series = await final(fake, ALICE, "/series [new | list | use | end]")
    assert "• /series use <name> — Make a series the active one" in series.text
    await fake.push_message("/help captoin")
    await final(fake, ALICE, "No command /captoin — did you mean /caption?")
    await fake.push_message("/help xyz")
    await final(fake, ALICE, "No command /xyz — send /help to see them all.")


async def test_a_semicolon_inside_a_style_field_stays_in_it(tg: Harness) -> None:
    """ "/style voice: warm; witty | audience: …" split at ';' too, so "witty" was a
    piece without a field and the whole style was refused. ';' separates fields only
    when a field name follows it."""
    fake = tg.fake
    await fake.push_message("/style voice: warm; witty | audience: cyclists; runners")
    saved = await final(fake, ALICE, "Saved.")
    assert "Voice: warm; witty · Audience: cyclists; runners" in saved.text
    await fake.push_message("/style voice: dry; avoid: hustle")
    both = await final(fake, ALICE, "Voice: dry ·")
    assert "Avoid: “hustle”" in both.text
