"""The licence register's file (contract section 6): its columns, checked cell by cell like
every interchange file, and the checks across a row's fields that only a licence has."""

import re

import pandas as pd

from ftz.ingest.checks import COUNTRIES, quoted
from ftz.ingest.pipeline import RowError
from ftz.ingest.schema import Column, FileSpec, oversized, row_errors
from ftz.licences.models import LicenceStatus

LICENCES = FileSpec(
    columns=(
        Column("licence_ref", "ref", required=True),
        Column("version", "whole", default="1"),
        Column("status", "choice", choices=tuple(s.value for s in LicenceStatus), default=LicenceStatus.VALID),
        Column("holder", "ref", required=True, max_length=32),
        # dates of the zone's calendar, read here: a licence runs into the future, which the
        # timestamps of movements may not
        Column("issued_at", "text", required=True, max_length=40),
        Column("valid_until", "text", required=True, max_length=40),
        Column("control_codes", "text", required=True, max_length=2000),
        Column("destination_countries", "text", required=True, max_length=2000),
        Column("end_user", "text", max_length=200),
        Column("quantity", "decimal"),
        Column("unit", "unit"),
        Column("authority", "text", max_length=200),
    ),
    type_column="status",
    key=("licence_ref", "version"),
)

# Control-list entries as licences cite them: a Wassenaar/EU dual-use entry (category digit,
# product group letter, three digits: 1C350, 0A001, 3A001; US ECCNs share the shape), perhaps
# down to a sub-item (2B350.a); an EU Common Military List entry ML1 to ML22 (ML8.a); or "*",
# any entry.
CONTROL_CODE = re.compile(r"\*|[0-9][A-E][0-9]{3}(\.[A-Z0-9]+)*|ML([1-9]|1[0-9]|2[0-2])(\.[A-Z0-9]+)*")
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


def check(frame: pd.DataFrame, earlier: list[RowError]) -> tuple[pd.DataFrame, list[RowError]]:
    """The rows normalised (dates as dates, lists joined by ";" in upper case) and the errors of
    each row's fields together; ``earlier`` are the cell errors already found."""
    found = []
    errored = {(e.row, e.column) for e in earlier}
    # an invalid cell is missing from ``frame`` too, but it was reported as invalid already
    given = {c: frame["row_no"].map(lambda n, c=c: (n, c) not in errored) for c in ("quantity", "unit")}
    out = frame.copy()
    for column in ("issued_at", "valid_until"):
        out[column], bad = _dates(frame[column])
        reason = quoted(frame[column].fillna("")) + " is not an ISO 8601 date (YYYY-MM-DD) from 1970 to 2199"
        found.append(row_errors(column, bad, reason))
    before = out["issued_at"].notna() & out["valid_until"].notna() & (out["valid_until"] < out["issued_at"])
    found.append(row_errors("valid_until", before, "comes before issued_at: a licence ends after it is issued"))
    for column, normal, what in (
        ("control_codes", _control_codes, "a control-list entry (e.g. 1C350, 2B350.a, ML8, or * for any)"),
        ("destination_countries", _countries, "an ISO 3166-1 alpha-2 country code"),
    ):
        out[column], reasons = _lists(frame[column], normal, what)
        found.append(row_errors(column, reasons.notna(), reasons))
    quantity, unit = frame["quantity"], frame["unit"]
    found.append(row_errors("quantity", quantity.notna() & (quantity <= 0), "must be more than 0"))
    found.append(oversized(frame))
    alone = quantity.notna() & unit.isna() & given["unit"]
    found.append(row_errors("unit", alone, "missing: a quantity needs its unit (UN/ECE Rec 20)"))
    alone = unit.notna() & quantity.isna() & given["quantity"]
    found.append(row_errors("quantity", alone, "missing: a unit needs the quantity the licence allows"))
    first = out.groupby(["licence_ref", "version"], dropna=True)["row_no"].transform("first")
    doubled = out["licence_ref"].notna() & out["version"].notna() & (first != out["row_no"])
    earlier_row = "the same licence_ref and version as row " + first.astype("Int64").astype("str")
    found.append(row_errors("version", doubled, earlier_row))
    return out, numbered(found, frame["row_no"])


def numbered(found: list[pd.DataFrame], row_no: pd.Series) -> list[RowError]:
    """Errors found by the frame's index, as rows of the file."""
    return [
        RowError(int(row_no[index]), column, message)
        for table in found
        for index, column, message in zip(table["index"], table["column"], table["message"], strict=True)
    ]


def _dates(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ISO 8601 calendar dates (days of the zone's local time) from 1970 to 2199, the years
    every reader of the register can hold, and where a value is no such date."""
    shaped = text.notna() & text.str.fullmatch(ISO_DATE).fillna(False).astype(bool)
    shaped &= text.str.slice(0, 4).between("1970", "2199")
    parsed = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
    dates = pd.Series([d.date() if pd.notna(d) else None for d in parsed], index=text.index, dtype="object")
    return dates, text.notna() & parsed.isna()


def _lists(text: pd.Series, normal, what: str) -> tuple[pd.Series, pd.Series]:
    """Lists separated by ";", each entry normalised by ``normal`` (None when invalid): the
    lists joined again, and the reason where an entry is not one of ``what``."""
    joined, reasons = [], []
    for value in text:
        entries = [e.strip().upper() for e in value.split(";")] if isinstance(value, str) else []
        entries = list(dict.fromkeys(e for e in entries if e))
        wrong = [e for e in entries if not normal(e)]
        joined.append(";".join(entries) if entries and not wrong else None)
        if not isinstance(value, str):
            reasons.append(None)  # missing: reported as such already
        elif not entries:
            reasons.append(f"names none: give {what} or more, separated by ;")
        elif wrong:
            shown = ", ".join(f'"{e[:20]}"' for e in wrong[:5]) + (" …" if len(wrong) > 5 else "")
            reasons.append(f"not {what}: {shown}")
        else:
            reasons.append(None)
    return pd.Series(joined, index=text.index, dtype="object"), pd.Series(reasons, index=text.index, dtype="object")


def _control_codes(entry: str) -> bool:
    return CONTROL_CODE.fullmatch(entry) is not None


def _countries(entry: str) -> bool:
    return entry in COUNTRIES
