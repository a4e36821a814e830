"""Zones and operators."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from ftz.database import UTCDateTime, utcnow


class ZoneBase(SQLModel):
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2, description="ISO 3166-1 alpha-2")
    # Operators send local times without offset; this says which local time they mean.
    timezone: str = Field(max_length=64, description="IANA time zone, e.g. Asia/Dubai")


class Zone(ZoneBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class OperatorBase(SQLModel):
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    # the operator's AEO (or C-TPAT) certificate, if it holds one
    aeo: str | None = Field(default=None, max_length=64)


class Operator(OperatorBase, table=True):
    # The target of customs entries' (operator, zone) foreign key.
    __table_args__ = (UniqueConstraint("id", "zone_id", name="uq_operator_id_zone"),)

    id: int | None = Field(default=None, primary_key=True)
    zone_id: int = Field(foreign_key="zone.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
