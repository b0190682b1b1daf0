"""`muse chat` on a real terminal (a pseudo-terminal): the prompt, Ctrl-C and Ctrl-D the
way a person at a keyboard meets them."""

from __future__ import annotations

import asyncio
import codecs
import os
import pty
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from tests.fakes.openai_server import FakeOpenAI, hang, reply

PROMPT = "you › "


class Terminal:
    """A `muse chat` process on a pseudo-terminal: type into it, read what it shows."""

    def __init__(self, proc: asyncio.subprocess.Process, master: int) -> None:
        self.proc = proc
        self.master = master
        self._raw = ""
        # A character's bytes may come in two reads.
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._more = asyncio.Event()
        self._closed = False
        asyncio.get_running_loop().add_reader(master, self._read)

    def _read(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the process closed the terminal
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.master)
            self._closed = True
        self._raw += self._decoder.decode(data, final=not data)
        self._more.set()

    @property
    def shown(self) -> str:
        """What the terminal has shown, its line ends as "\\n"."""
        return self._raw.replace("\r\n", "\n")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    async def until(self, text: str, count: int = 1, within: float = 60) -> None:
        """Until `text` has been shown `count` times (a deadline, not a measurement)."""
        try:
            async with asyncio.timeout(within):
                while self.shown.count(text) < count:
                    assert not self._closed, f"the chat ended; it showed:\n{self.shown}"
                    self._more.clear()
                    await self._more.wait()
        except TimeoutError:
            shown = self.shown
            raise AssertionError(f"{text!r} ×{count} never came; it showed:\n{shown}") from None

    async def exit_code(self, within: float = 60) -> int:
        async with asyncio.timeout(within):
            code = await self.proc.wait()
            while not self._closed:
                self._more.clear()
                await self._more.wait()
        return code


@asynccontextmanager
async def terminal(data_dir: Path) -> AsyncIterator[Terminal]:
    master, slave = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "muse", "chat", stdin=slave, stdout=slave, stderr=slave
    )
    os.close(slave)
    term = Terminal(proc, master)
    try:
        await term.until(PROMPT)
        yield term
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        with suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(master)
        os.close(master)


async def test_ctrl_c_stops_the_answer_keeps_the_chat_and_leaves_at_the_prompt(
    server: FakeOpenAI, muse_env: Path
) -> None:
    """Ctrl-C while a slow model wrote an answer ended the whole chat, and only once
    the model had finished the answer nobody would read (the core waited for it); Ctrl-C
    at the prompt did nothing at all until Enter was pressed. Now Ctrl-C stops the
    answer (the model's request too) and gives the prompt back; at the prompt it leaves
    at once, exit 0, the shell's prompt on a line of its own."""
    server.enqueue(hang(600), reply("Trams climb the hills at dawn."))
    async with terminal(muse_env) as term:
        term.type("tell me a long story about trams\n")
        await server.wait_for_requests(1)
        term.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        await term.until(PROMPT, 2)
        assert "(stopped)" in term.shown
        term.type("and a short one?\n")
        await term.until("Trams climb the hills at dawn.")
        await term.until(PROMPT, 3)
        assert len(server.requests) == 2  # the stopped one was not asked again
        term.proc.send_signal(signal.SIGINT)
        assert await term.exit_code() == 0
    assert term.shown.endswith(PROMPT + "\n")
    assert "Traceback" not in term.shown


async def test_ctrl_d_at_the_prompt_leaves_on_a_line_of_its_own(muse_env: Path) -> None:
    """Ctrl-D left the shell's next prompt glued to Muse's ("you › $")."""
    async with terminal(muse_env) as term:
        term.type("/style voice: calm\n")
        await term.until(PROMPT, 2)
        term.type("\x04")
        assert await term.exit_code() == 0
    assert "Voice: calm" in term.shown
    assert term.shown.endswith(PROMPT + "\n")


async def test_forget_also_forgets_what_was_typed_at_the_terminal(muse_env: Path) -> None:
    """After /forget ("I no longer know you") the data dir still kept every line typed
    at the prompt (console_history, for ↑), the requests themselves, in the next
    `muse chat` too. The line history goes with the rest now."""
    async with terminal(muse_env) as term:
        term.type("/caption our secret launch on friday\n")
        await term.until(PROMPT, 2)
        term.type("/forget confirm\n")
        await term.until("I no longer know you")
        await term.until(PROMPT, 3)
        term.type("/style\n")
        await term.until(PROMPT, 4)
        term.type("\x04")
        assert await term.exit_code() == 0
    history = (muse_env / "console_history").read_text()
    assert "secret" not in history and "/forget" not in history
    assert "/style" in history  # what came after is the new you's
