"""Movements, customs entries and stock counts as stored."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKeyConstraint, Index, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from ftz.database import Quantity, UTCDateTime, utcnow


class MovementType(StrEnum):
    ADMISSION = "ADMISSION"
    REMOVAL = "REMOVAL"
    CONSUME = "CONSUME"
    PRODUCE = "PRODUCE"
    OWNERSHIP = "OWNERSHIP"
    DESTROY = "DESTROY"
    ADJUST = "ADJUST"
    COUNT = "COUNT"


class RemovalKind(StrEnum):
    RE_EXPORT = "RE_EXPORT"
    HOME_USE = "HOME_USE"
    TRANSFER = "TRANSFER"


class Direction(StrEnum):
    ADMISSION = "ADMISSION"
    REMOVAL = "REMOVAL"


class Procedure(StrEnum):
    RE_EXPORT = "RE_EXPORT"
    HOME_USE = "HOME_USE"
    TRANSFER = "TRANSFER"
    TRANSIT = "TRANSIT"


class EntryStatus(StrEnum):
    ACCEPTED = "ACCEPTED"
    INVALIDATED = "INVALIDATED"


def _qty(nullable: bool = False) -> Column:
    return Column(Quantity, nullable=nullable)


def _time(nullable: bool = False) -> Column:
    return Column(UTCDateTime, nullable=nullable)


class Movement(SQLModel, table=True):
    """One row of an operator's stock records, as received (contract section 2)."""

    __table_args__ = (
        # One key for two facts: the movement came in an upload, and it belongs to that
        # upload's operator (a file can never write another operator's records).
        ForeignKeyConstraint(["upload_id", "operator_id"], ["upload.id", "upload.operator_id"]),
        Index("ix_movement_operator_lot", "operator_id", "lot_ref"),
        Index("ix_movement_operator_ref", "operator_id", "movement_ref"),
        Index("ix_movement_operator_process", "operator_id", "process_ref"),
        Index("ix_movement_customs_ref", "customs_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = Field(index=True)
    operator_id: int
    row_no: int
    movement_ref: str = Field(max_length=64)
    movement_type: str = Field(max_length=16)
    occurred_at: datetime = Field(sa_column=_time())
    lot_ref: str = Field(max_length=64)
    hs_code: str = Field(max_length=10)
    description: str | None = Field(default=None, max_length=512)
    quantity: Decimal = Field(sa_column=_qty())
    unit: str = Field(max_length=3)
    customs_ref: str | None = Field(default=None, max_length=64)
    origin_country: str | None = Field(default=None, max_length=2)
    destination_country: str | None = Field(default=None, max_length=2)
    intended_destination: str | None = Field(default=None, max_length=2)
    removal_kind: str | None = Field(default=None, max_length=16)
    counterparty: str | None = Field(default=None, max_length=200)
    control_code: str | None = Field(default=None, max_length=64)
    process_ref: str | None = Field(default=None, max_length=64)
    value: Decimal | None = Field(default=None, sa_column=_qty(nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    corrects_ref: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=1000)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class CustomsEntry(SQLModel, table=True):
    """One item of one version of a customs declaration (contract section 3)."""

    __tablename__ = "customs_entry"

    __table_args__ = (
        UniqueConstraint("declaration_ref", "item_no", "version", name="uq_customs_entry_item_version"),
        # The operator named must be one of the zone named.
        ForeignKeyConstraint(["operator_id", "zone_id"], ["operator.id", "operator.zone_id"]),
        Index("ix_customs_entry_operator_lot", "operator_id", "lot_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = Field(foreign_key="upload.id", index=True)
    row_no: int
    declaration_ref: str = Field(max_length=64)
    item_no: int
    version: int = 1
    direction: str = Field(max_length=16)
    procedure: str | None = Field(default=None, max_length=16)
    status: str = Field(default="ACCEPTED", max_length=16)
    lodged_at: datetime = Field(sa_column=_time())
    zone_id: int = Field(index=True)
    operator_id: int
    lot_ref: str | None = Field(default=None, max_length=64)
    hs_code: str = Field(max_length=10)
    description: str | None = Field(default=None, max_length=512)
    quantity: Decimal = Field(sa_column=_qty())
    unit: str = Field(max_length=3)
    origin_country: str | None = Field(default=None, max_length=2)
    destination_country: str | None = Field(default=None, max_length=2)
    intended_destination: str | None = Field(default=None, max_length=2)
    consignor: str | None = Field(default=None, max_length=200)
    consignee: str | None = Field(default=None, max_length=200)
    control_code: str | None = Field(default=None, max_length=64)
    licence_ref: str | None = Field(default=None, max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class StockCount(SQLModel, table=True):
    """What customs physically found on hand for a lot at an inspection."""

    __tablename__ = "stock_count"

    __table_args__ = (Index("ix_stock_count_operator_lot", "operator_id", "lot_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id")
    lot_ref: str = Field(max_length=64)
    counted_at: datetime = Field(sa_column=_time())
    quantity: Decimal = Field(sa_column=_qty())
    unit: str = Field(max_length=3)
    counted_by: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=1000)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_time())
