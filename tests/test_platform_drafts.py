"""Drafts as a chat model really writes them, on the fake OpenAI server: lists inside a
draft, the parts of an answer that are not the draft, and lengths counted the way each
platform counts them."""

from __future__ import annotations

import pytest

from bot.config import Settings, load_settings
from bot.core import Core
from bot.platforms import PLATFORMS
from tests.fakes.openai_server import FakeOpenAI, reply
from tests.helpers import ask

BULLETED = (
    "Big news: we opened our second bakery in Porto.\n\n"
    "What's new:\n"
    "- Free pastel de nata all weekend\n"
    "- Meet the bakers who start at 5am\n\n"
    "See you there! #Porto #Bakery"
)
NUMBERED = (
    "Three things our second Porto bakery taught us:\n"
    "1. Bake less, sell out earlier\n"
    "2. The morning crew makes the shop\n"
    "3. Neighbours beat ads\n\n"
    "#Porto"
)
SOURCE = "We opened our second bakery in Porto! Free pastel de nata this weekend."


@pytest.fixture
def settings(server: FakeOpenAI) -> Settings:
    """The shared `core` fixture runs on these."""
    return load_settings()


@pytest.mark.parametrize("rewrite", [BULLETED, NUMBERED], ids=["bullets", "numbers"])
async def test_a_rewrite_with_a_list_of_its_own_comes_back_whole(
    core: Core, server: FakeOpenAI, rewrite: str
) -> None:
    # The model's two rewrites, the first a LinkedIn post with a list in it.
    server.enqueue(reply(f"1. {rewrite}\n\n2. Second bakery, same recipes: Porto, come by."))
    answer = await ask(core, f"/remix {SOURCE} for linkedin")

    (draft,) = answer.drafts
    assert draft.text == rewrite  # its list and paragraphs too, not only its first lines


async def test_an_idea_s_fields_in_sub_bullets_are_kept(core: Core, server: FakeOpenAI) -> None:
    server.enqueue(
        reply(
            "\n".join(
                f"{n}. Hook: {hook}\n   - Angle: {angle}\n   - Format: {fmt}"
                for n, (hook, angle, fmt) in enumerate(
                    [
                        ("The tram driver's 6am view", "behind the scenes", "reel"),
                        ("Ten stops, ten coffees", "a challenge", "carousel"),
                        ("Rain on tram 28", "a mood piece", "photo"),
                    ],
                    start=1,
                )
            )
        )
    )
    answer = await ask(core, "/brainstorm lisbon trams 3")

    assert "[reel] The tram driver's 6am view" in answer.text
    assert "Angle: a challenge" in answer.text
    assert "[photo] Rain on tram 28" in answer.text


async def test_a_caption_s_tone_label_in_front_of_it_is_not_part_of_it(
    core: Core, server: FakeOpenAI
) -> None:
    server.enqueue(
        reply(
            "1. **Warm:** Rain on the tram window, coffee in hand. #Lisbon\n"
            "2. *Witty* — Lisbon said sun. Lisbon lied. #RainyDay\n"
            "3. (Poetic) Grey sky, yellow tram, warm-hearted hills. #Portugal"
        )
    )
    answer = await ask(core, "/caption a rainy tram ride in lisbon")

    assert [(d.label, d.text) for d in answer.drafts] == [
        ("warm", "Rain on the tram window, coffee in hand. #Lisbon"),
        ("witty", "Lisbon said sun. Lisbon lied. #RainyDay"),
        ("poetic", "Grey sky, yellow tram, warm-hearted hills. #Portugal"),
    ]


async def test_brainstorm_fields_in_bold_are_read_as_fields(core: Core, server: FakeOpenAI) -> None:
    server.enqueue(
        reply(
            "1. **Hook:** The tram driver's 6am view | **Angle:** behind the scenes | "
            "**Format:** reel\n"
            "2. *Hook:* Ten stops, ten coffees | *Angle:* a challenge | *Format:* carousel"
        )
    )
    answer = await ask(core, "/brainstorm lisbon trams 2")

    assert "#1 [reel] The tram driver's 6am view\n    Angle: behind the scenes" in answer.text
    assert "#2 [carousel] Ten stops, ten coffees\n    Angle: a challenge" in answer.text
    assert "*" not in answer.text


JAPANESE = "東京の朝、静かな駅で電車を待つ。"  # 16 characters, 32 on X (CJK weigh 2)
LINK = "https://example.com/videos/" + "tram-28-" * 30  # 267 characters, 23 on X
FAMILY = "👨‍👩‍👧‍👦🌊"  # 8 code points, 2 graphemes


@pytest.mark.parametrize(
    ("platform", "rewrite", "shown", "length"),
    [
        # 384 on X: eight whole sentences (256) fit, never a cut one.
        ("x", JAPANESE * 12, JAPANESE * 8, 256),
        # 316 characters, but X counts the link as 23: it all fits, the link kept.
        ("x", f"New video: all of tram 28 in one morning. Watch: {LINK}", None, 72),
        # 340 code points, 96 graphemes: it fits Bluesky's 300 graphemes.
        ("bluesky", f"Our family beach day, in emoji: {FAMILY * 40}", None, 112),
    ],
    ids=["x-japanese", "x-link", "bluesky-emoji"],
)
async def test_a_draft_is_measured_as_its_platform_counts(
    core: Core, server: FakeOpenAI, platform: str, rewrite: str, shown: str | None, length: int
) -> None:
    server.enqueue(reply(f"1. {rewrite}"))
    answer = await ask(core, f"/remix our morning, a post to rewrite for {platform}")

    (draft,) = answer.drafts
    assert draft.text == (shown or rewrite)
    limit = PLATFORMS[platform].max_chars
    assert f"({length}/{limit})" in answer.text


async def threads_drafts(core: Core, server: FakeOpenAI, written: list[str]) -> list[str]:
    """The Threads drafts Muse makes of these captions, as the model wrote them."""
    server.enqueue(reply("\n".join(f"{n}. {text}" for n, text in enumerate(written, 1))))
    answer = await ask(core, "/caption morning tea by the river for threads")
    return [d.text for d in answer.drafts]


async def test_a_link_s_anchor_and_a_number_are_not_hashtags(
    core: Core, server: FakeOpenAI
) -> None:
    """Threads takes one hashtag: a link's "#tickets" or "#1" is none, so neither is
    dropped as a second one (the link broken), nor makes the real hashtag go."""
    written = [
        "Golden hour on the river #sunset. Tickets at https://example.com/#tickets",
        "We're the #1 tram in town. #Lisbon",
        "Bells, hills and one yellow tram. #Tram28",
    ]
    assert await threads_drafts(core, server, written) == [
        "Golden hour on the river #sunset. Tickets at https://example.com/#tickets",
        "We're the #1 tram in town. #Lisbon",
        "Bells, hills and one yellow tram. #Tram28",
    ]


async def test_a_second_hashtag_with_vowel_signs_is_dropped_whole_on_threads(
    core: Core, server: FakeOpenAI
) -> None:
    """Threads takes one hashtag. In Hindi, Thai or Bengali a hashtag's vowel signs are
    combining marks, which Python's \\w doesn't match: "#भारत" was read as "#भ", so the
    surplus tag stayed on as the plain word "भारत", and one that was only a letter and
    its sign ("#हि") left the sign dangling on its own."""
    written = [
        "गंगा किनारे सुबह की चाय। #वाराणसी #भारत",
        "ทะเลสวยมากตอนเช้า #ทะเล #เที่ยวไทย",
        "নদীর ধারে ভোরের চা। #কলকাতা #হি",
    ]
    assert await threads_drafts(core, server, written) == [
        "गंगा किनारे सुबह की चाय। #वाराणसी",
        "ทะเลสวยมากตอนเช้า #ทะเล",
        "নদীর ধারে ভোরের চা। #কলকাতা",
    ]


async def test_two_platforms_named_give_drafts_for_the_first_and_say_so(
    core: Core, server: FakeOpenAI
) -> None:
    answer = await ask(core, "/caption a rainy tram ride in Lisbon for linkedin and x")

    assert {d.platform for d in answer.drafts} == {"linkedin"}
    assert "captions for LinkedIn" in answer.text
    notice = "(One platform at a time, so this is for LinkedIn; for X, remix the one you like"
    assert notice in answer.text
    first = answer.drafts[0].id
    assert f"E.g. /remix #{first} for x · /pick #{first}" in answer.text  # a real id
    assert "linkedin and x" not in server.requests[0].text()  # not part of what the post shows


async def test_a_platform_after_the_tone_is_still_the_platform(
    core: Core, server: FakeOpenAI
) -> None:
    answer = await ask(core, "/caption a rainy tram ride in Lisbon tone: witty for x")

    assert {d.platform for d in answer.drafts} == {"x"}
    assert answer.drafts[0].label == "witty"


async def test_a_network_muse_has_no_rules_for_is_named_not_hidden(
    core: Core, server: FakeOpenAI
) -> None:
    """ "for facebook" gave Instagram captions with nothing but the heading to say so,
    and "for facebook" went to the model as part of what the post shows."""
    answer = await ask(core, "/caption a rainy tram ride in Lisbon for facebook")
    assert {d.platform for d in answer.drafts} == {"instagram"}
    said = "(I don't know Facebook's rules, so this is for Instagram; I write for Instagram, X,"
    assert said in answer.text
    assert "facebook" not in server.requests[0].text().lower()


@pytest.mark.parametrize(
    ("asked", "platform"),
    [
        ("for tiktok videos", "tiktok"),
        ("for linkedin post", "linkedin"),
        ("on x thread", "x"),
        ("para linkedin", "linkedin"),  # as a Spanish or Portuguese creator says it
        ("pour instagram", "instagram"),
        ("für tiktok", "tiktok"),
        ("для x", "x"),
    ],
)
async def test_a_platform_named_with_its_format_is_that_platform(
    core: Core, asked: str, platform: str
) -> None:
    answer = await ask(core, f"/caption a rainy tram ride in Lisbon {asked}")
    assert {d.platform for d in answer.drafts} == {platform}


async def test_the_remix_example_names_another_platform_than_the_drafts(core: Core) -> None:
    """Under captions for X, the example said "/remix #1 for x": for the platform they
    were already written for."""
    answer = await ask(core, "/caption a rainy tram ride in Lisbon for x")
    first = answer.drafts[0].id
    assert f"/remix #{first} for x ·" not in answer.text
    assert f"/remix #{first} for linkedin · /pick #{first}" in answer.text
