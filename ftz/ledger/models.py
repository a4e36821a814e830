"""Movements, customs entries and stock counts as stored."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import ForeignKeyConstraint, Index, UniqueConstraint, text
from sqlmodel import Column, Field, SQLModel

from ftz.database import Quantity, UTCDateTime, utcnow
from ftz.text import has_control


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
    DESTRUCTION = "DESTRUCTION"  # a removal: goods destroyed under customs supervision, matched to a DESTROY


class EntryStatus(StrEnum):
    ACCEPTED = "ACCEPTED"
    INVALIDATED = "INVALIDATED"


def _qty(nullable: bool = False) -> Column:
    return Column(Quantity, nullable=nullable)


def _time(nullable: bool = False) -> Column:
    return Column(UTCDateTime, nullable=nullable)


class Movement(SQLModel, table=True):
    """One row of an operator's stock records, as received (contract section 2)."""

    # A movement came in an upload and belongs to that upload's operator: a file can never
    # write another operator's records. Triggers keep this (migration 0008), checked once per
    # statement on PostgreSQL: a foreign key checked row by row was a third of an import's time.
    __table_args__ = (
        Index("ix_movement_operator_lot", "operator_id", "lot_ref"),
        Index("ix_movement_operator_ref", "operator_id", "movement_ref"),
        # most movements are no processing step: they stay out of this index
        Index(
            "ix_movement_operator_process",
            "operator_id",
            "process_ref",
            postgresql_where=text("process_ref IS NOT NULL"),
            sqlite_where=text("process_ref IS NOT NULL"),
        ),
        Index("ix_movement_customs_ref", "customs_ref"),
        # an admission continuing a transfer from another zone: looked up by the transfer's declaration
        Index(
            "ix_movement_previous_ref",
            "previous_ref",
            postgresql_where=text("previous_ref IS NOT NULL"),
            sqlite_where=text("previous_ref IS NOT NULL"),
        ),
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
    # at ADMISSION: the declaration under which the goods left the zone they come from
    previous_ref: str | None = Field(default=None, max_length=64)


class CustomsEntry(SQLModel, table=True):
    """One item of one version of a customs declaration (contract section 3)."""

    __tablename__ = "customs_entry"

    __table_args__ = (
        UniqueConstraint("declaration_ref", "item_no", "version", name="uq_customs_entry_item_version"),
        # The operator named must be one of the zone named.
        ForeignKeyConstraint(["operator_id", "zone_id"], ["operator.id", "operator.zone_id"]),
        Index("ix_customs_entry_operator_lot", "operator_id", "lot_ref"),
        # licence usage and the lots a new licence version re-checks: only items citing one
        Index(
            "ix_customs_entry_licence_ref",
            "licence_ref",
            postgresql_where=text("licence_ref IS NOT NULL"),
            sqlite_where=text("licence_ref IS NOT NULL"),
        ),
        # arrivals are looked up by the transfer they continue: only admissions naming one
        Index(
            "ix_customs_entry_previous_ref",
            "previous_ref",
            postgresql_where=text("previous_ref IS NOT NULL"),
            sqlite_where=text("previous_ref IS NOT NULL"),
        ),
        # every incremental run looks up the transfers whose transit time may have ended since
        # the last: only items naming a destination zone, by date (else a scan of every item)
        Index(
            "ix_customs_entry_transfer_lodged",
            "lodged_at",
            postgresql_where=text("destination_zone IS NOT NULL"),
            sqlite_where=text("destination_zone IS NOT NULL"),
        ),
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
    # on a TRANSFER removal: the receiving zone's code (a registered zone, not the item's own)
    destination_zone: str | None = Field(default=None, max_length=32)
    # on an ADMISSION: the declaration under which the goods left the zone they come from
    previous_ref: str | None = Field(default=None, max_length=64)


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


class LotPublic(SQLModel):
    """A lot's book balance, in the lot's unit, with its goods and strategic status."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "operator_code": "OP101", "lot_ref": "L-2026-0042", "balance": "1250.5", "unit": "KGM",
                    "hs_code": "8112920000", "hs_description": "Vanadium; unwrought, powders", "strategic": True,
                    "basis": "declared control code 1C002", "control_codes": ["1C002"],
                }
            ]
        }
    }  # fmt: skip

    operator_code: str
    lot_ref: str
    balance: Decimal
    unit: str
    hs_code: str | None
    hs_description: str
    strategic: bool
    basis: str | None = None
    control_codes: list[str] = []


class MovementPublic(SQLModel):
    id: int
    upload_id: int
    row_no: int
    movement_ref: str
    movement_type: str
    occurred_at: datetime
    hs_code: str
    quantity: Decimal
    unit: str
    customs_ref: str | None
    destination_country: str | None
    process_ref: str | None
    corrects_ref: str | None
    superseded: bool = False


class CustomsEntryPublic(SQLModel):
    id: int
    upload_id: int
    declaration_ref: str
    item_no: int
    version: int
    direction: str
    status: str
    lodged_at: datetime
    hs_code: str
    quantity: Decimal
    unit: str
    destination_country: str | None


class StockCountCreate(SQLModel):
    """What customs found on hand at an inspection. A time without offset is the zone's local time."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "operator_code": "OP101", "lot_ref": "L-2026-0042", "counted_at": "2026-11-20T10:30:00+04:00",
                    "quantity": "1180", "unit": "KGM", "note": "two drums missing from bay 4",
                }
            ]
        }
    }  # fmt: skip

    operator_code: str = Field(min_length=1, max_length=32)
    lot_ref: str = Field(min_length=1, max_length=64)
    # As typed: without offset the zone's local time, a bare date the end of that day.
    counted_at: datetime | str
    quantity: Decimal = Field(ge=0, max_digits=18, decimal_places=6)
    unit: str = Field(min_length=3, max_length=3)
    note: str | None = Field(default=None, max_length=1000)

    @field_validator("operator_code", "lot_ref", "unit", "note")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and has_control(value):
            raise ValueError("contains a control character")
        return value


class StockCountPublic(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 4, "operator_code": "OP101", "lot_ref": "L-2026-0042", "counted_at": "2026-11-20T06:30:00Z",
                    "quantity": "1180", "unit": "KGM", "counted_by": "auditor.khan", "note": "bay 4",
                    "recorded_at": "2026-11-20T07:02:11Z",
                }
            ]
        }
    }  # fmt: skip

    id: int
    operator_code: str
    lot_ref: str
    counted_at: datetime
    quantity: Decimal
    unit: str
    counted_by: str
    note: str | None
    recorded_at: datetime


class LotHistory(SQLModel):
    """A lot: its balance now, and every record on it from both sides."""

    lot: LotPublic
    movements: list[MovementPublic]
    customs_entries: list[CustomsEntryPublic]
    counts: list[StockCountPublic]
    timezone: str = Field(default="UTC", description="The zone's local time (IANA), in which its files' times are read")
