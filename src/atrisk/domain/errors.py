"""One error family: errors carry data; only the CLI turns them into exit codes."""

from __future__ import annotations

from datetime import datetime


class AtriskError(Exception):
    """Base of every error atrisk raises on purpose."""


class ConfigError(AtriskError):
    """A setting or argument is missing or unsafe."""


class NotFoundError(AtriskError):
    """Something asked for by its id does not exist (the API answers 404)."""


class SourceError(AtriskError):
    """A public dataset is missing, truncated or malformed.

    The message always names the file and, where known, the column or row and what was expected.
    """

    def __init__(self, file: str, problem: str) -> None:
        self.file = file
        self.problem = problem
        super().__init__(f"{file}: {problem}")


class BuildError(AtriskError):
    """The data build could not finish; the previous good build is untouched."""


class ModelError(AtriskError):
    """A model was used against its contract (e.g. predict before fit)."""


class SignInLocked(AtriskError):
    """Too many wrong passwords for one account from one client: that client may not sign
    in as it until ``until`` (other clients may)."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(f"too many failed sign-ins; try again after {until:%H:%M} UTC")


class SignInThrottled(SignInLocked):
    """Too many wrong passwords from one client address, whatever the accounts: it is
    refused until ``until`` before any password is checked."""
