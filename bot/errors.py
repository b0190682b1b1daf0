"""Errors that reach the user as one short, friendly line."""

from __future__ import annotations

import secrets


def new_ref() -> str:
    """A short error id shown to the user and written to the log, to find one in the other."""
    return secrets.token_hex(2)


class MuseError(Exception):
    """An expected failure with a message meant for the user."""

    user_message = "Something went wrong on my side — try again."
    # Worth logging with an error id (a failure of ours or of a service).
    with_ref = False

    def __init__(self, detail: str = "", user_message: str | None = None) -> None:
        super().__init__(detail or user_message or self.user_message)
        if user_message is not None:
            self.user_message = user_message


class BadInput(MuseError):
    """The user's request cannot be done as written; the message says how to fix it."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message, user_message)


class NotFound(BadInput):
    pass


class LeftWithLinked(NotFound):
    """The draft exists, but /unlink left it with the person's linked accounts."""


class LLMUnavailable(MuseError):
    user_message = "My writing engine is unreachable right now — try again in a minute."
    with_ref = True


class LLMRefused(MuseError):
    user_message = "My writing engine refused the request (check the model settings)."
    with_ref = True


class LLMDeclined(MuseError):
    """The server answered, but its model declined to write (a refusal, a content
    filter): trying again in a minute won't help, putting it another way may."""

    user_message = "My writing engine declined to write that — try putting it another way."
    with_ref = True


class LLMTooLong(MuseError):
    """The server refused the request as longer than its model's context window, even
    without the earlier conversation: the message itself is too long for it."""

    user_message = "That's more than my writing engine can read at once — try a shorter message."
    with_ref = True


class LLMLeak(MuseError):
    """The answer repeated Muse's own instructions (a prompt injection that worked):
    withheld."""

    user_message = "I keep my instructions to myself — ask me anything about your posts."
    with_ref = True


class Forgotten(MuseError):
    """What the answer would store points at a person deleted meanwhile (`muse forget`
    in another process can't wait for this one's answers, as /forget does): the answer
    goes with them."""

    user_message = (
        "Everything I kept about you was deleted while I was writing this, so the answer "
        "went with it — send your message again if you still want one."
    )
    # Logged with a ref: a foreign-key failure with any other cause (a bug) must show.
    with_ref = True
