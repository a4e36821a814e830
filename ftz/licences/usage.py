"""How much of each licence its holder's customs removals have used, read from the ledger and
weighed by the engine's own function (``reconciliation.licences.usage``), so that the register
shows what the UNLICENSED_STRATEGIC_REMOVAL rule counts.

A removal by another operator citing the licence is no draw on it: that rule reports it as a
licence issued to another holder."""

from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, bindparam, text

from ftz.database import SCALE, from_millionths
from ftz.ledger.service import customs_frame
from ftz.licences.models import Licence
from ftz.licences.schemas import LicenceRemoval, LicenceUsage
from reconciliation.licences import usage

# The declarations with an item citing one of the licences asked for: all their items' versions
# are read, since the version in force may be one that no longer cites it (an amendment).
_CITING = text("SELECT DISTINCT declaration_ref FROM customs_entry WHERE licence_ref IN :refs").bindparams(
    bindparam("refs", expanding=True)
)


def get_all(engine: Engine, *, licences: list[Licence]) -> dict[str, LicenceUsage]:
    """The usage of each licence in force (by licence_ref), in the licence's own unit."""
    if not licences:
        return {}
    register = pd.DataFrame(
        {
            "licence_ref": pd.Series([lic.licence_ref for lic in licences], dtype="object"),
            "holder_id": pd.Series([lic.holder_id for lic in licences], dtype="int64"),
            "quantity": pd.array([_millionths(lic.quantity) for lic in licences], dtype="Int64"),
            "unit": pd.Series([lic.unit for lic in licences], dtype="object"),
        }
    )
    removals = _removals(engine, register)
    used = usage(removals, register[["licence_ref", "quantity", "unit"]])
    keys = ["licence_ref", "declaration_ref", "item_no"]
    declared = removals.drop(columns=["lodged_at"]).rename(columns={"quantity": "declared"})
    used = used.merge(declared, on=keys, how="left")
    by_ref = {ref: rows for ref, rows in used.groupby("licence_ref", sort=False)}
    return {lic.licence_ref: _usage(lic, by_ref.get(lic.licence_ref)) for lic in licences}


def _removals(engine: Engine, register: pd.DataFrame) -> pd.DataFrame:
    """The holders' customs removal items in force that cite their licences, in millionths."""
    with engine.connect() as conn:
        declarations = list(conn.execute(_CITING, {"refs": list(register["licence_ref"])}).scalars())
    items = customs_frame(engine, declarations=declarations)  # the versions in force
    items["quantity"] = items["quantity"].astype("int64")
    # a column of nothing but nulls reads as floats: the keys are texts whatever they hold
    items = items.astype({"declaration_ref": "object", "licence_ref": "object", "lot_ref": "object"})
    items = items[items["direction"] == "REMOVAL"].merge(register[["licence_ref", "holder_id"]], on="licence_ref")
    items = items[items["holder_id"] == items["operator_id"]]
    columns = ["declaration_ref", "item_no", "lodged_at", "licence_ref", "quantity", "unit", "lot_ref",
               "destination_country"]  # fmt: skip
    return items[columns].reset_index(drop=True)


def _usage(licence: Licence, rows: pd.DataFrame | None) -> LicenceUsage:
    removals = [] if rows is None else [_removal(row) for row in rows.to_dict("records")]
    used = (removals[-1].cumulative if removals else Decimal(0)) if licence.quantity is not None else None
    return LicenceUsage(
        used=used,
        remaining=licence.quantity - used if used is not None else None,
        exhausted=any(r.exhausted for r in removals),
        removals=removals,
    )


def _removal(row: dict) -> LicenceRemoval:
    return LicenceRemoval(
        declaration_ref=row["declaration_ref"],
        item_no=int(row["item_no"]),
        lodged_at=row["lodged_at"].to_pydatetime(),
        lot_ref=None if pd.isna(row["lot_ref"]) else row["lot_ref"],
        destination_country=None if pd.isna(row["destination_country"]) else row["destination_country"],
        quantity=from_millionths(row["declared"]),
        unit=row["unit"],
        used=None if pd.isna(row["used"]) else from_millionths(row["used"]),
        cumulative=from_millionths(row["cumulative"]),
        exhausted=bool(row["exhausted"]),
    )


def _millionths(quantity: Decimal | None) -> int | None:
    return None if quantity is None else int(quantity * SCALE)
