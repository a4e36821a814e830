"""The columns of the contract's files (sections 2 and 3) and the validation of a chunk of rows."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import pandas as pd

from ftz.ingest import checks
from ftz.ledger.models import Direction, EntryStatus, MovementType, Procedure, RemovalKind
from reconciliation.quantities import too_large, too_large_reason

Check = Literal[
    "ref", "text", "choice", "timestamp", "date", "hs", "digits", "decimal", "unit", "country", "currency", "whole"
]


@dataclass(frozen=True)
class Column:
    """One column of an interchange file and how its cells are checked."""

    name: str
    check: Check
    required: bool = False
    # Required only on rows whose type (movement_type or direction) is one of these.
    required_for: tuple[str, ...] = ()
    # ...unless this column holds this value (a destruction goes to no country)
    waived_by: tuple[str, str] | None = None
    max_length: int = 64
    choices: tuple[str, ...] = ()
    default: str = ""


@dataclass(frozen=True)
class FileSpec:
    """The columns of one kind of file, and which column gives a row's type."""

    columns: tuple[Column, ...]
    type_column: str
    key: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _names(enum) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


MOVEMENTS = FileSpec(
    columns=(
        Column("movement_ref", "ref", required=True),
        Column("movement_type", "choice", required=True, choices=_names(MovementType)),
        Column("occurred_at", "timestamp", required=True),
        Column("lot_ref", "ref", required=True),
        Column("hs_code", "hs", required=True),
        Column("description", "text", max_length=512),
        Column("quantity", "decimal", required=True),
        Column("unit", "unit", required=True),
        Column("customs_ref", "ref", required_for=("ADMISSION", "REMOVAL")),
        Column("origin_country", "country", required_for=("ADMISSION",)),
        Column("destination_country", "country", required_for=("REMOVAL",)),
        Column("intended_destination", "country"),
        Column("removal_kind", "choice", choices=_names(RemovalKind)),
        Column("counterparty", "text", max_length=200),
        Column("control_code", "text", max_length=64),
        Column("process_ref", "ref", required_for=("CONSUME", "PRODUCE")),
        Column("value", "decimal"),
        Column("currency", "currency"),
        Column("corrects_ref", "ref"),
        Column("note", "text", required_for=("ADJUST",), max_length=1000),
        Column("previous_ref", "ref"),  # at ADMISSION: the transfer the goods arrive under
    ),
    type_column="movement_type",
    key=("movement_ref",),
)

CUSTOMS = FileSpec(
    columns=(
        Column("declaration_ref", "ref", required=True),
        Column("item_no", "whole", required=True),
        Column("version", "whole", default="1"),
        Column("direction", "choice", required=True, choices=_names(Direction)),
        Column("procedure", "choice", choices=_names(Procedure)),
        Column("status", "choice", choices=_names(EntryStatus), default="ACCEPTED"),
        Column("lodged_at", "timestamp", required=True),
        Column("zone_code", "ref", required=True, max_length=32),
        Column("operator_code", "ref", required=True, max_length=32),
        Column("lot_ref", "ref"),
        Column("hs_code", "hs", required=True),
        Column("description", "text", max_length=512),
        Column("quantity", "decimal", required=True),
        Column("unit", "unit", required=True),
        Column("origin_country", "country", required_for=("ADMISSION",)),
        Column("destination_country", "country", required_for=("REMOVAL",), waived_by=("procedure", "DESTRUCTION")),
        Column("intended_destination", "country"),
        Column("consignor", "text", max_length=200),
        Column("consignee", "text", max_length=200),
        Column("control_code", "text", max_length=64),
        Column("licence_ref", "ref"),
        Column("destination_zone", "ref", max_length=32),  # on a TRANSFER removal: the receiving zone
        Column("previous_ref", "ref"),  # on an ADMISSION: the declaration the goods left their last zone under
    ),
    type_column="direction",
    key=("declaration_ref", "item_no", "version"),
)


@dataclass
class HeaderCheck:
    """How the file's header maps to the spec: its columns by spec name, and what is wrong."""

    columns: dict[str, int]  # spec name -> the column's position in the file
    missing: set[str]
    errors: list[tuple[int, str, str]]


def check_header(spec: FileSpec, header: list[str]) -> HeaderCheck:
    """Match the header case-insensitively; unknown, doubled and missing columns are errors."""
    columns: dict[str, str] = {}
    errors: list[tuple[int, str, str]] = []
    known = set(spec.names)
    listed = False  # whether an error already named the known columns
    for position, raw in enumerate(header):
        name = raw.strip().lower()
        if not name:
            errors.append((1, "(header)", "a column has no name"))
        elif name not in known:
            # the known columns are listed once, and a name is shortened: a header of 100,000
            # made-up columns makes a report of bounded size
            shown = raw.strip() if len(raw.strip()) <= 60 else raw.strip()[:60] + "…"
            known_list = "" if listed else f" (the columns are: {', '.join(spec.names)})"
            errors.append((1, shown, "unknown column" + known_list))
            listed = True
        elif name in columns:
            errors.append((1, name, "the column appears twice"))
        else:
            columns[name] = position
    missing = {c.name for c in spec.columns if c.required and c.name not in columns}
    errors += [(1, name, "required column is missing") for name in spec.names if name in missing]
    return HeaderCheck(columns, missing, errors)


def validate(
    spec: FileSpec,
    header: HeaderCheck,
    cells: pd.DataFrame,
    *,
    timezones: pd.Series | str,
    decimal_comma: bool = False,
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Check every cell of a chunk; the normalised rows and their errors (row index, column, message)."""
    out: dict[str, pd.Series] = {}
    errors: list[pd.DataFrame] = []
    empty = pd.Series("", index=cells.index, dtype="str")
    for column in spec.columns:
        raw = cells[header.columns[column.name]] if column.name in header.columns else empty
        if column.default:
            raw = raw.where(raw.str.strip() != "", column.default)
        result = _check(column, raw, timezones, decimal_comma)
        out[column.name] = result.values
        errors.append(_errors(column.name, result.reasons))
    frame = pd.DataFrame(out, index=cells.index)
    kind = frame[spec.type_column]
    for column in spec.columns:
        if column.name in header.missing:
            continue  # already reported once, on the header
        missing = frame[column.name].isna() & cells_empty(cells, header, column.name)
        if column.required:
            errors.append(_errors(column.name, _where(missing, "missing (required on every row)")))
        elif column.required_for:
            needed = missing & kind.isin(column.required_for)
            if column.waived_by is not None:
                other, value = column.waived_by
                needed &= frame[other].ne(value).fillna(True)
            errors.append(_errors(column.name, _where(needed, "missing (required for " + kind.fillna("") + ")")))
    return frame, errors


def cells_empty(cells: pd.DataFrame, header: HeaderCheck, name: str) -> pd.Series:
    """True where the file gave nothing for ``name`` (an invalid value is not also 'missing')."""
    if name not in header.columns:
        return pd.Series(True, index=cells.index)
    return cells[header.columns[name]].str.strip() == ""


def same_record(left: str, right: str, columns: list[str], dialect: str) -> str:
    """SQL that is true when two rows hold the same values in ``columns`` (missing equal to missing)."""
    equal = "IS" if dialect == "sqlite" else "IS NOT DISTINCT FROM"
    return " AND ".join(f"{left}.{c} {equal} {right}.{c}" for c in columns)


def unknown_hs(
    hs_codes: pd.Series, subheadings: frozenset[str], accepted: pd.Series | bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Errors, or warnings where the zone accepts them, for codes whose first 6 digits are no subheading."""
    unknown = hs_codes.notna() & ~hs_codes.str.slice(0, 6).isin(subheadings)
    codes = hs_codes[unknown]
    reasons = '"' + codes + '" is not in the HS nomenclature in force (no subheading ' + codes.str.slice(0, 6) + ")"
    accepted = accepted if isinstance(accepted, pd.Series) else pd.Series(accepted, index=hs_codes.index)
    warned = accepted[unknown].astype(bool)
    return _errors("hs_code", reasons[~warned]), _errors("hs_code", reasons[warned])


def oversized(frame: pd.DataFrame) -> pd.DataFrame:
    """Errors for quantities of ``LARGEST`` or more of their dimension's base unit: more than
    one record of goods can hold, and more than ftz's exact sums could carry."""
    known = frame["quantity"].notna() & frame["unit"].notna()
    rows = frame[known]
    big = rows[too_large(rows["quantity"], rows["unit"])]
    if big.empty:
        return _errors("quantity", pd.Series([], dtype="object"))
    written = big["quantity"].map(lambda millionths: format(Decimal(int(millionths)).scaleb(-6).normalize(), "f"))
    return _errors("quantity", written + " " + big["unit"] + " " + big["unit"].map(too_large_reason))


def later_than_tomorrow(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Warnings for the rows dated more than a day after now in ``name``: kept as sent (the
    contract bounds no date, and a zone's records may be dated ahead), but worth a look."""
    latest = pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    dates = frame[name]
    ahead = dates.notna() & (dates > latest)
    shown = dates[ahead].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return _errors(name, '"' + shown + '" lies in the future: kept as sent; check the date')


def row_errors(name: str, bad: pd.Series, reason: pd.Series | str) -> pd.DataFrame:
    """Errors for the rows where ``bad`` is true, in the (index, column, message) shape."""
    return _errors(name, _where(bad, reason))


def _check(column: Column, raw: pd.Series, timezones: pd.Series | str, comma: bool) -> checks.Checked:
    match column.check:
        case "ref":
            return checks.ref(raw, column.max_length)
        case "text":
            return checks.text(raw, column.max_length)
        case "choice":
            return checks.choice(raw, column.choices)
        case "timestamp":
            return checks.timestamp(raw, timezones)
        case "date":
            return checks.timestamp(raw, "UTC")
        case "hs":
            return checks.hs_code(raw)
        case "digits":
            return checks.digits(raw)
        case "decimal":
            return checks.decimal(raw, comma)
        case "unit":
            return checks.unit(raw)
        case "country":
            return checks.country(raw)
        case "currency":
            return checks.currency(raw)
        case "whole":
            return checks.whole_number(raw)
    raise AssertionError(column.check)


def _where(bad: pd.Series, reason: pd.Series | str) -> pd.Series:
    """The reasons of the rows where ``bad`` is true, indexed like them."""
    if isinstance(reason, pd.Series):
        return reason[bad]
    return pd.Series(reason, index=bad.index[bad], dtype="object")


def _errors(name: str, reasons: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"index": reasons.index, "column": name, "message": reasons.astype("str").to_numpy()})
