"""Quantities in a dimension's base unit, and the tolerances that say when two differ."""

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from reconciliation.units import UNITS

BASE = {dim: code for code, (dim, f, _) in reversed(UNITS.items()) if f == 1}
DIMENSIONS = {code: dim for code, (dim, _, _) in UNITS.items()}
RATIOS = {code: Fraction(f) for code, (_, f, _) in UNITS.items()}
# What one record may hold, in its dimension's base unit (a trillion kilograms, litres, pieces…):
# its millionths, and the sums of a lot's records, stay exact in 64-bit integers.
LARGEST = 10**12


def fits(quantity: Decimal, unit: str) -> bool:
    """Whether ``quantity`` in ``unit`` is less than ``LARGEST`` of its dimension's base unit."""
    return abs(Fraction(quantity)) * RATIOS.get(unit, Fraction(1)) < LARGEST


def too_large_reason(unit: str) -> str:
    """Why a quantity in ``unit`` that does not ``fit`` is refused, for every place that refuses one."""
    return f"is more than one record may hold (less than {LARGEST:,} {BASE.get(DIMENSIONS.get(unit), unit)})"


def too_large(quantity: pd.Series, unit: pd.Series) -> pd.Series:
    """Where ``quantity`` (millionths, in ``unit``) is ``LARGEST`` or more of its base unit."""
    factor = unit.map({code: float(ratio) for code, ratio in RATIOS.items()}).fillna(1.0)
    return quantity.abs().astype("float64") * factor.astype("float64") >= LARGEST * 1e6


def scaled(quantity: pd.Series, ratios: pd.Series) -> pd.Series:
    """``quantity`` (int64 millionths) times exact ``ratios`` (Fractions), rounded to a millionth.

    Python integers carry the product, exact whatever its size; only rows whose ratio is not 1
    pay for them."""
    out = quantity.astype("int64").copy()
    other = ratios.notna() & (ratios != 1)
    if other.any():
        micro = quantity[other].astype("object")
        num = ratios[other].map(lambda f: f.numerator)
        den = ratios[other].map(lambda f: f.denominator)
        # Half away from zero on the magnitude, so that +x and -x convert to opposites.
        magnitude = (2 * micro.abs() * num + den) // (2 * den)
        out[other] = magnitude.where(micro >= 0, -magnitude).astype("int64")
    return out


def to_base(quantity: pd.Series, unit: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Millionths of the dimension's base unit (kilogram, litre, …), exactly, and the dimension."""
    # Decided once per distinct unit: most rows are in a base unit and need no Python integers.
    codes, uniques = pd.factorize(unit)
    dims = unit.map(DIMENSIONS) if len(uniques) == 0 else _taken(pd.Series(uniques).map(DIMENSIONS), codes, unit)
    out = quantity.astype("int64").copy()
    other = [n for n, code in enumerate(uniques) if RATIOS.get(code, 1) != 1]
    if other:
        rows = np.flatnonzero(np.isin(codes, other))
        part = quantity.iloc[rows]
        out.iloc[rows] = scaled(part, unit.iloc[rows].map(RATIOS)).to_numpy()
    return out, dims


def _taken(mapped: pd.Series, codes: np.ndarray, like: pd.Series) -> pd.Series:
    """The values of ``mapped`` (one per distinct value) at ``codes`` (-1: missing), shaped like ``like``."""
    return pd.Series(mapped.array.take(codes, allow_fill=True), index=like.index, name=like.name)


def per_value(values: pd.Series, *mappings: dict[str, float]) -> list[np.ndarray]:
    """Each of ``mappings`` of each value as float64 (0.0 where it has none), looked up once per
    distinct value (the values hashed once for all the mappings)."""
    codes, uniques = pd.factorize(values)
    tables = [np.array([float(m.get(u, np.nan)) for u in uniques] + [np.nan], dtype="float64") for m in mappings]
    return [np.nan_to_num(table[codes], nan=0.0) for table in tables]


@dataclass(frozen=True)
class Tolerances:
    """When a difference is a finding. Quantities differ when the gap exceeds both the
    absolute tolerance (in the dimension's base unit) and the relative one (of the larger)."""

    relative: dict[str, float] = field(
        default_factory=lambda: {"mass": 0.005, "volume": 0.005, "length": 0.005, "area": 0.005, "count": 0.0}
    )
    absolute: dict[str, float] = field(default_factory=lambda: {"mass": 0.5, "volume": 0.5, "count": 0.0})
    recording_delay_days: float = 5.0
    processing_loss: float = 0.02  # share of a process's inputs its outputs may lack

    def exceeded(self, expected: pd.Series, found: pd.Series, dimension: pd.Series) -> pd.Series:
        """True where ``found`` differs from ``expected`` (millionths) beyond tolerance."""
        gap = (found - expected).abs().astype("float64")
        return gap > self.allowance(expected, found, dimension)

    def allowance(self, expected: pd.Series, found: pd.Series, dimension: pd.Series) -> pd.Series:
        """The tolerated gap, in millionths of the base unit (for the evidence)."""
        if not (expected.index.equals(found.index) and expected.index.equals(dimension.index)):
            expected, found = expected.align(found)  # the rows of either, as a frame of both would hold
            dimension = dimension.reindex(expected.index)
        # NaN-skipping maxima of plain arrays: one side missing leaves the other
        larger = np.fmax(expected.abs().to_numpy(), found.abs().to_numpy()).astype("float64")
        relative, absolute = per_value(dimension, self.relative, self.absolute)
        relative, absolute = relative * larger, absolute * 1_000_000
        return pd.Series(np.fmax(relative, absolute), index=expected.index)
