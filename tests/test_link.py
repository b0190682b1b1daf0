"""Linking identities through the core: merge, unlink, export/forget and the CLI after a
link (the Telegram+Discord journey is in test_link_platforms.py)."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from bot.config import Settings
from bot.core import Core
from bot.llm.fake import ScriptedChatModel
from bot.messages import Action
from tests.fakes.clock import FakeClock
from tests.fakes.outbox import RecordingOutbox
from tests.helpers import ask, message, muse_cli
from tests.session_kit import Group
from tests.test_recovery import cut_off, next_start
from tests.test_sessions import SUMMARY, open_session

CODE_RE = re.compile(r"Your code: ([A-Z0-9]{6})")


async def link(core: Core, *, maker: dict[str, str], joiner: dict[str, str]) -> str:
    made = await ask(core, "/link", **maker)  # type: ignore[arg-type]
    code = CODE_RE.search(made.text)
    assert code and made.private
    joined = await ask(core, f"/link {code.group(1).lower()}", **joiner)  # type: ignore[arg-type]
    assert "Linked ✓" in joined.text, joined.text
    return code.group(1)


TG = {"platform": "telegram", "user": "111", "chat": "111"}
DC = {"platform": "discord", "user": "999", "chat": "dm-999"}


async def test_link_merges_everything_into_one_person(core: Core) -> None:
    await ask(core, "/style voice: warm", **TG)  # type: ignore[arg-type]
    await ask(core, "/style voice: loud", **DC)  # type: ignore[arg-type]
    await ask(core, "/series new Lisbon Mornings | a weekly dawn tram ride", **TG)  # type: ignore[arg-type]
    dc_caption = await ask(core, "/caption a neon diner", **DC)  # type: ignore[arg-type]
    await ask(core, "/posted Neon and rain", **DC)  # type: ignore[arg-type]
    await link(core, maker=TG, joiner=DC)

    person = await core.memory.find_user("telegram", "111")
    assert person == await core.memory.find_user("discord", "999")
    assert person is not None
    # The code maker's style wins; the joiner's drafts, posts and series follow.
    assert (await core.memory.profile(person)).voice == "warm"
    draft_id = dc_caption.drafts[0].id
    assert "Picked" in (await ask(core, f"/pick #{draft_id}", **TG)).text  # type: ignore[arg-type]
    history = await ask(core, "/history", **TG)  # type: ignore[arg-type]
    assert f"#{draft_id} caption" in history.text
    assert "Lisbon Mornings" in (await ask(core, "/series", **DC)).text  # type: ignore[arg-type]
    data = await core.memory.export(person)
    assert [p["text"] for p in data["posts"]] == ["Neon and rain"]
    assert len(data["identities"]) == 2 and data["link_codes"] == []


async def test_two_series_of_one_name_stay_reachable_after_linking(core: Core) -> None:
    """Each app had its own "Lisbon": after the link the joiner's is "Lisbon (2)", so
    /series end and /series use name the one meant (the active one was left running)."""
    await ask(core, "/series new Lisbon | dawn trams", **TG)  # type: ignore[arg-type]
    await ask(core, "/series new lisbon | night trams", **DC)  # type: ignore[arg-type]
    await ask(core, "/posted Tram at midnight", **DC)  # type: ignore[arg-type]
    await link(core, maker=TG, joiner=DC)
    listing = (await ask(core, "/series", **DC)).text  # type: ignore[arg-type]
    assert "▶ Lisbon — dawn trams" in listing and "· lisbon (2) — night trams · 1 post" in listing
    ended = await ask(core, "/series end Lisbon", **DC)  # type: ignore[arg-type]
    assert "“Lisbon” ended" in ended.text
    back = await ask(core, "/series use lisbon (2)", **TG)  # type: ignore[arg-type]
    assert "“lisbon (2)” is the active series again: night trams" in back.text


async def test_linking_says_which_series_is_active_when_both_had_one(core: Core) -> None:
    """Mid-way through "Bakery" on Discord, a link to Telegram (where "Lisbon" runs) made
    every new draft follow "Lisbon" without a word; the answer now says so, and how back."""
    await ask(core, "/series new Lisbon | dawn trams", **TG)  # type: ignore[arg-type]
    await ask(core, "/series new Bakery | one loaf a week", **DC)  # type: ignore[arg-type]
    made = await ask(core, "/link", **TG)  # type: ignore[arg-type]
    code = CODE_RE.search(made.text)
    assert code
    joined = await ask(core, f"/link {code.group(1)}", **DC)  # type: ignore[arg-type]
    assert "“Lisbon” is your active series now; /series use Bakery" in joined.text


async def test_a_cleared_style_is_no_style_when_linking(core: Core) -> None:
    """The code maker once set a style and cleared it: the joiner's style is the one kept,
    as for a maker who never had one."""
    await ask(core, "/style voice: warm", **TG)  # type: ignore[arg-type]
    await ask(core, "/style reset", **TG)  # type: ignore[arg-type]
    await ask(core, "/style voice: loud | audience: gamers", **DC)  # type: ignore[arg-type]
    await link(core, maker=TG, joiner=DC)
    assert "Voice: loud · Audience: gamers" in (await ask(core, "/style", **TG)).text  # type: ignore[arg-type]


async def test_link_refusals(core: Core) -> None:
    code = (await ask(core, "/link", **TG)).text  # type: ignore[arg-type]
    mine = CODE_RE.search(code)
    assert mine
    same = await ask(core, f"/link {mine.group(1)}", **TG)  # type: ignore[arg-type]
    assert "your own code" in same.text
    # A wrong code and junk get the same clear line.
    junk = await ask(core, "/link hello world", **DC)  # type: ignore[arg-type]
    assert "doesn't work" in junk.text and junk.is_error
    person = await core.memory.find_user("discord", "999")
    assert person is not None and len(await core.memory.identities(person)) == 1
    # Sent back to its own account by mistake, it still works where it was meant to.
    assert "Linked" in (await ask(core, f"/link {mine.group(1)}", **DC)).text  # type: ignore[arg-type]
    used = await ask(core, f"/link {mine.group(1)}", platform="console", user="x")
    assert "doesn't work" in used.text and used.is_error  # used, it is gone
    # A new code replaces the old one.
    first = CODE_RE.search((await ask(core, "/link", **TG)).text)  # type: ignore[arg-type]
    second = CODE_RE.search((await ask(core, "/link", **TG)).text)  # type: ignore[arg-type]
    assert first and second
    old = await ask(core, f"/link {first.group(1)}", platform="console", user="x")
    assert "doesn't work" in old.text


async def test_a_code_sent_from_an_account_already_linked_says_so(core: Core) -> None:
    """Telegram and Discord are linked; a code made on Telegram for the console, typed on
    Discord by mistake, is not "from this same account": it says they are linked already,
    and the code still works on the console."""
    await link(core, maker=TG, joiner=DC)
    code = CODE_RE.search((await ask(core, "/link", **TG)).text)  # type: ignore[arg-type]
    assert code
    again = await ask(core, f"/link {code.group(1)}", **DC)  # type: ignore[arg-type]
    assert "already linked: you're one creator on Discord and Telegram" in again.text
    assert "same account" not in again.text
    console = await ask(core, f"/link {code.group(1)}", platform="console", user="me")
    assert "Linked ✓" in console.text
    split = await ask(core, "/unlink", platform="console", user="me")
    assert split.text.startswith("Unlinked: this console account starts fresh"), split.text


async def test_unlink_keeps_the_past_with_the_remaining_identity(core: Core) -> None:
    assert "isn't linked" in (await ask(core, "/unlink", **TG)).text  # type: ignore[arg-type]
    await ask(core, "/style voice: warm", **TG)  # type: ignore[arg-type]
    caption = await ask(core, "/caption tram at dawn", **TG)  # type: ignore[arg-type]
    await link(core, maker=TG, joiner=DC)

    split = await ask(core, "/unlink", **DC)  # type: ignore[arg-type]
    assert "starts fresh" in split.text and "stays with your account on Telegram" in split.text
    tg, dc = (
        await core.memory.find_user("telegram", "111"),
        await core.memory.find_user("discord", "999"),
    )
    assert tg is not None and dc is not None and tg != dc
    assert (await core.memory.profile(dc)).voice == "warm"  # a copy of the style
    draft_id = caption.drafts[0].id
    gone = await ask(core, f"/remix #{draft_id}", **DC)  # type: ignore[arg-type]
    assert f"can't find draft #{draft_id}" in gone.text
    assert "Remix from" in (await ask(core, f"/remix #{draft_id}", **TG)).text  # type: ignore[arg-type]
    # What each makes from now on stays its own.
    new = await ask(core, "/caption a neon diner", **DC)  # type: ignore[arg-type]
    tg_history = (await ask(core, "/history", **TG)).text  # type: ignore[arg-type]
    assert f"#{new.drafts[0].id} " not in tg_history


async def test_forget_after_linking_deletes_every_identity(core: Core) -> None:
    await ask(core, "/caption tram at dawn", **TG)  # type: ignore[arg-type]
    await ask(core, "/caption a neon diner", **DC)  # type: ignore[arg-type]
    await link(core, maker=TG, joiner=DC)
    done = await ask(core, "/forget confirm", **DC)  # type: ignore[arg-type]
    assert "deleted 6 drafts" in done.text
    assert await core.memory.find_user("telegram", "111") is None
    assert await core.memory.find_user("discord", "999") is None


async def test_cli_export_and_forget_after_linking(core: Core) -> None:
    await ask(core, "/caption tram at dawn", **TG)  # type: ignore[arg-type]
    await ask(core, "/brainstorm neon diners 2", **DC)  # type: ignore[arg-type]
    await link(core, maker=TG, joiner=DC)
    await core.close()

    out = muse_cli("export", "--platform", "discord", "--user", "999")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {i["platform"] for i in data["identities"]} == {"telegram", "discord"}
    assert {d["kind"] for d in data["drafts"]} == {"caption", "idea"}
    gone = muse_cli("forget", "--platform", "telegram", "--user", "111", "--yes")
    assert gone.returncode == 0 and "Deleted 5 drafts" in gone.stdout
    assert muse_cli("export", "--platform", "discord", "--user", "999").returncode == 1


async def test_a_linked_persons_session_ideas_votes_and_waiting_messages_go_with_them(
    core: Core, model: ScriptedChatModel
) -> None:
    """Ideas, votes and summaries of group sessions, and messages still being answered,
    are the person's whichever identity gave them: exported and forgotten together."""
    core.clock = FakeClock()
    groups = {}
    for platform in ("telegram", "discord"):
        outbox = RecordingOutbox(platform)
        core.attach(platform, outbox)
        groups[platform] = Group(core, outbox, chat=f"g-{platform}", names={"999": "Dee"})
    tg, dc = groups["telegram"], groups["discord"]
    tg_thread = await open_session(tg, model)  # started by "ana"
    await tg.say("111", "/idea Retro Rain Radio", thread=tg_thread)
    await tg.press("111", Action("vote", 1), thread=tg_thread)  # a seed
    dc_thread = await open_session(dc, model)
    await dc.say("999", "/idea Neon Night Diner", thread=dc_thread)
    await dc.press("999", Action("vote", 5), thread=dc_thread)
    model.enqueue(SUMMARY)
    await dc.say("ana", "/session end", thread=dc_thread)  # its summary credits Dee
    waiting = message("a question", platform="discord", user="999", chat="dm-999")
    await core.memory.inbox_receive(replace(waiting, message_id="m1"), "an earlier run")
    await link(core, maker=TG, joiner=DC)

    person = await core.memory.find_user("telegram", "111")
    assert person is not None
    data = await core.memory.export(person)
    assert [i["text"] for i in data["session_ideas"]] == ["Retro Rain Radio", "Neon Night Diner"]
    assert len(data["session_votes"]) == 2
    assert [m["text"] for m in data["inbox"]] == ["a question"]

    await ask(core, "/forget confirm", **TG)  # type: ignore[arg-type]
    assert all(i.author_id is None for i in await core.memory.ideas(2))  # Muse's seeds only
    shown = await dc.line("ana", "/session show 2", thread=dc_thread)
    assert "Dee" not in shown and "a former member" in shown
    assert "Retro Rain Radio" not in await tg.line("ana", "/session show 1", thread=tg_thread)
    assert await core.memory.inbox_leftovers("another run", ["discord"]) == []


async def test_linking_says_whose_style_is_kept_when_both_had_one(core: Core) -> None:
    """Discord had its own style (loud, for gamers) and Telegram another: after the link
    every caption was in Telegram's voice, and Discord's style was gone for good without a
    word. The answer says which style is kept and shows the one replaced, to set again."""
    await ask(core, "/style voice: warm", **TG)  # type: ignore[arg-type]
    await ask(core, "/style voice: loud | audience: gamers", **DC)  # type: ignore[arg-type]
    made = CODE_RE.search((await ask(core, "/link", **TG)).text)  # type: ignore[arg-type]
    assert made
    joined = (await ask(core, f"/link {made.group(1)}", **DC)).text  # type: ignore[arg-type]
    assert "Linked ✓" in joined
    assert "Your style from Telegram is kept" in joined, joined
    assert "(to use it instead: /style voice: loud | audience: gamers)" in joined


async def test_a_link_cut_off_by_a_restart_and_sent_again_says_it_is_linked(
    settings: Settings,
) -> None:
    """Muse was restarted while delivering "Linked ✓": the next start said "please send it
    again", and the code sent again (used by then) was only "That code doesn't work",
    though the accounts were linked. A refused code on a linked account says it is."""
    core = await Core.create(settings)
    made = CODE_RE.search((await ask(core, "/link", **DC)).text)  # type: ignore[arg-type]
    await core.close()
    assert made
    linking = message(f"/link {made.group(1)}", platform="telegram", chat="111", user="111")
    await cut_off(settings, replace(linking, message_id="501"), after_first_reply=True)
    told = (await next_start(settings)).posts[0].reply.text
    assert "restarted while answering your /link" in told and "send it again" in told

    core = await Core.create(settings)
    try:
        again = await ask(core, f"/link {made.group(1)}", **TG)  # type: ignore[arg-type]
    finally:
        await core.close()
    assert "doesn't work" in again.text
    assert "already linked: you're one creator on Discord and Telegram" in again.text


async def test_a_refused_code_in_a_group_keeps_the_linked_apps_private(core: Core) -> None:
    """A used code typed in a group by a linked person: the group may read "That code
    doesn't work", never on which apps they are linked."""
    await link(core, maker=TG, joiner=DC)
    group = {"platform": "telegram", "user": "111", "chat": "-500", "group": True}
    refused = await ask(core, "/link ZZZZZZ", **group)  # type: ignore[arg-type]
    assert "doesn't work" in refused.text and "Discord" in refused.text
    assert refused.private and not refused.is_error  # so it goes to the person alone


async def test_cli_forget_of_a_linked_person_names_every_account_it_deletes(core: Core) -> None:
    """An operator deleting "telegram user 111" on request was asked about that account
    alone, and the Discord account linked to it went too without a word."""
    await ask(core, "/caption tram at dawn", **TG)  # type: ignore[arg-type]
    await link(core, maker=TG, joiner=DC)
    await core.close()
    gone = muse_cli("forget", "--platform", "telegram", "--user", "111", stdin="y\n")
    assert gone.returncode == 0, gone.stderr
    asked = "Delete everything Muse keeps about telegram user 111 (linked: discord user 999)?"
    assert asked in gone.stdout
    assert "Deleted 3 drafts and 2 messages of discord user 999 and telegram user 111." in (
        gone.stdout
    )


async def test_after_unlink_the_account_that_started_a_session_may_still_end_it(
    core: Core, model: ScriptedChatModel
) -> None:
    """Dee started a session on Discord, linked Telegram, then unlinked Discord: her
    `/session end` was refused ("Only Dee, who started session #1, or a group admin"),
    as if the Telegram account, which can't even reach the Discord channel, had started
    it; and pressing 👍 again on her vote added a second one ("2 votes now")."""
    core.clock = FakeClock()
    outbox = RecordingOutbox("discord")
    core.attach("discord", outbox)
    dc = Group(core, outbox, chat="g-discord", names={"999": "Dee"})
    thread = await open_session(dc, model, who="999")
    await dc.press("999", Action("vote", 1), thread=thread)
    await dc.say("999", "/idea Neon Night Diner", thread=thread)
    await link(core, maker=TG, joiner=DC)
    assert "starts fresh" in (await ask(core, "/unlink", **DC)).text  # type: ignore[arg-type]
    # Her vote is hers to take back, not a second one.
    assert "taken back" in (await dc.press("999", Action("vote", 1), thread=thread)).text
    await dc.say("999", "/idea Retro Rain Radio", thread=thread)
    model.enqueue(SUMMARY)
    ended = await dc.say("999", "/session end", thread=thread)
    assert not any(r.is_error for r in ended), [r.text for r in ended]
    assert (await core.memory.session(1)).status == "closed"  # type: ignore[union-attr]
    assert "Ideas by: Dee 2 · Muse 3" in await dc.line("ana", "/session show 1", thread=thread)


async def test_unlink_gives_no_fresh_daily_quota(core: Core) -> None:
    """Alice used up today's 2 requests on Telegram, linked Discord and unlinked Telegram
    again: Telegram "started fresh" with 2 new requests — a link and an unlink a day
    bought any number of them. Each account keeps the day's count it had."""
    core.settings.telegram.daily_quota = core.settings.discord.daily_quota = 2
    for topic in ("tram at dawn", "neon diner"):
        assert not (await ask(core, f"/caption {topic}", **TG)).is_error  # type: ignore[arg-type]
    await link(core, maker=DC, joiner=TG)
    assert "starts fresh" in (await ask(core, "/unlink", **TG)).text  # type: ignore[arg-type]
    for who in (TG, DC):
        spent = await ask(core, "/caption a third", **who)  # type: ignore[arg-type]
        assert "You've used today's 2 requests" in spent.text, spent.text
