"""An examination of a lot, opened by a RED item at arrival, and the result an officer records."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Column, Field, SQLModel

from ftz.database import Quantity, UTCDateTime, utcnow


class ExaminationStatus(StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"


class Examination(SQLModel, table=True):
    """One physical examination of the goods a customs item declares (its lot)."""

    __table_args__ = (
        Index("ix_examination_operator_lot", "operator_id", "lot_ref"),
        Index("ix_examination_entry", "customs_entry_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    customs_entry_id: int = Field(foreign_key="customs_entry.id")
    operator_id: int = Field(foreign_key="operator.id")
    lot_ref: str | None = Field(default=None, max_length=64)
    declaration_ref: str = Field(max_length=64)
    item_no: int
    declared_hs_code: str = Field(max_length=10)
    # the profiles that sent the item to the RED channel: customs' reasons, never the operator's to read
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=ExaminationStatus.OPEN, max_length=8, index=True)
    opened_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    examined_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    quantity: Decimal | None = Field(default=None, sa_column=Column(Quantity, nullable=True))
    unit: str | None = Field(default=None, max_length=3)
    found_hs_code: str | None = Field(default=None, max_length=10)
    found_description: str | None = Field(default=None, max_length=512)
    note: str | None = Field(default=None, max_length=2000)
    attachment_sha256: str | None = Field(default=None, max_length=64)
    attachment_name: str | None = Field(default=None, max_length=255)
    attachment_type: str | None = Field(default=None, max_length=64)
    recorded_by: str | None = Field(default=None, max_length=200)
    stock_count_id: int | None = Field(default=None, foreign_key="stock_count.id")
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
