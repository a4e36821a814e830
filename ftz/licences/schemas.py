"""The licence register as callers read it: customs with each licence's usage by the removals
citing it, the holder its own licences only, without usage."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

_LICENCE = {
    "licence_ref": "AE-DU-2026-00002", "version": 2, "versions": [1, 2], "status": "VALID", "holder": "OP101",
    "aeo": "AE-AEO-2025-0117", "issued_at": "2026-07-25", "valid_until": "2027-02-01",
    "control_codes": ["1C202"], "destination_countries": ["PK", "DE"], "end_user": None, "quantity": "7511",
    "unit": "KGM", "authority": "Export Control Office", "recorded_at": "2026-11-20T07:02:11Z",
}  # fmt: skip
_USAGE = {
    "used": "5000", "remaining": "2511", "exhausted": False,
    "removals": [
        {"declaration_ref": "26RE0000107", "item_no": 1, "lodged_at": "2026-09-20T05:12:00Z", "lot_ref": "LOT-7",
         "destination_country": "DE", "quantity": "5", "unit": "TNE", "used": "5000", "cumulative": "5000",
         "exhausted": False},
    ],
}  # fmt: skip


class LicenceForOperator(SQLModel):
    """A licence in force (its highest version) as its holder reads it."""

    model_config = {"json_schema_extra": {"examples": [_LICENCE]}}

    licence_ref: str
    version: int = Field(description="The version in force: the highest")
    versions: list[int] = Field(description="Every version recorded")
    status: str
    holder: str = Field(description="The operator the licence is issued to")
    aeo: str | None = Field(description="The holder's AEO certificate, or null")
    issued_at: date
    valid_until: date = Field(description="The licence covers this day too")
    control_codes: list[str] = Field(description='Control-list entries it covers ("*": any)')
    destination_countries: list[str]
    end_user: str | None
    quantity: Decimal | None = Field(description="The total it allows over its life, in its unit")
    unit: str | None
    authority: str | None
    recorded_at: datetime


class LicenceRemoval(SQLModel):
    """One customs removal item in force of the holder's that cites the licence, and what it used of it."""

    declaration_ref: str
    item_no: int
    lodged_at: datetime
    lot_ref: str | None
    destination_country: str | None
    quantity: Decimal = Field(description="As declared, in the item's unit")
    unit: str
    used: Decimal | None = Field(description="In the licence's unit; null when it cannot be converted")
    cumulative: Decimal = Field(description="Used by this removal and every earlier one")
    exhausted: bool = Field(description="The cumulative use is past the licence's quantity")


class LicenceUsage(SQLModel):
    """How much of a licence the removals citing it have used, in time order."""

    used: Decimal | None = Field(description="In the licence's unit; null when the licence sets no quantity")
    remaining: Decimal | None
    exhausted: bool
    removals: list[LicenceRemoval] = Field(description="The holder's removals citing it, earliest first")


class LicencePublic(LicenceForOperator):
    """A licence in force as customs reads it, with its usage."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LICENCE | {"usage": _USAGE}]})

    usage: LicenceUsage


class LicenceImport(SQLModel):
    """What became of a batch of licences: every row stored, or (on any error) none."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"filename": "licences.csv", "sha256": "4f0c…", "rows": 12, "new": 3, "unchanged": 9}]
        }
    }

    filename: str
    sha256: str
    rows: int
    new: int
    unchanged: int
