"""Risk-profile versions (each load is a new version of the whole set in force) and the
selectivity channel each customs item was given when it arrived. Customs' own view: never
shown to an operator."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Column, Field, SQLModel

from ftz.database import UTCDateTime, utcnow


class ProfileVersion(SQLModel, table=True):
    """One load of a profile file: the profiles in force from then on, until the next load."""

    __tablename__ = "profile_version"
    __table_args__ = (Index("ix_profile_version_version", "version", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    version: int
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    loaded_by: str = Field(max_length=200)
    loaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # the validated profiles as the engine reads them (reconciliation.profiles), and the file as sent
    profiles: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = Field(sa_type=Text)


class Selectivity(SQLModel, table=True):
    """The channel a customs item was given when it arrived, and the profiles that gave it."""

    __tablename__ = "selectivity"
    __table_args__ = (Index("ix_selectivity_entry", "customs_entry_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    customs_entry_id: int = Field(foreign_key="customs_entry.id")
    channel: str = Field(max_length=8, index=True)
    profiles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    profile_version: int | None = None
    assessed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
