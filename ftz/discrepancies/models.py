"""Runs and discrepancies as stored."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field as PydanticField
from sqlalchemy import JSON, CheckConstraint, Index, text
from sqlmodel import Column, Field, SQLModel

from ftz.database import MAX_ID, UTCDateTime, utcnow
from reconciliation.kinds import NAMES as KIND_NAMES
from reconciliation.risk import SEVERITIES


class RunOutcome(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"  # raised an error; the findings stay as the run before left them
    TIMED_OUT = "TIMED_OUT"  # stopped past its time limit; findings as before
    ABANDONED = "ABANDONED"  # its process died (killed, power lost); marked by the next run to start


class Status(StrEnum):
    OPEN = "OPEN"
    UNDER_REVIEW = "UNDER_REVIEW"
    ESCALATED = "ESCALATED"
    JUSTIFIED = "JUSTIFIED"
    VIOLATION = "VIOLATION"
    CLOSED = "CLOSED"


def _one_of(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


# What the database itself refuses: a kind, status or severity outside the registry.
CHECKS = {
    "ck_discrepancy_kind": _one_of("kind", KIND_NAMES),
    "ck_discrepancy_status": _one_of("status", list(Status)),
    "ck_discrepancy_severity": _one_of("severity", SEVERITIES),
}


class Run(SQLModel, table=True):
    """One reconciliation: its scope, when it ran, what it found, which lists it used."""

    # One run per scheduled night and zone, however many schedulers fired it; an abandoned
    # run leaves its night free to be run again.
    __table_args__ = (
        Index(
            "uq_run_scheduled",
            "zone_code",
            "scheduled_for",
            unique=True,
            postgresql_where=text("outcome <> 'ABANDONED'"),
            sqlite_where=text("outcome <> 'ABANDONED'"),
        ),
    )

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
    started_by: str = Field(default="system", max_length=200)
    # The night a scheduled run is for (its cron fire time); None for runs started by hand.
    scheduled_for: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    worker: str | None = Field(default=None, max_length=300)  # host and process id that ran it


class RunLease(SQLModel, table=True):
    """The run lock on SQLite (PostgreSQL uses an advisory lock): one row, held by one process
    at a time, renewed while it works, free for the taking once it has expired."""

    __tablename__ = "run_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str | None = Field(default=None, max_length=300)  # host, process id and a random token
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class Discrepancy(SQLModel, table=True):
    """One finding, the same across runs for as long as the data supports it."""

    # The queue's order (highest risk, then newest, first), read backwards: a page is an
    # index range at any size.
    __table_args__ = (
        Index("ix_discrepancy_queue", "risk_score", "id"),
        *(CheckConstraint(condition, name=name) for name, condition in CHECKS.items()),
    )

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
    assignee: str | None = Field(default=None, max_length=100, index=True)  # the auditor working it
    first_seen_run: int = Field(foreign_key="run.id")
    last_seen_run: int = Field(foreign_key="run.id")
    closed_run: int | None = Field(default=None, foreign_key="run.id")
    close_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ReportFinding(SQLModel, table=True):
    """A finding of a run as of a past moment: a report of what would have been found then,
    kept apart from the live discrepancies, which such a run never touches."""

    __tablename__ = "report_finding"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    kind: str = Field(max_length=32)
    zone_id: int = Field(foreign_key="zone.id")
    operator_id: int = Field(foreign_key="operator.id")
    lot_ref: str | None = Field(default=None, max_length=64)
    customs_ref: str | None = Field(default=None, max_length=64)
    process_ref: str | None = Field(default=None, max_length=64)
    strategic: bool = False
    control_codes: str = Field(default="", max_length=500)
    severity: str = Field(max_length=16)
    risk_score: int
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class NoteKind(StrEnum):
    COMMENT = "COMMENT"
    DECISION = "DECISION"
    ANSWER = "ANSWER"  # the operator's explanation, perhaps with a document


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
    # A document sent with an answer, kept like uploads: by sha256 in the data folder.
    attachment_name: str | None = Field(default=None, max_length=255)
    attachment_sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class FindingFacts(SQLModel):
    """What a finding says, live or in a report: every fact of contract section 4 but its life."""

    kind: str
    zone_code: str
    operator_code: str
    lot_ref: str | None
    customs_ref: str | None
    process_ref: str | None
    strategic: bool
    control_codes: list[str]
    severity: str
    risk_score: int
    evidence: dict[str, Any]


class DiscrepancyPublic(FindingFacts):
    """A discrepancy with every field of contract section 4, codes instead of ids."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 17, "kind": "UNDECLARED_REMOVAL", "zone_code": "ZDM", "operator_code": "OP102",
                    "lot_ref": "L-V-0007", "customs_ref": None, "process_ref": None, "strategic": True,
                    "control_codes": ["1C002"], "severity": "CRITICAL", "risk_score": 92,
                    "evidence": {"rule": "removal booked with no customs removal", "expected": None, "found": "300"},
                    "status": "OPEN", "first_seen_run": 3, "last_seen_run": 5, "closed_run": None,
                    "close_reason": None,
                }
            ]
        }
    }  # fmt: skip

    id: int
    status: str
    first_seen_run: int
    last_seen_run: int
    closed_run: int | None = None
    close_reason: str | None = None
    assignee: str | None = None
    aeo: str | None = None  # the operator's AEO certificate (contract section 6)


class DiscrepancyPage(SQLModel):
    model_config = {"json_schema_extra": {"examples": [{"items": [], "next_cursor": "OTI6MTc"}]}}

    items: list[DiscrepancyPublic]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page")


class NotePublic(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 3, "kind": "DECISION", "author": "auditor.khan", "body": "re-export licence seen",
                    "status_from": "UNDER_REVIEW", "status_to": "JUSTIFIED", "created_at": "2026-11-24T09:10:00Z",
                }
            ]
        }
    }  # fmt: skip

    id: int
    kind: str
    author: str
    body: str
    status_from: str | None
    status_to: str | None
    attachment_name: str | None = None
    created_at: datetime


class DiscrepancyDetail(DiscrepancyPublic):
    notes: list[NotePublic]


class CommentCreate(SQLModel):
    model_config = {"json_schema_extra": {"examples": [{"body": "asked the operator for the scrap certificate"}]}}

    body: str = Field(min_length=1, max_length=5000)


class DecisionCreate(SQLModel):
    model_config = {
        "json_schema_extra": {"examples": [{"status": "ESCALATED", "reason": "strategic goods, no licence on file"}]}
    }

    status: Status
    reason: str = Field(min_length=1, max_length=5000)
    # the status the auditor decided from: a decision made by another meanwhile is then a 409
    seen_status: Status | None = None


class AssignmentCreate(SQLModel):
    model_config = {"json_schema_extra": {"examples": [{"ids": [17, 18], "assignee": "auditor.khan"}]}}

    ids: list[Annotated[int, PydanticField(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=500)
    assignee: str | None = Field(default=None, max_length=100, description="An auditor's account; null to unassign")


class RunCreate(SQLModel):
    model_config = {"json_schema_extra": {"examples": [{"zone_code": "ZDM", "full": False, "as_of": None}]}}

    zone_code: str | None = Field(default=None, max_length=32)
    full: bool = False
    as_of: str | None = Field(
        default=None,
        max_length=40,
        description="Report what would have been found then (ISO 8601; without offset the zone's local time, a "
        "bare date the end of that day); the live findings are left as they are",
    )


class RunPublic(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 5, "started_at": "2026-11-24T02:00:00Z", "finished_at": "2026-11-24T02:00:41Z",
                    "as_of": None, "zone_code": None, "full": False, "outcome": "SUCCEEDED",
                    "counts": {"QUANTITY_MISMATCH": 2}, "new": 1, "seen_again": 12, "closed": 0, "lots": 31,
                    "error": None, "started_by": "scheduler", "scheduled_for": "2026-11-24T02:00:00Z",
                    "worker": "ftz-1:4121",
                }
            ]
        }
    }  # fmt: skip

    id: int
    started_at: datetime
    finished_at: datetime | None
    as_of: datetime | None
    zone_code: str | None
    full: bool
    outcome: str
    counts: dict[str, int]
    new: int
    seen_again: int
    closed: int
    lots: int | None
    error: str | None
    started_by: str
    scheduled_for: datetime | None
    worker: str | None


class Question(SQLModel, table=True):
    """A question an auditor put to the operator about a finding: until one is asked, the
    operator does not see the finding at all."""

    __tablename__ = "question"

    id: int | None = Field(default=None, primary_key=True)
    discrepancy_id: int = Field(foreign_key="discrepancy.id", index=True)
    asked_by: str = Field(max_length=200)
    body: str = Field(max_length=5000)
    asked_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class QuestionCreate(SQLModel):
    model_config = {
        "json_schema_extra": {"examples": [{"question": "Please send the weighbridge ticket of this admission."}]}
    }

    question: str = Field(min_length=1, max_length=5000)


class QuestionPublic(SQLModel):
    """A question as the operator reads it: what customs asked and when, not who asked."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"id": 4, "body": "Please send the weighbridge ticket of this admission.",
                 "asked_at": "2026-11-24T09:00:00Z"}
            ]
        },
    }  # fmt: skip

    id: int
    body: str
    asked_at: datetime


class QuestionAsked(SQLModel):
    """A question as customs reads it: with the auditor who asked it."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": 4, "body": "Please send the weighbridge ticket of this admission.",
                 "asked_by": "auditor.khan", "asked_at": "2026-11-24T09:00:00Z"}
            ]
        }
    }  # fmt: skip

    id: int
    body: str
    asked_by: str
    asked_at: datetime


class AnswerPublic(SQLModel):
    """An operator's answer, as the operator reads it back."""

    model_config = {"extra": "forbid"}

    id: int
    author: str
    body: str
    attachment_name: str | None = None
    created_at: datetime


class DiscrepancyForOperator(SQLModel):
    """A finding as the operator it was put to reads it: the facts, the questions and its own
    answers. Never customs' assessment (risk, severity, the destination's risk, the strategic
    basis), its comments and decisions, its own counts, or who works the finding."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "id": 17, "kind": "QUANTITY_MISMATCH", "label": "Quantities disagree", "operator_code": "OP102",
                    "lot_ref": "L-V-0007", "customs_ref": "26AE0001", "process_ref": None, "expected": "100",
                    "found": "90", "unit": "KGM", "tolerance": "0.5", "records": ["M-0192", "26AE0001/1"],
                    "questions": [{"id": 4, "body": "Please send the weighbridge ticket of this admission.",
                                   "asked_at": "2026-11-24T09:00:00Z"}],
                    "answers": [],
                }
            ]
        },
    }  # fmt: skip

    id: int
    kind: str
    label: str
    operator_code: str
    lot_ref: str | None
    customs_ref: str | None
    process_ref: str | None
    expected: str | None = Field(description="What customs (or the books) say: a quantity, code, country or time")
    found: str | None = Field(description="What the operator's records say")
    unit: str | None
    tolerance: str | None
    records: list[str] = Field(description="The operator's own records and the customs items the finding names")
    questions: list[QuestionPublic]
    answers: list[AnswerPublic]


class DiscrepancyForOperatorPage(SQLModel):
    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"items": [], "next_cursor": "MDoxNw"}]}}

    items: list[DiscrepancyForOperator]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page")


class DiscrepancyForCustoms(DiscrepancyDetail):
    """A discrepancy with its notes and the questions put to the operator."""

    questions: list[QuestionAsked]


class ReportFindingPublic(FindingFacts):
    """A finding of a run as of a past moment (a report: it has no status or life of its own)."""

    run_id: int
    aeo: str | None = None  # the operator's AEO certificate (contract section 6)
