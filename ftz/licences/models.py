"""Export licences (contract section 6): every version of each is kept; the highest is in force."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel

from ftz.database import Quantity, UTCDateTime, utcnow


class LicenceStatus(StrEnum):
    VALID = "VALID"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"


class Licence(SQLModel, table=True):
    """One version of one licence, as the licensing authority issued it."""

    __table_args__ = (Index("ix_licence_ref_version", "licence_ref", "version", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    licence_ref: str = Field(max_length=64)
    version: int = 1
    status: str = Field(default=LicenceStatus.VALID, max_length=16)
    holder_id: int = Field(foreign_key="operator.id", index=True)
    issued_at: date
    valid_until: date
    # control-list entries and ISO alpha-2 codes, each list joined by ";" ("*": any entry)
    control_codes: str = Field(max_length=2000)
    destination_countries: str = Field(max_length=2000)
    end_user: str | None = Field(default=None, max_length=200)
    quantity: Decimal | None = Field(default=None, sa_column=Column(Quantity, nullable=True))
    unit: str | None = Field(default=None, max_length=3)
    authority: str | None = Field(default=None, max_length=200)
    row_no: int
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
