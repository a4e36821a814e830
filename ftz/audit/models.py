"""Audit events as stored."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger
from sqlmodel import Column, Field, SQLModel

from ftz.database import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, when; chained to the previous event by its keyed hash."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(sa_type=BigInteger, unique=True, index=True)  # 1, 2, 3… with no gap
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64, index=True)
    subject: str = Field(default="", max_length=200)
    operator_id: int | None = Field(default=None, index=True)
    zone_id: int | None = Field(default=None, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    # The HMAC-SHA256 of the event (prev_hash included) with the audit key key_id names
    # (ftz/audit/keys.py): without the key, no one can write an event that verifies.
    hash: str = Field(max_length=64)
    # NULL for events written before the chain was keyed, whose hash is a plain sha256.
    key_id: str | None = Field(default=None, max_length=16)


class AuditHead(SQLModel, table=True):
    """The chain's last link (one row): every append locks and moves it."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True)
    seq: int = Field(sa_type=BigInteger)
    hash: str = Field(max_length=64)
    # keys.head_signature of (seq, hash) with the last event's key; NULL before any keyed event
    signature: str | None = Field(default=None, max_length=64)
