"""`muse chat`: the local terminal. Interactive with line editing and history on a
TTY (answers stream live); with stdin piped it answers line by line and exits 0 at
end of input."""

from __future__ import annotations

import asyncio
import getpass
import math
import re
import shutil
import sys
from pathlib import Path
from typing import TextIO

from adapters.base import Adapter
from bot.core import Core
from bot.messages import Button, Incoming, Progress, Reply, SessionKey

PRESS_RE = re.compile(r"^!(\d{1,2})$")
QUIT = {"/quit", "/exit", "/q"}


class ConsoleAdapter(Adapter):
    name = "console"

    def __init__(
        self,
        core: Core,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        super().__init__(core)
        self.stdin = stdin or sys.stdin
        self.out = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.session = SessionKey("console", "local")
        self.user = getpass.getuser()
        self._buttons: list[Button] = []
        self._sent = 0  # message ids for the outbox: a counter is enough locally
        self._stop = asyncio.Event()
        self._export_dir = core.settings.data_dir / "exports"

    async def start(self) -> None:
        await self.run()

    async def stop(self) -> None:
        self._stop.set()

    async def run(self) -> int:
        if self.interactive:
            self._setup_readline()
            self._print("Muse — your creative co-pilot. /help for commands, /quit to leave.\n")
        while not self._stop.is_set():
            line = await asyncio.to_thread(self._read)
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            if line.lower() in QUIT:
                break
            await self.ask(line)
        if self.interactive:
            self._save_history()
        return 0

    def _incoming(self, line: str) -> Incoming:
        press = PRESS_RE.match(line)
        if press and 0 < int(press.group(1)) <= len(self._buttons):
            button = self._buttons[int(press.group(1)) - 1]
            return Incoming(self.session, self.user, user_name=self.user, action=button.action)
        return Incoming(self.session, self.user, text=line, user_name=self.user)

    async def ask(self, line: str) -> None:
        incoming = self._incoming(line)
        streamed = ""
        if self.interactive:
            self._print("✍️  ")
        async for out in self.core.handle(incoming):
            if isinstance(out, Progress):
                if self.interactive:
                    self._print(out.text[len(streamed) :])
                    streamed = out.text
            else:
                if self.interactive:
                    self._clear(streamed)
                    streamed = ""
                await self.show(out)

    async def post(
        self, key: SessionKey, reply: Reply, *, reply_to: str | None = None
    ) -> list[str]:
        """The core talking first (a timer, say): printed like any answer."""
        await self.show(reply)
        return [str(self._sent)] if not reply.is_empty else []

    async def edit(self, key: SessionKey, message_id: str, reply: Reply) -> bool:
        """A terminal can't change what it printed: show the new version, marked."""
        self._print(f"(updated message {message_id})\n")
        await self.show(reply)
        return True

    async def is_admin(self, key: SessionKey, user_id: str) -> bool:
        return True  # whoever sits at this terminal owns it

    async def show(self, reply: Reply) -> None:
        if reply.is_empty:
            return
        self._sent += 1
        self._print(reply.text.rstrip() + "\n")
        # Buttons become numbered hints, one line per row: type !N to press one.
        self._buttons = []
        for row in reply.buttons:
            hints = []
            for button in row:
                self._buttons.append(button)
                hints.append(f"[!{len(self._buttons)} {button.label}]")
            self._print("  " + " ".join(hints) + "\n")
        for attachment in reply.attachments:
            if attachment.data is None:
                continue
            self._export_dir.mkdir(parents=True, exist_ok=True)
            path: Path = self._export_dir / (attachment.name or "attachment.bin")
            await asyncio.to_thread(path.write_bytes, attachment.data)
            self._print(f"Saved {attachment.name} to {path}\n")
        self._print("\n")

    # -- terminal plumbing ---------------------------------------------------

    def _read(self) -> str | None:
        if self.interactive:
            try:
                return input("you › ")
            except EOFError:
                return None
            except KeyboardInterrupt:
                return "/quit"
        line = self.stdin.readline()
        return line if line else None

    def _print(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def _clear(self, streamed: str) -> None:
        """Erase the live draft so the final, formatted answer replaces it."""
        cols = shutil.get_terminal_size().columns
        rows = sum(max(1, math.ceil((len(line) + 4) / cols)) for line in streamed.split("\n"))
        self._print(f"\r\x1b[{rows - 1}F\x1b[J" if rows > 1 else "\r\x1b[J")

    def _history_file(self) -> Path:
        return self.core.settings.data_dir / "console_history"

    def _setup_readline(self) -> None:
        try:
            import readline

            readline.set_history_length(1000)
            if self._history_file().exists():
                readline.read_history_file(self._history_file())
        except (ImportError, OSError):
            pass

    def _save_history(self) -> None:
        try:
            import readline

            self._history_file().parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(self._history_file())
        except (ImportError, OSError):
            pass
