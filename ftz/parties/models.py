"""The entries of a denied-party list version (``ListKind.PARTIES``)."""

from datetime import date
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class PartyKind(StrEnum):
    ENTITY = "ENTITY"
    PERSON = "PERSON"


class DeniedParty(SQLModel, table=True):
    """One listed party of one version of the parties list, as its publisher wrote it."""

    __tablename__ = "denied_party"
    __table_args__ = (Index("ix_denied_party_version_entry", "version_id", "entry_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="reference_version.id")
    entry_id: str = Field(max_length=64)
    name: str = Field(max_length=500)
    aliases: str | None = Field(default=None, max_length=20_000)  # separated by ";"
    kind: str = Field(default=PartyKind.ENTITY, max_length=8)
    countries: str | None = Field(default=None, max_length=500)  # ISO alpha-2 or names, separated by ";"
    list_name: str | None = Field(default=None, max_length=200)
    reference: str | None = Field(default=None, max_length=200)
    listed_on: date | None = None
    # what the entry says (name, aliases, kind, countries, list, reference, listing date): a
    # dismissal holds until it changes
    content_hash: str = Field(max_length=32)
