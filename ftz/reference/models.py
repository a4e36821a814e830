"""Versions of reference lists and their rows."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel

from ftz.database import UTCDateTime, utcnow


class ListKind(StrEnum):
    HS = "hs"
    CONTROLS = "controls"
    DESTINATIONS = "destinations"
    TERMS = "terms"
    PARTIES = "parties"  # denied parties (ftz.parties); no version until one is loaded


class Strength(StrEnum):
    CONTROLLED = "CONTROLLED"  # the code itself identifies controlled goods
    MAY_BE_CONTROLLED = "MAY_BE_CONTROLLED"  # controlled depending on specifications


class Tier(StrEnum):
    EMBARGOED = "EMBARGOED"
    HIGH = "HIGH"
    ELEVATED = "ELEVATED"


class ReferenceVersion(SQLModel, table=True):
    """One load of one list: the newest of a kind is in force."""

    __tablename__ = "reference_version"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16, index=True)
    source: str = Field(max_length=500)
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    rows: int
    loaded_by: str = Field(max_length=200)
    loaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class HsCode(SQLModel, table=True):
    """A chapter (2 digits), heading (4), subheading (6) or national line (8, 10)."""

    __tablename__ = "hs_code"
    __table_args__ = (Index("ix_hs_code_version_code", "version_id", "code", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="reference_version.id")
    code: str = Field(max_length=10)
    level: int
    description: str = Field(max_length=1000)
    section: str | None = Field(default=None, max_length=8)


class ControlCorrelation(SQLModel, table=True):
    """An HS code (6 digits, or a longer national code) that correlates with a control-list entry."""

    __tablename__ = "control_correlation"
    __table_args__ = (Index("ix_control_correlation_version_hs", "version_id", "hs_code"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="reference_version.id")
    hs_code: str = Field(max_length=10)
    control_code: str = Field(max_length=32)
    regime: str = Field(max_length=32)
    strength: str = Field(max_length=20)
    description: str | None = Field(default=None, max_length=1000)
    source: str = Field(max_length=500)
    source_date: date


class DestinationRisk(SQLModel, table=True):
    """One reason why goods going to a country deserve attention, with its tier."""

    __tablename__ = "destination_risk"
    __table_args__ = (Index("ix_destination_risk_version_country", "version_id", "country"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="reference_version.id")
    country: str = Field(max_length=2)
    tier: str = Field(max_length=16)
    reason: str = Field(max_length=1000)
    source: str = Field(max_length=500)
    source_date: date


class StrategicTerm(SQLModel, table=True):
    """A name of controlled goods (a substance or item) to look for in free-text descriptions."""

    __tablename__ = "strategic_term"
    __table_args__ = (Index("ix_strategic_term_version", "version_id"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="reference_version.id")
    term: str = Field(max_length=200)
    hs_code: str = Field(max_length=10)
    control_code: str = Field(max_length=32)
    source: str = Field(max_length=500)
