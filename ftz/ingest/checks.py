"""Vectorised field checks: a text column in, its typed values and the rows' errors out.

Each check returns a ``Checked``: the normalised values (missing where empty or invalid)
and, for each invalid row, the reason, written so that "row N, column: " can precede it.
Reasons are only built for the invalid rows, so a clean file pays nothing for them.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pycountry

from ftz.text import CONTROL
from reconciliation.units import UNITS

# XK (Kosovo) is user-assigned in ISO 3166 but used by customs administrations everywhere.
COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries) | {"XK"}
CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)
MAX_INTEGER_DIGITS = 12  # up to 999,999,999,999.999999: millionths fit a BIGINT
EARLIEST = pd.Timestamp("1970-01-01", tz="UTC")

Reason = str | Callable[[pd.Series], pd.Series]
"""A fixed reason, or a function from the invalid rows' raw text to their reasons."""


@dataclass
class Checked:
    """Normalised values and the reason for each invalid row (index aligned with the input)."""

    values: pd.Series
    reasons: pd.Series  # reasons of the invalid rows only, indexed like them


def _result(values: pd.Series, raw: pd.Series, bad: pd.Series, reason: Reason) -> Checked:
    if not bad.any():
        return Checked(values, pd.Series([], dtype="object"))
    reasons = reason(raw[bad]) if callable(reason) else pd.Series(reason, index=raw.index[bad], dtype="object")
    return Checked(values.where(~bad), reasons)


def quoted(text: pd.Series) -> pd.Series:
    """Each value in double quotes, shortened, for messages."""
    short = text.str.slice(0, 60)
    return '"' + short.where(text.str.len() <= 60, short + "…") + '"'


def says(what: str) -> Callable[[pd.Series], pd.Series]:
    """The reason: the quoted value, then ``what``."""
    return lambda raw: quoted(raw) + " " + what


def _nonempty(values: pd.Series) -> pd.Series:
    return values.where(values != "")


def text(cells: pd.Series, max_length: int) -> Checked:
    """Free text, trimmed; empty becomes missing."""
    values = cells.str.strip()
    long = values.str.len() > max_length
    control = values.str.contains(CONTROL.pattern, regex=True)

    def reason(bad_raw: pd.Series) -> pd.Series:
        reasons = pd.Series(f"is longer than {max_length} characters", index=bad_raw.index, dtype="object")
        return reasons.where(~control[bad_raw.index], "holds control characters (such as NUL)")

    return _result(_nonempty(values), values, long | control, reason)


# Characters that reorder or hide text: a reference holding one reads as another.
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def ref(cells: pd.Series, max_length: int) -> Checked:
    """A reference (lot, declaration, movement…): free text, read after Unicode NFKC
    normalisation, so that look-alike forms of one reference are one; bidirectional controls,
    zero-width characters and letters of more than one script are refused."""
    checked = text(cells, max_length)
    values = checked.values
    odd = values.notna() & ~values.str.isascii().fillna(True).astype(bool)
    if not odd.any():  # plain ASCII, as nearly every reference is: nothing more to look at
        return checked
    normal = values[odd].map(lambda v: unicodedata.normalize("NFKC", v))
    invisible = normal.str.contains(INVISIBLE.pattern, regex=True)
    mixed = normal.map(lambda v: len(_scripts(v)) > 1) & ~invisible
    reasons = pd.concat(
        [
            checked.reasons,
            pd.Series("holds invisible or direction-changing characters", index=normal.index[invisible]),
            pd.Series("mixes letters of several scripts (look-alike characters)", index=normal.index[mixed]),
        ]
    ).astype("object")
    values = values.astype("object").copy()
    values[odd] = normal
    return Checked(values.where(~values.index.isin(reasons.index)), reasons)


def _scripts(value: str) -> set[str]:
    """The scripts of a text's letters (the first word of each letter's Unicode name)."""
    return {unicodedata.name(ch, "UNKNOWN").split(" ")[0] for ch in value if ch.isalpha()}


def code(cells: pd.Series, allowed: frozenset[str], what: str) -> Checked:
    """A code from a closed list, upper-cased."""
    raw = cells.str.strip()
    values = raw.str.upper()
    bad = (values != "") & ~values.isin(allowed)
    return _result(_nonempty(values), raw, bad, says(f"is not {what}"))


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
    bad = (values != "") & ~values.str.fullmatch(r"[0-9]{6,10}")
    return _result(_nonempty(values), raw, bad, says("is not an HS code of 6 to 10 digits"))


def digits(cells: pd.Series) -> Checked:
    """A nomenclature code: 2 to 10 digits once dots and spaces are removed."""
    raw = cells.str.strip()
    values = raw.str.replace(r"[.\s]", "", regex=True)
    bad = (values != "") & ~values.str.fullmatch(r"[0-9]{2,10}")
    return _result(_nonempty(values), raw, bad, says("is not a code of 2 to 10 digits"))


def whole_number(cells: pd.Series) -> Checked:
    """A positive integer (item numbers, versions)."""
    raw = cells.str.strip()
    ok = raw.str.fullmatch(r"0*[1-9][0-9]{0,8}")
    values = pd.Series(pd.NA, index=cells.index, dtype="Int64")
    if ok.any():
        values[ok] = raw[ok].astype("int64")
    return _result(values, raw, (raw != "") & ~ok, says("is not a whole number from 1"))


def decimal(cells: pd.Series, comma: bool = False) -> Checked:
    """A decimal with at most 6 places, as an Int64 of millionths (never through float)."""
    raw = cells.str.strip()
    spelled = raw.str.replace(",", ".", regex=False) if comma else raw
    spelled = spelled.str.replace(r"(\.[0-9]{6})0+$", r"\1", regex=True)  # 1.5000000 is 1.5: zeros past 6 places
    # The decimal point is required before a fraction, so no run of digits can exceed
    # what an int64 of millionths holds.
    ok = spelled.str.fullmatch(rf"[+-]?(0*[0-9]{{1,{MAX_INTEGER_DIGITS}}}(\.[0-9]{{0,6}})?|\.[0-9]{{1,6}})")
    values = pd.Series(pd.NA, index=cells.index, dtype="Int64")
    if ok.any():
        good = spelled[ok].str.lstrip("+")
        dot = good.str.find(".")
        places = np.where(dot >= 0, good.str.len() - dot - 1, 0)
        digits = good.str.replace(".", "", regex=False)
        digits = digits.where(~digits.isin(["", "-"]), "0")
        values[ok] = digits.astype("int64") * (10 ** (6 - places)).astype("int64")
    return _result(values, raw, (raw != "") & ~ok, _decimal_reason)


def _decimal_reason(raw: pd.Series) -> pd.Series:
    lowered = raw.str.lower().str.lstrip("+-")
    reasons = quoted(raw) + " is not a number"
    plain = raw.str.fullmatch(r"[+-]?[0-9]+(\.[0-9]*)?")
    places = raw.str.partition(".")[2].str.len()
    reasons = reasons.where(~lowered.isin(["nan", "inf", "infinity"]), quoted(raw) + " is not a finite number")
    reasons = reasons.where(~(plain & (places > 6)), quoted(raw) + " has more than 6 decimal places")
    too_large = plain & (places <= 6)
    return reasons.where(
        ~too_large, quoted(raw) + f" is too large (at most {MAX_INTEGER_DIGITS} digits before the decimal point)"
    )


_OFFSET = r"(?:Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)$"
# What the contract calls ISO 8601: a date, or a date-time to the minute, second or
# microsecond, with or without offset. Anything looser ("2026-9-1", "2026-09") is refused.
_ISO = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)


def timestamp(cells: pd.Series, timezones: pd.Series | str) -> Checked:
    """ISO 8601 date or date-time as UTC; one without offset is local time in its zone."""
    raw = cells.str.strip()
    present = (raw != "") & raw.str.fullmatch(_ISO)
    with_offset = present & raw.str.contains(r"[T ][0-9].*" + _OFFSET, regex=True)
    values = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[us, UTC]")
    if with_offset.any():
        values[with_offset] = pd.to_datetime(raw[with_offset], format="ISO8601", errors="coerce", utc=True)
    local = present & ~with_offset
    if local.any():
        naive = pd.to_datetime(raw[local], format="ISO8601", errors="coerce")
        zones = timezones if isinstance(timezones, pd.Series) else pd.Series(timezones, index=cells.index)
        for zone, rows in zones[local].groupby(zones[local], sort=False).groups.items():
            stamps = naive[rows]
            # At a clock change a local time read twice is its first (summer time) moment, and
            # one the clocks skipped is the moment they resumed: a file is never refused for it.
            summer = np.ones(len(stamps), dtype=bool)
            localised = stamps.dt.tz_localize(zone, ambiguous=summer, nonexistent="shift_forward")
            values[rows] = localised.dt.tz_convert("UTC")
    out_of_range = values.notna() & (values < EARLIEST)
    bad = (raw != "") & (values.isna() | out_of_range)

    def reason(bad_raw: pd.Series) -> pd.Series:
        reasons = quoted(bad_raw) + " is not an ISO 8601 date or date-time"
        return reasons.where(~out_of_range[bad_raw.index], quoted(bad_raw) + " lies before 1970")

    return _result(values, raw, bad, reason)
