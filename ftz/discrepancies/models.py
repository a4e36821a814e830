"""Runs and discrepancies as stored."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Column, Field, SQLModel

from ftz.database import UTCDateTime, utcnow


class RunOutcome(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class Status(StrEnum):
    OPEN = "OPEN"
    UNDER_REVIEW = "UNDER_REVIEW"
    ESCALATED = "ESCALATED"
    JUSTIFIED = "JUSTIFIED"
    VIOLATION = "VIOLATION"
    CLOSED = "CLOSED"


class Run(SQLModel, table=True):
    """One reconciliation: its scope, when it ran, what it found, which lists it used."""

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    as_of: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    zone_code: str | None = Field(default=None, max_length=32)
    full: bool = True
    outcome: str = Field(default=RunOutcome.RUNNING, max_length=16)
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    new: int = 0
    seen_again: int = 0
    closed: int = 0
    reference_versions: dict[str, int | None] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What the run read, for the next incremental run: the highest upload and inspection ids
    # it saw, and lower ids it could not see yet (imports still in flight).
    seen: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    lots: int | None = None  # lots recomputed (every lot in scope for a full run)
    error: str | None = Field(default=None, max_length=2000)


class Discrepancy(SQLModel, table=True):
    """One finding, the same across runs for as long as the data supports it."""

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64, unique=True, index=True)
    kind: str = Field(max_length=32, index=True)
    zone_id: int = Field(foreign_key="zone.id", index=True)
    operator_id: int = Field(foreign_key="operator.id", index=True)
    lot_ref: str | None = Field(default=None, max_length=64)
    customs_ref: str | None = Field(default=None, max_length=64)
    process_ref: str | None = Field(default=None, max_length=64)
    strategic: bool = False
    control_codes: str = Field(default="", max_length=500)
    severity: str = Field(max_length=16, index=True)
    risk_score: int
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=Status.OPEN, max_length=16, index=True)
    first_seen_run: int = Field(foreign_key="run.id")
    last_seen_run: int = Field(foreign_key="run.id")
    closed_run: int | None = Field(default=None, foreign_key="run.id")
    close_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class NoteKind(StrEnum):
    COMMENT = "COMMENT"
    DECISION = "DECISION"


class DiscrepancyNote(SQLModel, table=True):
    """An auditor's comment on a discrepancy, or a decision that set its status."""

    __tablename__ = "discrepancy_note"

    id: int | None = Field(default=None, primary_key=True)
    discrepancy_id: int = Field(foreign_key="discrepancy.id", index=True)
    kind: str = Field(max_length=16)
    author: str = Field(max_length=200)
    body: str = Field(max_length=5000)
    status_from: str | None = Field(default=None, max_length=16)
    status_to: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
