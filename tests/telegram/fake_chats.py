"""The fake's groups: who is an admin, forum topics, which group messages reach the
bot at all (privacy mode, as @BotFather's /setprivacy sets it), a group upgraded to a
supergroup (its id changes) and chats the bot can no longer reach (removed, deleted)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.telegram.fake_wire import ApiError

BOT: dict[str, Any] = {
    "id": 1000,
    "is_bot": True,
    "first_name": "Muse",
    "username": "muse_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)


class Chats:
    """State and Bot API methods about chats; mixed into FakeBotAPI."""

    def __init__(self) -> None:
        self.chats: dict[int, dict[str, Any]] = {}
        self.members: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, user) -> ChatMember
        self.topics: dict[tuple[int, int], str] = {}  # (chat, thread) -> name
        # Privacy mode on (a new bot's default): in groups the bot gets only commands,
        # @mentions and replies to its messages — unless it is an admin there.
        self.privacy = True
        self._ids: itertools.count[int] = itertools.count(1)
        self.migrated: dict[int, int] = {}  # old group id -> its supergroup's id
        self.gone: dict[int, ApiError] = {}  # chats every request about fails, and how

    # -- set up by tests -----------------------------------------------------

    def group(self, chat_id: int = -100500, forum: bool = False, title: str = "Creators") -> Any:
        """A supergroup (a forum when `forum`); the chat object messages carry."""
        chat = {"id": chat_id, "type": "supergroup", "title": title, "is_forum": forum}
        self.chats[chat_id] = chat
        return chat

    def set_member(
        self, chat_id: int, user: dict[str, Any], status: str = "administrator", **rights: bool
    ) -> None:
        """`status`: creator | administrator | member; administrators get `rights`
        (every other right False, like a freshly promoted admin)."""
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update({right: bool(rights.get(right, False)) for right in ADMIN_RIGHTS})
        self.members[(chat_id, user["id"])] = member

    def make_bot_admin(self, chat_id: int, **rights: bool) -> None:
        self.set_member(chat_id, BOT, "administrator", **rights)

    # -- rules ---------------------------------------------------------------

    def member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        known = self.members.get((chat_id, user_id))
        if known is not None:
            return known
        user = BOT if user_id == BOT["id"] else {"id": user_id, "is_bot": False, "first_name": "?"}
        return {"status": "member", "user": user}

    def bot_is_admin(self, chat_id: int) -> bool:
        return self.member(chat_id, BOT["id"])["status"] in ("administrator", "creator")

    def delivered_to_bot(self, message: dict[str, Any]) -> bool:
        """What Telegram sends a bot from a group, per privacy mode."""
        chat = message["chat"]
        if chat.get("type") not in ("group", "supergroup"):
            return True
        if not self.privacy or self.bot_is_admin(chat["id"]):
            return True
        text = str(message.get("text") or message.get("caption") or "")
        if text.startswith("/"):
            command = text.split()[0]
            return "@" not in command or command.lower().endswith("@" + BOT["username"])
        if f"@{BOT['username']}".lower() in text.lower():
            return True
        replied = message.get("reply_to_message") or {}
        # In a topic every message "replies" to the topic's creation: that doesn't count.
        return replied.get("from", {}).get("id") == BOT["id"] and (
            "forum_topic_created" not in replied
        )

    def check_chat(self, method: str, params: dict[str, Any]) -> None:
        """Requests about a group that was upgraded, or that the bot can't reach any more,
        fail as Telegram fails them."""
        if "chat_id" not in params or method == "getUpdates":
            return
        try:
            chat_id = int(params["chat_id"])
        except (TypeError, ValueError):
            return
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat_id],
            )
        if chat_id in self.gone:
            raise self.gone[chat_id]

    def check_thread(self, chat_id: int, thread_id: Any) -> None:
        chat = self.chats.get(chat_id, {})
        if thread_id and chat.get("is_forum") and (chat_id, int(thread_id)) not in self.topics:
            raise ApiError(400, "Bad Request: message thread not found")

    # -- Bot API methods -----------------------------------------------------

    async def _m_getChatMember(self, p: dict[str, Any]) -> Any:
        chat_id, user_id = int(p["chat_id"]), int(p["user_id"])
        if chat_id not in self.chats and chat_id < 0:
            raise ApiError(400, "Bad Request: chat not found")
        return self.member(chat_id, user_id)

    async def _m_getChat(self, p: dict[str, Any]) -> Any:
        chat_id = int(p["chat_id"])
        chat = self.chats.get(chat_id)
        if chat is None:
            if chat_id < 0:
                raise ApiError(400, "Bad Request: chat not found")
            chat = {"id": chat_id, "type": "private", "first_name": "User"}
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11}

    async def _m_createForumTopic(self, p: dict[str, Any]) -> Any:
        chat_id = int(p["chat_id"])
        chat = self.chats.get(chat_id)
        if chat is None or not chat.get("is_forum"):
            raise ApiError(400, "Bad Request: the chat is not a forum")
        me = self.member(chat_id, BOT["id"])
        if not (me["status"] == "creator" or me.get("can_manage_topics")):
            raise ApiError(400, "Bad Request: not enough rights to create a topic")
        name = str(p.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY")
        thread_id = next(self._ids)
        self.topics[(chat_id, thread_id)] = name
        color = int(p.get("icon_color") or 7322096)
        self.record_service(
            chat,
            {
                "message_id": thread_id,
                "date": int(time.time()),
                "chat": chat,
                "from": BOT,
                "message_thread_id": thread_id,
                "is_topic_message": True,
                "forum_topic_created": {"name": name, "icon_color": color},
            },
        )
        return {"message_thread_id": thread_id, "name": name, "icon_color": color}

    def record_service(self, chat: dict[str, Any], message: dict[str, Any]) -> None:
        """Overridden by the API: keep a service message in the chat's history."""
        raise NotImplementedError

    async def push_update(self, update: dict[str, Any]) -> None:
        raise NotImplementedError  # the API's

    # -- what happens to a chat ----------------------------------------------

    async def upgrade(self, chat: dict[str, Any], to_id: int, by: dict[str, Any]) -> Any:
        """A basic group becomes a supergroup (a member made it public, turned on
        Topics…): its id changes. As Telegram does it, the bot gets two service messages,
        `migrate_to_chat_id` in the old group and `migrate_from_chat_id` (sent by the
        group itself) in the new one; the old id answers every request with a 400 that
        names the new one. The supergroup's chat object is returned."""
        new = {"id": to_id, "type": "supergroup", "title": chat.get("title", ""), "is_forum": False}
        self.chats[to_id] = new
        for (chat_id, user_id), member in list(self.members.items()):
            if chat_id == chat["id"]:
                self.members[(to_id, user_id)] = member
        now = int(time.time())
        gone = {"message_id": next(self._ids), "date": now, "chat": chat, "from": by}
        await self.push_update({"message": {**gone, "migrate_to_chat_id": to_id}})
        self.migrated[chat["id"]] = to_id
        anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group"}
        anonymous["username"] = "GroupAnonymousBot"
        came = {"message_id": next(self._ids), "date": now, "chat": new, "from": anonymous}
        came["sender_chat"] = new
        await self.push_update({"message": {**came, "migrate_from_chat_id": chat["id"]}})
        return new

    async def bot_status(self, chat: dict[str, Any], status: str, by: dict[str, Any]) -> None:
        """Someone removes the bot from a group ("kicked", "left") or adds it again
        ("member"): a `my_chat_member` update (delivered only if the bot asked for it in
        allowed_updates). While it is out, every request about the chat gets a 403."""
        old = self.member(chat["id"], BOT["id"])
        new: dict[str, Any] = {"status": status, "user": BOT}
        if status == "kicked":
            new["until_date"] = 0
            self.gone[chat["id"]] = ApiError(403, "Forbidden: bot was kicked from the group chat")
        elif status == "left":
            why = "Forbidden: bot is not a member of the group chat"
            self.gone[chat["id"]] = ApiError(403, why)
        else:
            self.gone.pop(chat["id"], None)
        self.members[(chat["id"], BOT["id"])] = new
        update = {"chat": chat, "from": by, "date": int(time.time())}
        update |= {"old_chat_member": old, "new_chat_member": new}
        await self.push_update({"my_chat_member": update})
