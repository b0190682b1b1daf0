"""`/style avoid: …` is "applied to everything Muse writes for you": the offline base
model is never told the words (its few-shot prompts carry the voice only), so what it
writes is filtered — captions, ideas and remixes alike — and a word is a word: avoiding
"hack" says nothing about a "hackathon"."""

from __future__ import annotations

from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from tests.helpers import ask


async def test_an_avoided_word_inside_another_word_is_left_alone(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    await ask(core, "/style avoid: hack")
    model.enqueue(
        " Our team at the city hackathon: no sleep, one demo. #Hackathon\n"
        "2. City hackathon, hour 20: the team still laughing. #TeamWork\n"
        "3. Pizza, laptops and the city hackathon team at 3am.\n"
        "4. The hackathon team that shipped a demo before breakfast. #Hackathon"
    )
    reply = await ask(core, "/caption our team at the city hackathon for x")
    assert reply.drafts
    assert all("hackathon" in d.text.lower() for d in reply.drafts), reply.text


async def test_an_avoided_hindi_word_inside_a_longer_one_is_left_alone(
    core: Core, model: ScriptedChatModel
) -> None:
    """Avoiding "भारत" (India) said nothing about "भारतीय" (Indian), yet every caption
    had it cut to "ीय": its vowel sign is a combining mark, which Python re's \\w (the
    word edge) doesn't take for part of the word."""
    core.llm.style = "completion"
    await ask(core, "/style avoid: भारत")
    model.enqueue(
        " भारतीय रेल में सुबह की चाय। #रेल\n"
        "2. खिड़की से भारतीय गाँव, हाथ में चाय। #सफ़र\n"
        "3. भारतीय रेल, लंबा सफ़र, मीठी चाय। #चाय\n"
        "4. चाय वाला और भारतीय रेल की सुबह। #सुबह"
    )
    reply = await ask(core, "/caption भारतीय रेल में सुबह की चाय for x")
    assert reply.drafts
    assert all("भारतीय" in d.text for d in reply.drafts), reply.text


async def test_an_idea_with_an_avoided_word_is_not_shown(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    await ask(core, "/style avoid: journey")
    model.enqueue(
        " My pottery journeys, from first bowl to 300 mugs | Angle: story | Format: reel\n"
        "2. Hook: 300 pottery mugs in one year, counted | Angle: numbers | Format: carousel\n"
        "3. Hook: The pottery market stall that sold out | Angle: behind the scenes | Format: photo"
    )
    reply = await ask(core, "/brainstorm my year of pottery markets 3")
    assert "journey" not in reply.text.lower()
    assert "300 pottery mugs in one year" in reply.text and "sold out" in reply.text


async def test_a_remix_with_an_avoided_word_is_written_again(
    core: Core, model: ScriptedChatModel
) -> None:
    core.llm.style = "completion"
    await ask(core, "/style avoid: amazing")
    model.enqueue(
        " Amazing year: 12 markets and 300 handmade mugs sold. #Pottery",
        " 12 markets, 300 handmade mugs, one grateful potter. #Pottery",
    )
    reply = await ask(
        core, "/remix This year: 12 markets, 300 handmade mugs sold. Thank you! for x"
    )
    assert [d.text for d in reply.drafts] == [
        "12 markets, 300 handmade mugs, one grateful potter. #Pottery"
    ]
