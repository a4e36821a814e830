"""Discrepancies written out for other systems and spreadsheets: every field of contract section 4."""

import csv
import io
import json

from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import Session

from ftz.discrepancies import service
from ftz.zones import service as zones
from ftz.zones.models import Zone

FIELDS = [
    "id", "kind", "zone_code", "operator_code", "lot_ref", "customs_ref", "process_ref", "strategic",
    "control_codes", "severity", "risk_score", "evidence", "status", "first_seen_run", "last_seen_run",
]  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows(session: Session, *, include_closed: bool = False) -> list[dict]:
    """The discrepancies as plain records, codes instead of ids."""
    operators = {o.id: o for o in zones.get_all_operators(session)}
    zone_codes = dict(session.execute(select(Zone.id, Zone.code)).all())
    out = []
    for d in service.get_all(session, include_closed=include_closed):
        out.append(
            {
                "id": d.id,
                "kind": d.kind,
                "zone_code": zone_codes.get(d.zone_id),
                "operator_code": operators[d.operator_id].code,
                "lot_ref": d.lot_ref,
                "customs_ref": d.customs_ref,
                "process_ref": d.process_ref,
                "strategic": d.strategic,
                "control_codes": [c for c in d.control_codes.split(",") if c],
                "severity": d.severity,
                "risk_score": d.risk_score,
                "evidence": d.evidence,
                "status": d.status,
                "first_seen_run": d.first_seen_run,
                "last_seen_run": d.last_seen_run,
            }
        )
    return out


def to_json(records: list[dict]) -> str:
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def to_csv(records: list[dict]) -> str:
    """CSV a spreadsheet opens safely: no cell can start a formula."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(_flat(record))
    return buffer.getvalue()


def to_xlsx(records: list[dict]) -> bytes:
    """The same table as a workbook; every cell is text or a number, never a formula."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("discrepancies")
    sheet.append(FIELDS)
    for record in records:
        flat = _flat(record)
        sheet.append([flat[name] for name in FIELDS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _flat(record: dict) -> dict:
    """One row of the contract's fields, as plain safe cells."""
    flat = {name: record.get(name) for name in FIELDS}
    flat["control_codes"] = ",".join(record["control_codes"])
    flat["evidence"] = json.dumps(record["evidence"], ensure_ascii=False)
    flat["strategic"] = "true" if record["strategic"] else "false"
    return {k: _safe(v) for k, v in flat.items()}


def _safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value
