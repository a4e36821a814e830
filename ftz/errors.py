"""Domain errors. Services raise these; the CLI, API and web turn them into messages."""

from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def first_line(exc: BaseException) -> str:
    """An exception's message as a one-line reason: its first line, at most 200 characters."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


class FtzError(Exception):
    """Base of every error a user is meant to read: its text is the one-line reason."""


class NotFound(FtzError):
    """A named record does not exist (or is not visible to the caller)."""


class AlreadyExists(FtzError):
    """A record with that natural key exists already."""


class InvalidInput(FtzError):
    """An argument or a file is unusable as a whole (not row by row)."""


class TooLarge(InvalidInput):
    """A file or a batch is past a configured size or row limit."""


class Unauthorized(FtzError):
    """No valid credentials: not logged in, or a token that is unknown, expired or revoked."""


class Forbidden(FtzError):
    """The caller is known but its role or token scope does not allow this."""


class Throttled(FtzError):
    """Too many failed attempts: try again later."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(FtzError):
    """The request contradicts the record's current state."""


def checked(model: type[M], **fields) -> M:
    """``model(**fields)``, or its first validation problem as one ``InvalidInput`` line
    (arguments and form fields checked like an API body)."""
    try:
        return model(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise InvalidInput(f"{where}: {error['msg']}" if where else error["msg"]) from None
