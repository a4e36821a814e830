"""Reading the ledger: movements as they stand after corrections, and lots' book balances."""

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, text

from ftz.database import from_millionths
from reconciliation.ledger import book_balances, current_entries

_COLUMNS = "id, operator_id, movement_ref, movement_type, occurred_at, lot_ref, hs_code, quantity, unit, corrects_ref"


_ENTRY_COLUMNS = (
    "id, declaration_ref, item_no, version, direction, status, lodged_at, zone_id, operator_id, lot_ref, "
    "hs_code, quantity, unit, destination_country"
)


def movements_frame(engine: Engine, *, operator_id: int | None = None) -> pd.DataFrame:
    """Every stored movement (of one operator, if given) as the engine reads them: quantities in millionths."""
    where, params = ("WHERE operator_id = :op", {"op": operator_id}) if operator_id is not None else ("", {})
    with engine.connect() as conn:
        frame = pd.read_sql(text(f"SELECT {_COLUMNS} FROM movement {where} ORDER BY id"), conn, params=params)
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True, format="ISO8601")
    frame["quantity"] = frame["quantity"].astype("int64")
    return frame


def customs_frame(engine: Engine, *, current_only: bool = True) -> pd.DataFrame:
    """Customs items (by default only those in force) with quantities in millionths."""
    with engine.connect() as conn:
        frame = pd.read_sql(text(f"SELECT {_ENTRY_COLUMNS} FROM customs_entry ORDER BY id"), conn)
    frame["lodged_at"] = pd.to_datetime(frame["lodged_at"], utc=True, format="ISO8601")
    return current_entries(frame) if current_only else frame


def get_lot_balances(engine: Engine, *, operator_id: int | None = None, as_of: datetime | None = None) -> pd.DataFrame:
    """Each lot's book balance (a Decimal in the lot's unit) at ``as_of`` (default: now)."""
    frame = movements_frame(engine, operator_id=operator_id)
    balances = book_balances(frame, pd.Timestamp(as_of) if as_of else None)
    balances["balance"] = [from_millionths(v) for v in balances["balance"]]
    return balances
