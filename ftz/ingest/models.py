"""Uploads: who sent which file when, and what became of it."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from ftz.database import UTCDateTime, utcnow


class UploadKind(StrEnum):
    MOVEMENTS = "MOVEMENTS"
    CUSTOMS = "CUSTOMS"


class UploadOutcome(StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class Upload(SQLModel, table=True):
    """One file received. A rejected upload is kept too (with its report), its rows are not."""

    # The target of the ledger's (upload, operator) foreign keys.
    __table_args__ = (UniqueConstraint("id", "operator_id", name="uq_upload_id_operator"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    operator_id: int | None = Field(default=None, foreign_key="operator.id", index=True)
    filename: str = Field(max_length=255)
    file_format: str = Field(max_length=8)
    sha256: str = Field(max_length=64, index=True)
    size_bytes: int = Field(sa_type=BigInteger)
    sent_by: str = Field(max_length=200)
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    outcome: str = Field(max_length=16)
    rows_total: int = 0
    rows_new: int = 0
    rows_unchanged: int = 0
    rows_corrected: int = 0
    error_count: int = 0
    # The first errors (row, column, message), as many as report_max_errors allows.
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Accepted with a warning (e.g. an HS code unknown to the nomenclature, where the zone allows it).
    warnings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class RowErrorPublic(SQLModel):
    row: int
    column: str
    message: str


class UploadPublic(SQLModel):
    """An upload and its report, as the API shows it."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 42, "kind": "MOVEMENTS", "operator_code": "OP101", "filename": "movements.csv",
                    "file_format": "csv", "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "size_bytes": 18211, "sent_by": "op101-wms", "received_at": "2026-11-24T08:00:00Z",
                    "outcome": "ACCEPTED", "rows_total": 120, "rows_new": 118, "rows_unchanged": 2,
                    "rows_corrected": 1, "error_count": 0, "errors": [], "warnings": [],
                }
            ]
        }
    }  # fmt: skip

    id: int
    kind: str
    operator_code: str | None
    filename: str
    file_format: str
    sha256: str
    size_bytes: int
    sent_by: str
    received_at: datetime
    outcome: str
    rows_total: int
    rows_new: int
    rows_unchanged: int
    rows_corrected: int
    error_count: int
    errors: list[RowErrorPublic]
    warnings: list[RowErrorPublic]
