"""Vectorised field checks: a text column in, its typed values and the rows' errors out.

Each check returns a ``Checked``: the normalised values (None where empty or invalid) and,
for each invalid row, the reason, written so that "row N, column: " can precede it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import pycountry

from reconciliation.units import UNITS

# XK (Kosovo) is user-assigned in ISO 3166 but used by customs administrations everywhere.
COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries) | {"XK"}
CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)
MAX_INTEGER_DIGITS = 12  # up to 999,999,999,999.999999: millionths fit a BIGINT
EARLIEST = pd.Timestamp("1970-01-01", tz="UTC")


@dataclass
class Checked:
    """Normalised values and the reason for each invalid row (index aligned with the input)."""

    values: pd.Series
    reasons: pd.Series  # str reason where invalid, NA elsewhere


def _result(values: pd.Series, bad: pd.Series, reason: pd.Series | str) -> Checked:
    reasons = pd.Series(pd.NA, index=values.index, dtype="object")
    if bad.any():
        reasons[bad] = reason[bad] if isinstance(reason, pd.Series) else reason
        values = values.where(~bad)
    return Checked(values, reasons)


def quoted(text: pd.Series) -> pd.Series:
    """Each value in double quotes, shortened, for messages."""
    short = text.str.slice(0, 60)
    return '"' + short.where(text.str.len() <= 60, short + "…") + '"'


def text(cells: pd.Series, max_length: int) -> Checked:
    """Free text, trimmed; empty becomes None."""
    values = cells.str.strip()
    bad = values.str.len() > max_length
    values = values.astype("object").where(values != "", None)
    return _result(values, bad, f"is longer than {max_length} characters")


def code(cells: pd.Series, allowed: frozenset[str], what: str) -> Checked:
    """A code from a closed list, upper-cased."""
    values = cells.str.strip().str.upper()
    bad = (values != "") & ~values.isin(allowed)
    values = values.astype("object").where(values != "", None)
    return _result(values, bad, quoted(cells.str.strip()) + f" is not {what}")


def choice(cells: pd.Series, allowed: tuple[str, ...]) -> Checked:
    """One of a few named values (movement types, procedures), upper-cased."""
    return code(cells, frozenset(allowed), "one of " + ", ".join(allowed))


def country(cells: pd.Series) -> Checked:
    return code(cells, COUNTRIES, "an ISO 3166-1 alpha-2 country code")


def currency(cells: pd.Series) -> Checked:
    return code(cells, CURRENCIES, "an ISO 4217 currency code")


def unit(cells: pd.Series) -> Checked:
    known = ", ".join(list(UNITS)[:8])
    return code(cells, frozenset(UNITS), f"a UN/ECE Rec 20 unit code ftz converts ({known}, …)")


def hs_code(cells: pd.Series) -> Checked:
    """6 to 10 digits once dots and spaces are removed."""
    raw = cells.str.strip()
    values = raw.str.replace(r"[.\s]", "", regex=True)
    bad = (values != "") & ~values.str.fullmatch(r"\d{6,10}")
    values = values.astype("object").where(values != "", None)
    return _result(values, bad, quoted(raw) + " is not an HS code of 6 to 10 digits")


def whole_number(cells: pd.Series) -> Checked:
    """A positive integer (item numbers, versions)."""
    raw = cells.str.strip()
    ok = raw.str.fullmatch(r"0*[1-9]\d{0,8}") & (raw != "")
    values = pd.Series(pd.NA, index=cells.index, dtype="Int64")
    if ok.any():
        values[ok] = raw[ok].astype("int64")
    bad = (raw != "") & ~ok
    return _result(values, bad, quoted(raw) + " is not a whole number from 1")


_NUMBER = r"(?P<sign>[+-]?)(?P<int>\d*)(?:\.(?P<frac>\d*))?"


def decimal(cells: pd.Series, comma: bool = False) -> Checked:
    """A decimal with at most 6 places, as an int64 of millionths (never through float)."""
    raw = cells.str.strip()
    spelled = raw.str.replace(",", ".", regex=False) if comma else raw
    parts = spelled.str.extract(f"^{_NUMBER}$")
    digits = parts["int"].fillna("") + parts["frac"].fillna("")
    matched = parts["sign"].notna() & (digits != "")
    frac = parts["frac"].fillna("")
    integer = parts["int"].fillna("").str.lstrip("0")
    too_precise = matched & (frac.str.len() > 6)
    too_large = matched & (integer.str.len() > MAX_INTEGER_DIGITS)
    ok = matched & ~too_precise & ~too_large
    values = pd.Series(pd.NA, index=cells.index, dtype="Int64")
    if ok.any():
        whole = integer[ok].where(integer[ok] != "", "0").astype("int64")
        part = frac[ok].str.pad(6, side="right", fillchar="0").astype("int64")
        micro = whole * 1_000_000 + part
        values[ok] = micro.where(parts["sign"][ok] != "-", -micro)
    lowered = raw.str.lower().str.lstrip("+-")
    nonfinite = lowered.isin(["nan", "inf", "infinity", "-nan"])
    reasons = quoted(raw) + " is not a number"
    reasons = reasons.where(~nonfinite, quoted(raw) + " is not a finite number")
    reasons = reasons.where(~too_precise, quoted(raw) + " has more than 6 decimal places")
    reasons = reasons.where(~too_large, quoted(raw) + " is too large (at most 12 digits before the decimal point)")
    bad = (raw != "") & ~ok
    return _result(values, bad, reasons)


_OFFSET = r"(?:Z|z|[+-]\d{2}(?::?\d{2})?)$"


def timestamp(cells: pd.Series, timezones: pd.Series | str) -> Checked:
    """ISO 8601 date or date-time as UTC; one without offset is local time in its zone."""
    raw = cells.str.strip()
    present = raw != ""
    has_time = raw.str.contains(r"[T ]\d", regex=True)
    with_offset = present & has_time & raw.str.contains(_OFFSET, regex=True)
    values = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[us, UTC]")
    if with_offset.any():
        values[with_offset] = pd.to_datetime(raw[with_offset], format="ISO8601", errors="coerce", utc=True)
    local = present & ~with_offset
    ambiguous = pd.Series(False, index=cells.index)
    if local.any():
        naive = pd.to_datetime(raw[local], format="ISO8601", errors="coerce")
        zones = timezones if isinstance(timezones, pd.Series) else pd.Series(timezones, index=cells.index)
        for zone, rows in zones[local].groupby(zones[local], sort=False).groups.items():
            stamps = naive[rows]
            if getattr(stamps.dt, "tz", None) is not None:  # a date-only string never has one
                stamps = stamps.dt.tz_localize(None)
            localised = stamps.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
            values[rows] = localised.dt.tz_convert("UTC")
            ambiguous[rows] = stamps.notna() & localised.isna()
    latest = pd.Timestamp(datetime.now(UTC) + timedelta(days=1))
    unparsed = present & values.isna() & ~ambiguous
    out_of_range = present & values.notna() & ((values < EARLIEST) | (values > latest))
    reasons = quoted(raw) + " is not an ISO 8601 date or date-time"
    reasons = reasons.where(
        ~ambiguous,
        quoted(raw) + " does not exist or is ambiguous in the zone's local time (a clock change); give an offset",
    )
    reasons = reasons.where(~out_of_range, quoted(raw) + " lies in the future or before 1970")
    bad = unparsed | ambiguous | out_of_range
    return _result(values, bad, reasons)
