"""Logging: text for people or JSON lines for collectors, with the run id on every line of a run."""

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from ftz.config import get_settings

# The run being worked in this thread (or task); every log record made meanwhile carries it.
current_run: ContextVar[int | None] = ContextVar("current_run", default=None)


@contextmanager
def run_context(run_id: int) -> Iterator[None]:
    """Tag every log line written inside with ``run_id``."""
    token = current_run.set(run_id)
    try:
        yield
    finally:
        current_run.reset(token)


class RunIdFilter(logging.Filter):
    """Adds ``run_id`` to each record (None outside a run)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = current_run.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, run_id, and the error if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "run_id": getattr(record, "run_id", None),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [run N] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(run)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        run_id = getattr(record, "run_id", None)
        record.run = f" [run {run_id}]" if run_id is not None else ""
        return super().format(record)


class _StandardError(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the moment (test runners swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure() -> None:
    """Send every logger's records to standard error in the configured format (FTZ_LOG_FORMAT)."""
    settings = get_settings()
    handler = _StandardError()
    handler.addFilter(RunIdFilter())
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "ftz", False)]:
        root.removeHandler(old)
    handler.ftz = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its schema check speaks at every start
