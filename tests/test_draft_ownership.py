"""Who may use a draft: the conversation that owns it — and, in a private chat only, the
person who wrote it. Plus the upgrade of Discord data made when a server was one owner."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from bot.config import Settings
from bot.core import Core
from bot.memory.migrations import m001_initial
from bot.messages import Incoming, SessionKey
from tests.helpers import ask


async def test_author_exception_only_in_private_chats(core: Core) -> None:
    made = await ask(core, "/caption a lighthouse at dusk", chat="group-a", group=True)
    first = made.drafts[0].id
    # Another group (even with the same person asking) can't reach it…
    elsewhere = await ask(core, f"/pick #{first}", chat="group-b", group=True)
    assert elsewhere.is_error and f"#{first}" in elsewhere.text
    # …the author can from their private chat, nobody else can.
    mine = await ask(core, f"/pick #{first}", chat="u1-dm")
    assert mine.text.startswith(f"Picked #{first}")
    theirs = await ask(core, f"/pick #{first}", chat="u2-dm", user="u2")
    assert theirs.is_error


def _old_discord_db(path: Path) -> None:
    """A database as the previous Muse left it: a Discord server as one owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(sqlite3.connect(str(path)))
    m001_initial(db)
    db.table("_migrations").insert({"name": "m001_initial", "applied_at": "2025-01-01"}, pk="name")
    when = "2025-01-01T00:00:00"
    db.table("users").insert_all(
        [
            {"id": 1, "kind": "group", "display_name": "", "created_at": when},
            {"id": 2, "kind": "person", "display_name": "alice", "created_at": when},
        ]
    )
    db.table("identities").insert_all(
        [
            {"platform": "discord", "external_id": "chat:900", "user_id": 1},
            {"platform": "discord", "external_id": "42", "user_id": 2},
        ]
    )
    db.table("profiles").insert(
        {"user_id": 1, "voice": "cosy", "audience": "", "platforms": "[]", "avoid": "[]"}
    )
    for n, channel in enumerate(("901", "901", "902"), start=1):
        db.table("drafts").insert(
            {
                "id": n,
                "owner_id": 1,
                "author_id": 2,
                "session": f"discord:900:{channel}",
                "kind": "caption",
                "platform": "instagram",
                "label": "",
                "text": f"draft {n} from {channel}",
                "request": "",
                "status": "new",
                "created_at": when,
            }
        )
    db.table("turns").insert(
        {
            "owner_id": 1,
            "author_id": 2,
            "session": "discord:900:901",
            "role": "user",
            "text": "our codename is Bluebird",
            "created_at": when,
        }
    )
    db.conn.close()


def _in(channel: str, text: str) -> Incoming:
    return Incoming(SessionKey("discord", channel), "42", text=text, is_group=True)


async def test_upgrade_moves_server_data_to_its_channels(settings: Settings) -> None:
    _old_discord_db(settings.db_path)
    core = await Core.create(settings)
    try:
        (picked,) = await core.respond(_in("901", "/pick #2"))
        assert picked.text.startswith("Picked #2")
        (refused,) = await core.respond(_in("902", "/pick #1"))
        assert refused.is_error
        (style,) = await core.respond(_in("902", "/style"))
        assert "cosy" in style.text  # the server's style, copied to each channel
        turns = await core.memory.recent_turns(
            await core.memory.user_for("discord", "chat:901", "", "group"), "discord:901"
        )
        assert [t.text for t in turns] == ["our codename is Bluebird"]  # history continues
    finally:
        await core.close()


async def test_a_forgotten_members_old_buttons_never_reach_a_newer_draft(core: Core) -> None:
    """Ben's captions in the team chat stay on screen, with their buttons, after he sends
    /forget. Ana's next captions must not take their numbers: "Pick ✓" under Ben's old
    message says the draft is gone, it never hands out Ana's caption as #1."""
    bens = await ask(core, "/caption a lighthouse at dusk", user="ben", chat="team", group=True)
    pick_bens = bens.buttons[0][3].action
    assert pick_bens is not None and pick_bens.verb == "pick"
    await ask(core, "/forget confirm", user="ben", chat="ben")
    anas = await ask(core, "/caption our launch party", user="ana", chat="team", group=True)
    assert not {d.id for d in anas.drafts} & {d.id for d in bens.drafts}
    pressed = await ask(core, action=pick_bens, user="cai", chat="team", group=True)
    assert pressed.is_error and "That draft is gone" in pressed.text, pressed.text
