"""Domain errors. Services raise these; the CLI, API and web turn them into messages."""


class FtzError(Exception):
    """Base of every error a user is meant to read: its text is the one-line reason."""


class NotFound(FtzError):
    """A named record does not exist (or is not visible to the caller)."""


class AlreadyExists(FtzError):
    """A record with that natural key exists already."""


class InvalidInput(FtzError):
    """An argument or a file is unusable as a whole (not row by row)."""
