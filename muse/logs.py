"""Logging for the `muse` command: a rotating file in the data dir (and stderr for the
bots), with every secret Muse knows removed from every line, whoever wrote it.

Libraries log URLs and errors verbatim, and a Telegram Bot API URL contains the bot
token; a misconfigured model server may echo the API key in its error. Redacting at the
handler catches all of it, at every level, including tracebacks. A credential pasted into
any URL (user:password@, ?api_key=) is masked too, known or not."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from logging.handlers import RotatingFileHandler
from urllib.parse import quote, unquote

from bot.config import Settings
from bot.url_secrets import mask_urls, url_secrets

# Libraries that log every request (URLs with tokens in them) below WARNING.
NOISY = ("httpx", "httpcore", "openai", "discord", "telegram", "apscheduler", "aiohttp")
MASK = "[secret]"


MIN_LOOSE_SECRET = 8  # characters a URL's credential needs to be masked outside its URL


def secrets_of(settings: Settings) -> list[str]:
    """Every secret in the settings, with the forms it takes in URLs."""
    found: list[str] = []
    for secret in (settings.telegram.token, settings.discord.token, settings.llm.api_key):
        if secret is not None and secret.get_secret_value():
            value = secret.get_secret_value()
            found += [value, quote(value, safe="")]
    # Passwords and keys in the configured URLs (MUSE_LLM__BASE_URL=http://u:pw@host/v1),
    # also where they show without their URL. A short one (a user name such as "admin"
    # in http://admin@host) would blank that word all over the log: inside URLs,
    # mask_urls hides it anyway.
    for value in _strings(settings.model_dump(mode="json")):
        for credential in url_secrets(value):
            if len(credential) >= MIN_LOOSE_SECRET:
                found += [credential, unquote(credential)]
    token = settings.telegram.token
    if token is not None and token.get_secret_value():
        from adapters.telegram import webhook_secret

        found.append(webhook_secret(token.get_secret_value()))
    return found


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


class Redact(logging.Filter):
    """Replaces secrets in a record's message, traceback and stack with MASK."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is masked whole. Very short
        # values would mask ordinary words; no real token or key is that short.
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return mask_urls(text, MASK)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.clean(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Formatted here, once: formatters reuse exc_text instead of formatting again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


class LogFile(RotatingFileHandler):
    """muse.log. A write that fails for want of room or rights (a full disk) is said once,
    in one line on stderr: logging's own handler printed a traceback for every record,
    into the terminal `muse chat` talks in."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)
        elif not self.failed:
            self.failed = True
            print(
                f"muse: can't write the log {self.baseFilename}: {exc.strerror or exc} "
                "(log lines are lost until it can be written again)",
                file=sys.stderr,
            )


def setup_logging(settings: Settings, to_stderr: bool) -> None:
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = Redact(secrets_of(settings))
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = LogFile(
            settings.data_dir / "muse.log", maxBytes=2_000_000, backupCount=2, encoding="utf-8"
        )
        handler.setFormatter(fmt)
        handler.addFilter(redact)
        # Error refs must be findable in the log whatever the console level.
        handler.setLevel(min(logging.WARNING, logging.getLevelName(settings.log_level)))
        root.addHandler(handler)
    except OSError as exc:
        print(f"muse: cannot write the log in {settings.data_dir}: {exc}", file=sys.stderr)
    if to_stderr:
        err = logging.StreamHandler()
        err.setFormatter(fmt)
        err.addFilter(redact)
        root.addHandler(err)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
