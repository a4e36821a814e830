"""A hold on one lot of one operator, from its start until its release."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel

from ftz.database import UTCDateTime, utcnow


class Hold(SQLModel, table=True):
    """Customs' order that no part of a lot leave: in force from ``starts_at`` (inclusive) to
    ``released_at`` (exclusive, or open)."""

    __table_args__ = (Index("ix_hold_operator_lot", "operator_id", "lot_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id")
    lot_ref: str = Field(max_length=64)
    # customs' reason: never shown to the operator
    reason: str = Field(max_length=2000)
    placed_by: str = Field(max_length=200)
    placed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    released_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    released_by: str | None = Field(default=None, max_length=200)
    release_reason: str | None = Field(default=None, max_length=2000)
    release_recorded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
