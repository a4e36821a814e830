"""Holds as callers send and read them: customs with its reasons and who acted, the operator
only since when its lot is held and whether it was released."""

from datetime import datetime

from pydantic import ConfigDict, field_validator
from sqlmodel import Field, SQLModel

from ftz.ledger.models import LotHistory, LotPublic
from ftz.text import has_control

MOMENT = "As typed: without offset the zone's local time, a bare date the start of that day; default now"


class _Printable(SQLModel):
    @field_validator("*")
    @classmethod
    def _printable(cls, value):
        if isinstance(value, str) and has_control(value):
            raise ValueError("contains a control character")
        return value


class HoldCreate(_Printable):
    """A hold to place on one lot of one operator."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "operator_code": "OP101", "lot_ref": "L-2026-0042", "reason": "intelligence referral",
                    "starts_at": "2026-11-20T08:00:00",
                }
            ]
        }
    }  # fmt: skip

    operator_code: str = Field(min_length=1, max_length=32)
    lot_ref: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000, description="Customs' reason: never shown to the operator")
    starts_at: str | None = Field(default=None, max_length=40, description=MOMENT)


class HoldRelease(_Printable):
    """The end of a hold."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"reason": "examination completed, goods as declared", "released_at": "2026-11-22"}]
        }
    }

    reason: str = Field(min_length=1, max_length=2000)
    released_at: str | None = Field(default=None, max_length=40, description=MOMENT)


class HoldForOperator(SQLModel):
    """A hold as the operator of the lot reads it: since when, and whether it was released."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 3, "operator_code": "OP101", "lot_ref": "L-2026-0042", "starts_at": "2026-11-20T04:00:00Z",
                    "released": False, "released_at": None,
                }
            ]
        }
    }  # fmt: skip

    id: int
    operator_code: str
    lot_ref: str
    starts_at: datetime
    released: bool
    released_at: datetime | None


class HoldPublic(HoldForOperator):
    """A hold as customs reads it: its reasons, who placed and released it, and when."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 3, "operator_code": "OP101", "lot_ref": "L-2026-0042", "starts_at": "2026-11-20T04:00:00Z",
                    "released": True, "released_at": "2026-11-22T04:00:00Z", "reason": "intelligence referral",
                    "placed_by": "auditor.khan", "placed_at": "2026-11-20T04:02:11Z", "released_by": "auditor.khan",
                    "release_reason": "examination completed", "release_recorded_at": "2026-11-22T06:40:00Z",
                }
            ]
        }
    }  # fmt: skip

    reason: str
    placed_by: str
    placed_at: datetime
    released_by: str | None
    release_reason: str | None
    release_recorded_at: datetime | None


class LotListed(LotPublic):
    """A lot with its operator's AEO certificate and whether a hold is on it now."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operator_code": "OP101", "lot_ref": "L-2026-0042", "balance": "1250.5", "unit": "KGM",
                    "hs_code": "8112920000", "hs_description": "Vanadium; unwrought, powders", "strategic": True,
                    "basis": "declared control code 1C002", "control_codes": ["1C002"], "aeo": "AE-AEO-2025-0117",
                    "held": True,
                }
            ]
        }
    )  # fmt: skip

    aeo: str | None = Field(default=None, description="The operator's AEO certificate, or null")
    held: bool = Field(default=False, description="A hold is on the lot now")


class LotDetail(LotHistory):
    """A lot: its balance, every record on it from both sides, and its holds as the caller may read them."""

    lot: LotListed
    holds: list[HoldPublic] | list[HoldForOperator]
