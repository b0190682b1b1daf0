"""The `muse` command line: the composition root that wires the core to the adapters."""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any

from bot.config import Settings, SettingsError, ensure_data_dir, load_settings
from bot.config_env import unknown_env
from bot.config_view import masked
from bot.llm.build_check import BuildError
from bot.llm.prompts import PromptError
from bot.memory.store import StorageError
from muse import runlock
from muse.logs import setup_logging
from muse.runlock import AlreadyRunning

log = logging.getLogger("muse")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="muse", description="Muse — an open, self-hosted creative co-pilot for creators."
    )
    parser.add_argument("--config", metavar="FILE", help="a TOML file overriding the defaults")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat = sub.add_parser(
        "chat", help="chat in this terminal (reads stdin line by line when piped)"
    )
    chat.add_argument(
        "--group",
        action="store_true",
        help="pretend this terminal is a group chat, to try brainstorm sessions "
        "(ben: /idea … speaks as another member)",
    )
    run = sub.add_parser("run", help="run the bot on Telegram, Discord or both")
    run.add_argument("platform", choices=["telegram", "discord", "all"])
    sub.add_parser("config", help="print the effective settings (secrets masked)")
    for name, text in (
        ("export", "print everything stored about a person as JSON"),
        ("forget", "delete everything stored about a person"),
    ):
        p = sub.add_parser(name, help=text)
        # Any case, and only these: "nothing is stored" for a typo would read as an answer.
        p.add_argument(
            "--platform",
            default="console",
            type=str.lower,
            choices=("telegram", "discord", "console"),
            help="the app the person uses Muse on",
        )
        p.add_argument("--user", help="the platform user id (default: this console user)")
        if name == "forget":
            p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    backup = sub.add_parser(
        "backup", help="copy the database to FILE, safely, also while Muse is running"
    )
    backup.add_argument("file", metavar="FILE", help="where to write the copy (replaced)")
    discord = sub.add_parser("discord", help="Discord tools")
    dsub = discord.add_subparsers(dest="discord_command", metavar="ACTION", required=True)
    sync = dsub.add_parser("sync", help="sync the slash commands with Discord")
    sync.add_argument("--guild", help="sync to one guild only (instant) instead of globally")
    sync.add_argument("--dry-run", action="store_true", help="print the payload, send nothing")
    return parser


async def _with_core(settings: Settings, fn: Callable[[Any], Awaitable[int]]) -> int:
    from bot.core import Core

    core = await Core.create(settings)
    try:
        return await fn(core)
    finally:
        await core.close()


async def _chat(core: Any, group: bool = False) -> int:
    from adapters.console import ConsoleAdapter

    console = ConsoleAdapter(core, group=group)
    core.attach(console.name, console)
    await core.start()
    return await console.run()


def _user(args: argparse.Namespace) -> str:
    import getpass

    return str(args.user or getpass.getuser())


async def _person(core: Any, args: argparse.Namespace) -> int | None:
    """The stored person, or None (said on stderr): looking someone up never creates them."""
    user = _user(args)
    person: int | None = await core.memory.find_user(args.platform, user)
    if person is None:
        # Identities are stored by id: a @username finds nobody, even someone well known.
        hint = " (--user is the numeric user id, not a @username)" if user.startswith("@") else ""
        print(f"muse: nothing is stored for {args.platform} user {user}{hint}", file=sys.stderr)
    return person


async def _export(core: Any, args: argparse.Namespace) -> int:
    person = await _person(core, args)
    if person is None:
        return 1
    data = await core.memory.export(person)
    from bot.skills.account import with_typed_lines

    with_typed_lines(data, core.settings, await core.memory.identities(person))
    text = json.dumps(data, ensure_ascii=False, indent=2)
    try:
        text.encode(sys.stdout.encoding or "utf-8")
    except UnicodeEncodeError:  # an output that can't take them: JSON's \u escapes
        text = json.dumps(data, indent=2)
    print(text)
    return 0


async def _forget(core: Any, args: argparse.Namespace) -> int:
    person = await _person(core, args)
    if person is None:
        return 1
    # A linked person's accounts on other apps are deleted with this one: named, so an
    # operator answering one account's request knows what else goes.
    accounts = [f"{i.platform} user {i.external_id}" for i in await core.memory.identities(person)]
    if not args.yes:
        who = f"{args.platform} user {_user(args)}"
        others = [a for a in accounts if a != who]
        who = who if args.user else f"you ({who})"
        linked = f" (linked: {', '.join(others)})" if others else ""
        question = f"Delete everything Muse keeps about {who}{linked}? [y/N] "
        try:
            answer = await asyncio.to_thread(input, question)
        except EOFError:  # no terminal to ask on
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted (confirm, or pass --yes).")
            return 1
    counts = await core.memory.forget(person)
    if any(account.startswith("console ") for account in accounts):
        # What they typed at `muse chat` (kept for ↑) goes too, as a /forget there does.
        core.settings.console_history.unlink(missing_ok=True)
    of = f" of {' and '.join(accounts)}" if len(accounts) > 1 else ""
    print(f"Deleted {counts.get('drafts', 0)} drafts and {counts.get('turns', 0)} messages{of}.")
    return 0


async def _run(core: Any, platform: str) -> int:
    from adapters.registry import build_adapters

    adapters = build_adapters(core, platform)
    locks = ExitStack()
    try:
        for adapter in adapters:
            runlock.hold(locks, core.settings.data_dir, adapter.name)
    except AlreadyRunning as exc:  # before anything starts: nothing of the other's is taken
        locks.close()
        print(f"muse: {exc}", file=sys.stderr)
        return 1
    with locks:
        return await _run_adapters(core, adapters)


async def _run_adapters(core: Any, adapters: list[Any]) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = []
    code = 0
    try:
        for adapter in adapters:
            await adapter.start()
            started.append(adapter)
            core.attach(adapter.name, adapter)
            log.warning("%s adapter running", adapter.name)
        await core.start()
        # What start-up made (modules, settings, prompts) lives as long as the process:
        # kept out of the garbage collector's scans; and fewer, larger young-generation
        # collections, since every streamed answer makes thousands of short-lived
        # objects (measured: 12.2 -> 10.7 ms of CPU an answer, bench/README.md).
        gc.freeze()
        gc.set_threshold(20_000, 50, 50)
        gone = await _until_stopped(stop, started)
        log.warning("shutting down: finishing in-flight replies")
        await core.shutting_down()
        for adapter in gone:
            print(f"muse: {adapter.name} stopped for good: {adapter.gone_because}", file=sys.stderr)
            code = 1
    except Exception as exc:  # a bad token, an unreachable server: one line, not a traceback
        log.debug("start failed", exc_info=True)
        print(f"muse: {adapter.name} could not start: {exc or type(exc).__name__}", file=sys.stderr)
        code = 1
    await asyncio.gather(*(a.stop() for a in started), return_exceptions=True)
    for adapter in started:
        core.detach(adapter.name)
    if started:  # the log's last line says the stop finished (not stuck "shutting down")
        log.warning("stopped (exit code %d)", code)
    return code


async def _until_stopped(stop: asyncio.Event, adapters: list[Any]) -> list[Any]:
    """Until SIGTERM/SIGINT, or until every platform's connection has ended for good (a
    revoked token); then those adapters. A process left running would answer nobody, and
    a supervisor would never restart it: it exits 1 instead."""

    async def all_gone() -> None:
        for adapter in adapters:
            await adapter.gone.wait()

    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(all_gone())]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    return [] if stop.is_set() else adapters


def _backup(settings: Settings, file: str) -> int:
    from pathlib import Path

    from bot.memory.backup import backup

    try:
        report = backup(settings.db_path, Path(file))
    except StorageError as exc:
        print(f"muse: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    """The `muse` command. A Ctrl-C is exit 130 at any moment, also while start-up is
    still loading settings and importing the platforms' libraries (seconds). A reader
    that went away (`muse export | head`) ends it with exit 1, without a traceback."""
    # A terminal or pipe whose encoding lacks a character (PYTHONIOENCODING=ascii, a
    # Windows cp1252 redirect) shows it escaped, or reads it as �, instead of ending in a
    # traceback.
    for stream, errors in ((sys.stdout, "backslashreplace"), (sys.stderr, "backslashreplace")):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors=errors)
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # What is left in stdout's buffer must not fail again at exit ("Exception ignored").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"muse: {exc}", file=sys.stderr)
        return 2
    for line in unknown_env():  # a warning: the variable may be another tool's
        print(f"muse: {line}", file=sys.stderr)
    if args.command == "config":
        print(json.dumps(masked(settings), indent=2))
        return 0
    if args.command == "backup":
        return _backup(settings, args.file)
    try:
        ensure_data_dir(settings)
    except SettingsError as exc:
        print(f"muse: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings, to_stderr=args.command in ("run", "discord"))
    try:
        if args.command == "chat":
            return asyncio.run(_with_core(settings, lambda core: _chat(core, args.group)))
        if args.command == "export":
            return asyncio.run(_with_core(settings, lambda core: _export(core, args)))
        if args.command == "forget":
            return asyncio.run(_with_core(settings, lambda core: _forget(core, args)))
        if args.command == "run":
            return asyncio.run(_with_core(settings, lambda core: _run(core, args.platform)))
        if args.command == "discord":
            from adapters.discord_sync import sync_command

            return asyncio.run(sync_command(settings, args.guild, args.dry_run))
    except (PromptError, SettingsError, BuildError, StorageError) as exc:
        print(f"muse: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
