"""`muse chat`: the local terminal. Interactive with line editing and history on a
TTY (answers stream live); with stdin piped it answers line by line and exits 0 at
end of input. `muse chat --group` pretends the terminal is a group chat, to try
brainstorm sessions: `ben: /idea …` speaks as another member, `>5 …` replies to
message [5], `!5.1` presses the first button under message [5].

`!N` and `>N` are the terminal's own syntax: one naming no button or message is answered
here, in one line, and never reaches the core (the model would make up an answer)."""

from __future__ import annotations

import asyncio
import getpass
import itertools
import math
import re
import shutil
import signal
import sys
import threading
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from adapters.base import Adapter
from adapters.console_terminal import (
    clear_history,
    load_history,
    restore_terminal,
    save_history,
    settle,
    terminal_state,
    width,
)
from bot.core import Core
from bot.messages import Button, Incoming, Progress, Reply, SessionKey

PRESS_RE = re.compile(r"^!(?:(\d{1,9})\.)?(\d{1,2})$")
# "!abc", "!123", "!4.": one word after "!" is a try at pressing a button, never chat.
PRESS_LIKE_RE = re.compile(r"^!\S*$")
# In a pretend group: "ben: text" speaks as ben, ">5 text" replies to message [5].
SPEAKER_RE = re.compile(r"^([A-Za-z][\w.-]{0,19}):\s+(.*)$", re.S)
REPLY_RE = re.compile(r"^>(\d{1,9})(?:\s+(.*))?$", re.S)
LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
GROUP_HELP = (
    "A pretend group: start a line with a name to speak as another member "
    "(ben: /idea Retro Rain Radio), >5 … replies to message [5], !5.1 presses the first "
    "button under it. Try /session start names for our stream 10."
)
QUIT = {"/quit", "/exit", "/q"}
HELP = {"/help", "/start"}
# After /help: what only the terminal has (the core's help is every platform's).
KEEP_MESSAGES = 500  # the numbered messages whose text and buttons `>N` / `!N.M` can reach
CONSOLE_HELP = "In this terminal: !1 presses button [!1 …] under the last answer; /quit leaves."


class ConsoleAdapter(Adapter):
    name = "console"

    def __init__(
        self,
        core: Core,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
        group: bool = False,
    ) -> None:
        super().__init__(core)
        self.stdin = stdin or sys.stdin
        self.out = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.group = group
        self.session = SessionKey("console", "group" if group else "local")
        self.user = getpass.getuser()
        self._buttons: list[Button] = []
        self._message_buttons: dict[str, list[Button]] = {}
        # What each numbered message shows, for `>N` replies (a group's [N] messages).
        self._message_text: dict[str, str] = {}
        self._speaker = self.user  # who typed the line being answered
        self._sent = 0  # the numbers [N] of this run's messages
        # The ids the core keeps (a session's messages) carry this run's mark: numbers
        # start at [1] again in the next run, where "1" would be another message.
        self._run = uuid.uuid4().hex[:8]
        self._stop = asyncio.Event()
        # On a terminal, what Ctrl-C stops: the line being read, or the answer being shown.
        self._reading: asyncio.Future[str | None] | None = None
        self._answering: asyncio.Task[None] | None = None
        self._export_dir = core.settings.data_dir / "exports"

    async def start(self) -> None:
        await self.run()

    async def stop(self) -> None:
        self._stop.set()

    async def run(self) -> int:
        if not self.interactive:
            return await self._loop()
        load_history(self._history_file())
        self._print("Muse — your creative co-pilot. /help for commands, /quit to leave.\n")
        if self.group:
            self._print(GROUP_HELP + "\n")
        terminal = terminal_state(self.stdin)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, self._ctrl_c)
        try:
            return await self._loop()
        finally:
            loop.remove_signal_handler(signal.SIGINT)
            save_history(self._history_file())
            restore_terminal(self.stdin, terminal)

    async def _loop(self) -> int:
        while not self._stop.is_set():
            line = await self._next_line()
            if line is None:
                if self.interactive:  # Ctrl-D/Ctrl-C at the prompt: end the line for the shell
                    self._print("\n")
                break
            # Bytes that aren't UTF-8 (a Latin-1 file piped in) come as lone surrogates,
            # which no database or platform takes: they read as "�".
            line = LONE_SURROGATE_RE.sub("\ufffd", line).strip()
            if not line:
                continue
            if line.lower() in QUIT:
                break
            self._answering = asyncio.ensure_future(self.ask(line))
            try:
                await self._answering
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # the chat itself is being stopped
                self._print("\n(stopped)\n\n")  # Ctrl-C: this answer only
            finally:
                self._answering = None
        return 0

    def _ctrl_c(self) -> None:
        """Ctrl-C on a terminal stops the answer being written and gives the prompt back
        (the model stops too); at the prompt, it leaves. Either at once: the default
        (cancel everything) waited for the answer to finish, and at the prompt for an
        Enter, since the line is read in a thread that a signal doesn't reach."""
        if self._answering is not None:
            self._answering.cancel()
        elif self._reading is not None and not self._reading.done():
            self._reading.set_result(None)

    async def _next_line(self) -> str | None:
        if not self.interactive:
            return await asyncio.to_thread(self._read)
        # A daemon thread of its own, not the default executor: leaving on Ctrl-C must
        # not wait for the input() it can't interrupt (the executor is joined at exit).
        loop = asyncio.get_running_loop()
        reading = self._reading = loop.create_future()

        def read() -> None:
            line = self._read()
            try:
                loop.call_soon_threadsafe(settle, reading, line)
            except RuntimeError:  # the chat has ended meanwhile
                pass

        threading.Thread(target=read, name="muse-console-input", daemon=True).start()
        try:
            return await reading
        finally:
            self._reading = None

    def _incoming(self, line: str) -> Incoming | str:
        """The line as the core sees it, or the one line to answer here when `!N` or `>N`
        names no button or message: the core never sees terminal syntax as chat."""
        user, name, reply_to, replied = self.user, self.user, None, None
        if self.group:
            speaker = SPEAKER_RE.match(line)
            if speaker:
                name, line = speaker.group(1), speaker.group(2).strip()
                user = name.lower()
            reply = REPLY_RE.match(line)
            if reply:
                number, line = reply.group(1), (reply.group(2) or "").strip()
                replied = self._message_text.get(number)
                if replied is None:
                    return f"There's no message [{number}] here to reply to."
                if not line:
                    return f"Reply to [{number}] with what? e.g. >{number} make it shorter"
                reply_to = self._id(number)
        self._speaker = name
        # As on Telegram: the replied message's id and its text as shown.
        base = Incoming(
            self.session,
            user,
            user_name=name,
            is_group=self.group,
            reply_to_id=reply_to,
            reply_to_text=replied,
            reply_to_muse=replied is not None,  # the numbered messages are Muse's
        )
        press = PRESS_RE.match(line)
        if press or PRESS_LIKE_RE.match(line):
            button = self._pressed(press) if press else None
            if button is None:
                where = "message" if self.group else "answer"
                number = line[1:].strip("!")
                if not number:  # "!" or "!!": no number at all
                    return f"Press a button by its number, e.g. !1 — they are under each {where}."
                return (
                    f"There's no button [{number}] here — buttons are numbered under each {where}."
                )
            return replace(base, action=button.action)
        return replace(base, text=line)

    def _pressed(self, press: re.Match[str]) -> Button | None:
        """`!N`: button N of the last message with buttons; `!M.N`: of message [M]."""
        buttons = self._message_buttons.get(press.group(1)) if press.group(1) else self._buttons
        index = int(press.group(2))
        return buttons[index - 1] if buttons and 0 < index <= len(buttons) else None

    async def ask(self, line: str) -> None:
        incoming = self._incoming(line)
        if isinstance(incoming, str):
            self._print(incoming + "\n\n")
            return
        streamed = ""
        if self.interactive:
            self._print("✍️  ")
        async for out in self.core.handle(incoming, stop_with_reader=self.interactive):
            if isinstance(out, Progress):
                if self.interactive:
                    if not out.text.startswith(streamed):
                        # Not more of the same text (a "you're in line" line, or an
                        # answer generated again): replace what is shown.
                        self._clear(streamed)
                        self._print("✍️  ")
                        streamed = ""
                    self._print(out.text[len(streamed) :])
                    streamed = out.text
            else:
                if self.interactive:
                    self._clear(streamed)
                    streamed = ""
                await self.show(out)
        command = incoming.text.split(maxsplit=1)
        forget = incoming.action.verb == "forget" if incoming.action else False
        if forget or (command and command[0].lower() == "/forget"):
            await self._forget_history(incoming.user_id)
        # Only after the whole list: "/help caption" is about one command, not the terminal.
        if len(command) == 1 and command[0].lower() in HELP:
            self._print(CONSOLE_HELP + ("\n" + GROUP_HELP if self.group else "") + "\n\n")

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        """The core talking first (a timer, a session's messages): printed like any answer."""
        number = await self.show(reply)
        return [self._id(number)] if number else []

    async def edit(self, key: SessionKey, message_id: str, reply: Reply) -> bool:
        """A terminal can't change what it printed: show the new version, marked. A
        message of an earlier run is not on this screen (its number is another's now)."""
        number = self._number(message_id)
        if number is None:
            return False
        self._print(f"(updated message {number})\n")
        await self.show(reply, number)
        return True

    async def is_admin(self, key: SessionKey, user_id: str) -> bool:
        # Whoever sits at this terminal owns it; the pretend members are not admins.
        return not self.group or user_id == self.user

    def link(self, key: SessionKey, message_id: str | None = None) -> str | None:
        number = self._number(message_id) if message_id else None
        return f"message [{number}] above" if number else None

    def _id(self, number: str) -> str:
        """The id the core keeps for this run's message [number]."""
        return f"{number}@{self._run}"

    def _number(self, message_id: str) -> str | None:
        """The [number] of one of this run's messages, or None."""
        number, _, run = message_id.partition("@")
        shown = run == self._run and number.isdigit() and 0 < int(number) <= self._sent
        return number if shown else None

    async def show(self, reply: Reply, message_id: str | None = None) -> str | None:
        """Print a message; its number [N] (new, unless it is an edit of [message_id])."""
        if reply.is_empty:
            return None
        if reply.toast:  # a button's pop-up: not a message of its own
            self._print(f"  ↳ {reply.text.strip()}\n\n")
            return None
        if message_id is None:
            self._sent += 1
            message_id = str(self._sent)
        prefix = f"[{message_id}] " if self.group else ""
        self._message_text[message_id] = reply.text.rstrip()
        if len(self._message_text) > KEEP_MESSAGES:  # a long session: the oldest goes
            oldest = next(iter(self._message_text))
            self._message_text.pop(oldest)
            self._message_buttons.pop(oldest, None)
        self._print(prefix + reply.text.rstrip() + "\n")
        # Buttons become numbered hints, one line per row: type !N (or !M.N) to press one.
        buttons: list[Button] = []
        for row in reply.buttons:
            hints = []
            for button in row:
                buttons.append(button)
                number = f"{message_id}.{len(buttons)}" if self.group else str(len(buttons))
                hints.append(f"[!{number} {button.label}]")
            self._print("  " + " ".join(hints) + "\n")
        self._message_buttons[message_id] = buttons
        if buttons:
            self._buttons = buttons
        for attachment in reply.attachments:
            if attachment.data is None:
                continue
            try:
                path = await asyncio.to_thread(
                    self._save, attachment.name or "attachment.bin", attachment.data
                )
            except OSError as exc:  # a full disk, exports/ on a drive that isn't there
                self._print(
                    f"I couldn't save the file in {self._export_dir} ({exc.strerror or exc}); "
                    "ask again once it can be written.\n"
                )
                continue
            self._print(f"Saved {path.name} to {path}\n")
        self._print("\n")
        return message_id

    def _save(self, name: str, data: bytes) -> Path:
        """Write a file into exports/ under a name of its own (who asked, when): an
        export never replaces an earlier one, or another pretend member's."""
        self._export_dir.mkdir(parents=True, exist_ok=True)
        stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
        who = re.sub(r"[^\w.-]+", "_", self._speaker) or "you"
        stamp = self.core.clock.now().astimezone().strftime("%Y%m%d-%H%M%S")
        for n in itertools.count(1):
            tail = f"-{n}" if n > 1 else ""  # a second export within the same second
            path = self._export_dir / f"{stem}-{who}-{stamp}{tail}{dot}{suffix}"
            try:
                file = path.open("xb")  # x: never over an existing file
            except FileExistsError:
                continue
            try:
                with file:
                    file.write(data)
            except OSError:  # no half-written export left behind (a full disk)
                path.unlink(missing_ok=True)
                raise
            return path
        raise AssertionError("unreachable")

    # -- terminal plumbing ---------------------------------------------------

    def _read(self) -> str | None:
        if self.interactive:
            try:
                return input("you › ")
            except EOFError:
                return None
        line = self.stdin.readline()
        return line if line else None

    def _print(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def _clear(self, streamed: str) -> None:
        """Erase the live draft so the final, formatted answer replaces it."""
        cols = shutil.get_terminal_size().columns
        rows = sum(max(1, math.ceil((width(line) + 4) / cols)) for line in streamed.split("\n"))
        self._print(f"\r\x1b[{rows - 1}F\x1b[J" if rows > 1 else "\r\x1b[J")

    def _history_file(self) -> Path:
        return self.core.settings.console_history

    async def _forget_history(self, user_id: str) -> None:
        """After a /forget here that deleted the person: the lines typed at this terminal
        (kept for ↑, in the data dir) go too, or the next `muse chat` would still hold
        every request they made."""
        if await self.core.memory.find_user("console", user_id) is None:
            clear_history(self._history_file(), loaded=self.interactive)
