"""Examinations as customs reads them, and the result an officer records."""

from datetime import datetime
from decimal import Decimal

from pydantic import field_validator
from sqlmodel import Field, SQLModel


class ExaminationResult(SQLModel):
    """What the officer found: the quantity counted and the goods (HS code, description), a note.
    A time without offset is the zone's local time; none: now."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"quantity": "1180", "unit": "KGM", "hs_code": "2812.17", "description": "thionyl chloride drums",
                 "note": "two drums relabelled", "examined_at": "2026-11-20T10:30:00+04:00"}
            ]
        }
    }  # fmt: skip

    quantity: Decimal = Field(ge=0, max_digits=18, decimal_places=6)
    unit: str = Field(min_length=3, max_length=3)
    hs_code: str = Field(min_length=6, max_length=14)
    description: str | None = Field(default=None, max_length=512)
    note: str | None = Field(default=None, max_length=2000)
    examined_at: datetime | str | None = None

    @field_validator("hs_code")
    @classmethod
    def _digits(cls, value: str) -> str:
        digits = value.replace(".", "").replace(" ", "")
        if not digits.isdigit() or not 6 <= len(digits) <= 10:
            raise ValueError("an HS code is 6 to 10 digits (dots and spaces ignored)")
        return digits

    @field_validator("unit")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()


class ExaminationPublic(SQLModel):
    """An examination, with its reasons (the profiles that sent the item to RED): customs' view only."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": 4, "operator_code": "OP104", "lot_ref": "VC00004", "declaration_ref": "26AE0004713",
                 "item_no": 1, "declared_hs_code": "2844100000", "reasons": ["RP-NUC-ADM"], "status": "DONE",
                 "opened_at": "2026-11-20T07:02:11Z", "examined_at": "2026-11-20T10:30:00Z", "quantity": "1180",
                 "unit": "KGM", "found_hs_code": "284410", "found_description": "uranium ore concentrate",
                 "note": "two drums relabelled", "attachment_name": "bay4.jpg", "attachment_type": "image/jpeg",
                 "recorded_by": "auditor.khan", "stock_count_id": 12}
            ]
        }
    }  # fmt: skip

    id: int
    operator_code: str
    lot_ref: str | None
    declaration_ref: str
    item_no: int
    declared_hs_code: str
    reasons: list[str]
    status: str
    opened_at: datetime
    examined_at: datetime | None
    quantity: Decimal | None
    unit: str | None
    found_hs_code: str | None
    found_description: str | None
    note: str | None
    attachment_name: str | None
    attachment_type: str | None
    recorded_by: str | None
    stock_count_id: int | None
