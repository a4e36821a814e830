"""How much of each licence the customs removals citing it have used, in time order.

A licence allows a total over its life (contract section 6) in its own unit; a removal in
another unit of the same dimension counts converted, exactly, rounded to a millionth. A
removal in another dimension (or a licence with no unit) cannot be weighed against the
licence: its ``used`` is NA and it adds nothing to the running total.
"""

from fractions import Fraction

import pandas as pd

from reconciliation.quantities import scaled
from reconciliation.units import UNITS, factor

REMOVALS = ["declaration_ref", "item_no", "lodged_at", "licence_ref", "quantity", "unit"]
LICENCES = ["licence_ref", "quantity", "unit"]
USAGE = ["licence_ref", "declaration_ref", "item_no", "lodged_at", "used", "cumulative", "exhausted"]


def usage(removals: pd.DataFrame, licences: pd.DataFrame) -> pd.DataFrame:
    """One row per (licence, removal citing it), in time order, with what the removal used of
    the licence (``used``, int64 millionths of the licence's unit, NA when not convertible),
    the running total up to and including it (``cumulative``) and whether that total is beyond
    the licence's quantity (``exhausted``; never when the licence sets no quantity)."""
    _require(removals, REMOVALS, "removals")
    _require(licences, LICENCES, "licences")
    own = licences[LICENCES].rename(columns={"quantity": "allowed", "unit": "licence_unit"})
    rows = removals[REMOVALS].merge(own.drop_duplicates("licence_ref"), on="licence_ref", how="inner")
    if rows.empty:
        return _empty()
    rows = rows.assign(lodged_at=pd.to_datetime(rows["lodged_at"], utc=True))
    # Ties in time are broken by the declaration, so the order (and who used it up) is stable.
    rows = rows.sort_values(["licence_ref", "lodged_at", "declaration_ref", "item_no"], kind="stable")
    rows = rows.reset_index(drop=True)
    rows["used"] = _in_licence_unit(rows["quantity"], rows["unit"], rows["licence_unit"])
    rows["cumulative"] = rows["used"].fillna(0).astype("int64").groupby(rows["licence_ref"]).cumsum()
    allowed = pd.array(rows["allowed"], dtype="Int64")
    rows["exhausted"] = (pd.Series(allowed, index=rows.index) < rows["cumulative"]).fillna(False).astype(bool)
    return rows[USAGE]


def _in_licence_unit(quantity: pd.Series, unit: pd.Series, licence_unit: pd.Series) -> pd.Series:
    """``quantity`` (int64 millionths of ``unit``) in millionths of ``licence_unit``; NA where
    either unit is unknown or the two are of different dimensions."""
    pairs = pd.DataFrame({"unit": unit, "licence_unit": licence_unit}).drop_duplicates()
    ratios = {
        (u, lu): Fraction(factor(u, lu))
        for u, lu in pairs.itertuples(index=False)
        if u in UNITS and lu in UNITS and UNITS[u][0] == UNITS[lu][0]
    }
    ratio = pd.Series(list(zip(unit, licence_unit, strict=True)), index=quantity.index, dtype="object").map(ratios)
    convertible = ratio.notna()
    out = pd.Series(pd.NA, index=quantity.index, dtype="Int64")
    if convertible.any():
        out[convertible] = scaled(quantity[convertible].astype("int64"), ratio[convertible]).to_numpy()
    return out


def _require(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    """Name a missing column up front rather than failing deep inside a merge."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "licence_ref": pd.Series(dtype="object"),
            "declaration_ref": pd.Series(dtype="object"),
            "item_no": pd.Series(dtype="int64"),
            "lodged_at": pd.Series(dtype="datetime64[ns, UTC]"),
            "used": pd.Series(dtype="Int64"),
            "cumulative": pd.Series(dtype="int64"),
            "exhausted": pd.Series(dtype="bool"),
        }
    )
