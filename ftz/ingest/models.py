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
