"""Quantities in a dimension's base unit, and the tolerances that say when two differ."""

from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd

from reconciliation.units import UNITS

BASE = {dim: code for code, (dim, f, _) in reversed(UNITS.items()) if f == 1}


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
    dims = unit.map({code: dim for code, (dim, _, _) in UNITS.items()})
    return scaled(quantity, unit.map({code: Fraction(f) for code, (_, f, _) in UNITS.items()})), dims


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
        larger = pd.concat([expected.abs(), found.abs()], axis=1).max(axis=1).astype("float64")
        relative = dimension.map(self.relative).astype("float64").fillna(0.0) * larger
        absolute = dimension.map(self.absolute).astype("float64").fillna(0.0) * 1_000_000
        return pd.concat([relative, absolute], axis=1).max(axis=1)
