"""Selectivity at arrival (contract section 8): each customs item a batch stores gets its channel
(RED, YELLOW from the profiles it hits, the highest; else GREEN), kept per item; a RED item
opens an examination of its lot. The evaluator is the engine's, the one runs use."""

from dataclasses import dataclass, field
from typing import BinaryIO

import pandas as pd
from sqlalchemy import Engine, insert, text
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.auth.scope import Caller
from ftz.database import utcnow
from ftz.examinations import service as examinations
from ftz.ingest import service as ingest
from ftz.ingest.pipeline import ImportReport
from ftz.ledger.service import customs_frame, movements_frame
from ftz.profiles import service as profiles
from ftz.profiles.models import Selectivity
from ftz.reference import service as reference
from reconciliation.engine import lot_status
from reconciliation.ledger import current_entries
from reconciliation.profiles import channels, hits, item_status


@dataclass
class ItemChannel:
    """One arriving customs item's channel and the profiles that gave it."""

    declaration_ref: str
    item_no: int
    version: int
    channel: str
    profiles: list[str] = field(default_factory=list)
    examination_id: int | None = None


def import_customs(engine: Engine, *, sent_by: str, **kwargs) -> tuple[ImportReport, list[str]]:
    """``ingest.import_customs``, then the channel of every item it stored (the CLI's import)."""
    report, created = ingest.import_customs(engine, sent_by=sent_by, **kwargs)
    if report.accepted and report.rows_new:  # before customs acts on them
        report.selectivity = assess(engine, upload_id=report.upload_id, actor=sent_by)
    if report.accepted:
        catch_up(engine, actor=sent_by)
    return report, created


def send_customs(engine: Engine, *, caller: Caller, source: BinaryIO, filename: str) -> ImportReport:
    """``ingest.send_customs`` (the customs system's batch), then the channel of every item it stored."""
    report = ingest.send_customs(engine, caller=caller, source=source, filename=filename)
    if report.accepted and report.rows_new:
        report.selectivity = assess(engine, upload_id=report.upload_id, actor=caller.name)
    if report.accepted:
        catch_up(engine, actor=caller.name)
    return report


def catch_up(engine: Engine, *, actor: str) -> list[int]:
    """Assess the uploads whose items were stored but never given a channel: the import is
    committed before its items are assessed, so a process killed in between leaves them for
    the next customs import (a file sent again included). Uploads received before the first
    risk profile was loaded are left as they were: no profile could have selected them then,
    and a database from before selectivity keeps its history unexamined."""
    query = text(
        "SELECT u.id FROM upload u WHERE u.kind = 'CUSTOMS' "
        "AND u.received_at >= (SELECT MIN(p.loaded_at) FROM profile_version p) "
        "AND EXISTS (SELECT 1 FROM customs_entry e WHERE e.upload_id = u.id) "
        "AND NOT EXISTS (SELECT 1 FROM customs_entry e JOIN selectivity s ON s.customs_entry_id = e.id "
        "  WHERE e.upload_id = u.id) ORDER BY u.id"
    )
    with engine.connect() as conn:
        missed = list(conn.execute(query).scalars())
    for upload_id in missed:
        assess(engine, upload_id=upload_id, actor=actor)
    return missed


def assess(engine: Engine, *, upload_id: int, actor: str) -> list[ItemChannel]:
    """Give every customs item stored by upload ``upload_id`` its channel, store it, and open an
    examination for each RED one (audited)."""
    items = _items(engine, upload_id)
    if items.empty:
        return []
    version, in_force = profiles.in_force(engine)
    # an item not in force (invalidated, or amended by a later version, of this upload or one
    # before) is not selected: it declares nothing any more (contract section 8)
    judged = _prepared(engine, items[items["in_force"]].drop(columns="in_force"))
    found = channels(hits(in_force, judged, reference.destinations(engine)), items.index)
    now = utcnow()
    rows = [
        {"customs_entry_id": int(i), "channel": c, "profiles": list(p), "profile_version": version, "assessed_at": now}
        for i, c, p in zip(items["id"], found["channel"], found["profiles"], strict=True)
    ]
    out = []
    with Session(engine) as session:
        session.execute(insert(Selectivity), rows)
        red = items[found["channel"] == "RED"]
        opened = examinations.open_for(session, items=red, reasons=found.loc[red.index, "profiles"], actor=actor)
        counts = found["channel"].value_counts().to_dict()
        audit.record(session, actor=actor, action="selectivity.assessed", subject=f"upload:{upload_id}",
                     details={"profile_version": version, "channels": counts})  # fmt: skip
        session.commit()
    for index, row in items.iterrows():
        out.append(
            ItemChannel(
                declaration_ref=row["declaration_ref"],
                item_no=int(row["item_no"]),
                version=int(row["version"]),
                channel=found.at[index, "channel"],
                profiles=list(found.at[index, "profiles"]),
                examination_id=opened.get(int(row["id"])),
            )
        )
    return out


def _items(engine: Engine, upload_id: int) -> pd.DataFrame:
    """The customs items an upload stored (not those it found already recorded), each with
    whether it is in force once the upload is stored (``in_force``)."""
    with engine.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM customs_entry WHERE upload_id = :u"), {"u": upload_id}).scalars())
        declarations = sorted(
            conn.execute(
                text("SELECT DISTINCT declaration_ref FROM customs_entry WHERE upload_id = :u"), {"u": upload_id}
            ).scalars()
        )
    if not ids:
        return pd.DataFrame()
    frame = customs_frame(engine, current_only=False, declarations=declarations)
    frame = frame.assign(in_force=frame["id"].isin(current_entries(frame)["id"]))
    return frame[frame["id"].isin(ids)].reset_index(drop=True)


def _prepared(engine: Engine, items: pd.DataFrame) -> pd.DataFrame:
    """The items with what the conditions read: operator code and AEO, zone time zone, strategic status."""
    with engine.connect() as conn:
        ops = pd.read_sql(text("SELECT o.id AS operator_id, o.code AS operator_code, o.aeo, z.timezone "
                               "FROM operator o JOIN zone z ON z.id = o.zone_id"), conn)  # fmt: skip
    out = items.merge(ops, on="operator_id", how="left")
    out.index = items.index
    lots = items.loc[items["lot_ref"].notna(), ["operator_id", "lot_ref"]].drop_duplicates()
    controls = reference.controls(engine)
    if len(lots):  # the lot's strategic status, from both sides' records of it
        scope = (lots.astype({"operator_id": "int64"}), set())
        status = lot_status(movements_frame(engine, scope=scope), customs_frame(engine, current_only=False,
                                                                                 scope=scope), controls)  # fmt: skip
    else:
        status = pd.DataFrame(columns=["operator_id", "lot_ref", "strategic"])
    out["strategic"] = item_status(out, status, controls).to_numpy()
    return out
