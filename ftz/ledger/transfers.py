"""Transfers between zones in the ledger: which zones a transfer ties, and which transfers a
run must look at again because their transit time ran out since the last run."""

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, select, text

from ftz.config import get_settings
from ftz.ledger.models import CustomsEntry
from ftz.ledger.scope import closed
from reconciliation.transfers import DEFAULT_TRANSIT_DAYS


def transit_days(code: str) -> float:
    """The allowed transit time out of a zone, in days (``transit_days`` of FTZ_ZONES; default 10)."""
    days = get_settings().zone(code).transit_days
    return DEFAULT_TRANSIT_DAYS if days is None else days


def with_transit_days(zones: pd.DataFrame) -> pd.DataFrame:
    """The zones frame (with ``code``) and each zone's allowed transit time."""
    return zones.assign(transit_days=zones["code"].map(transit_days).astype("float64"))


_TIES = """
SELECT DISTINCT c.zone_id AS a, z.id AS b FROM customs_entry c JOIN zone z ON z.code = c.destination_zone
WHERE c.destination_zone IS NOT NULL
UNION
SELECT DISTINCT a.zone_id AS a, r.zone_id AS b FROM customs_entry a JOIN customs_entry r
  ON r.declaration_ref = a.previous_ref WHERE a.previous_ref IS NOT NULL
UNION
SELECT DISTINCT o.zone_id AS a, r.zone_id AS b FROM movement m JOIN operator o ON o.id = m.operator_id
  JOIN customs_entry r ON r.declaration_ref = m.previous_ref WHERE m.previous_ref IS NOT NULL
"""


def tied_zones(engine: Engine, zone_id: int) -> set[int]:
    """The zone and every zone tied to it by transfers, through any number of them: what a
    zone-limited run reads to follow its goods."""
    with engine.connect() as conn:
        pairs = conn.execute(text(_TIES)).all()
    tied, added = {zone_id}, {zone_id}
    while added:
        added = {b for a, b in pairs if a in tied} | {a for a, b in pairs if b in tied}
        added -= tied
        tied |= added
    return tied


def due_since(engine: Engine, since: datetime, now: datetime) -> tuple[pd.DataFrame, set[str]]:
    """The transfers whose transit time may have ended between ``since`` and ``now`` (without
    any new record, they may now be overdue), closed like every incremental scope."""
    longest = max([DEFAULT_TRANSIT_DAYS, *(z.transit_days or 0 for z in get_settings().zones.values())])
    c = CustomsEntry.__table__.c
    query = select(c.operator_id, c.lot_ref, c.declaration_ref).where(
        c.procedure == "TRANSFER", c.destination_zone.is_not(None),
        c.lodged_at >= since - timedelta(days=longest), c.lodged_at <= now,
    )  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return closed(engine, lots={(int(o), lot) for o, lot, _ in rows if lot}, declarations={r for _, _, r in rows})
