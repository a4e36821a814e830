"""Discrepancies written out for other systems and spreadsheets: every field of contract section 4."""

import csv
import io
import json

from openpyxl import Workbook
from sqlmodel import Session

from ftz.auth.scope import Caller
from ftz.discrepancies import reports, review, service

FIELDS = [
    "id", "kind", "zone_code", "operator_code", "lot_ref", "customs_ref", "process_ref", "strategic",
    "control_codes", "severity", "risk_score", "evidence", "status", "first_seen_run", "last_seen_run", "aeo",
    "closed_run", "close_reason",  # a closed finding (--all) says which run closed it, and why (section 4)
]  # fmt: skip
# A run as of a past moment keeps a report: the same fields, less those of a live finding's life.
REPORT_FIELDS = [
    f for f in FIELDS if f not in ("id", "status", "first_seen_run", "last_seen_run", "closed_run", "close_reason")
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows(session: Session, *, include_closed: bool = False) -> list[dict]:
    """The discrepancies as plain records of the contract's fields, codes instead of ids."""
    found = review.public(session, service.get_all(session, include_closed=include_closed))
    return [d.model_dump(include=set(FIELDS)) for d in found]


def report_rows(session: Session, *, caller: Caller, run_id: int) -> list[dict]:
    """The findings a run as of a past moment reported, as plain records."""
    found = reports.get_report(session, caller=caller, run_id=run_id)
    return [r.model_dump(include=set(REPORT_FIELDS)) for r in found]


def to_json(records: list[dict]) -> str:
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def to_csv(records: list[dict], fields: list[str] = FIELDS) -> str:
    """CSV a spreadsheet opens safely: no cell can start a formula."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(_flat(record, fields))
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


def _flat(record: dict, fields: list[str] = FIELDS) -> dict:
    """One row of the contract's fields, as plain safe cells."""
    flat = {name: record.get(name) for name in fields}
    flat["control_codes"] = ",".join(record["control_codes"])
    flat["evidence"] = json.dumps(record["evidence"], ensure_ascii=False)
    flat["strategic"] = "true" if record["strategic"] else "false"
    return {k: safe_cell(v) for k, v in flat.items()}


def safe_cell(value):
    """A cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value
