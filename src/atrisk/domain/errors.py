"""One error family: errors carry data and the HTTP status the API answers them with (one
handler maps them); the CLI turns them into a message and an exit code."""

from __future__ import annotations

from datetime import datetime


class AtriskError(Exception):
    """Base of every error atrisk raises on purpose (by default: something is not ready yet,
    such as the data build, which the API answers 503)."""

    status = 503


class ConfigError(AtriskError):
    """A setting, argument or input is missing, invalid or unsafe (API: 422)."""

    status = 422


class ConflictError(AtriskError):
    """The request contradicts what is stored (API: 409), e.g. a due date before the start
    the action already has."""

    status = 409


class ForbiddenError(AtriskError):
    """The user may not do this (API: 403), e.g. act for a team they are not in."""

    status = 403


class NotFoundError(AtriskError):
    """Something asked for by its id or name does not exist (API: 404)."""

    status = 404


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
    """A model was used against its contract (e.g. predict before fit): a bug (API: 500)."""

    status = 500


class SignInLocked(AtriskError):
    """Too many wrong passwords for one account from one client: that client may not sign
    in as it until ``until`` (other clients may)."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(f"too many failed sign-ins; try again after {until:%H:%M} UTC")

    status = 429


class SignInThrottled(SignInLocked):
    """Too many wrong passwords from one client address, whatever the accounts: it is
    refused until ``until`` before any password is checked."""
