"""Which lots are strategic goods, and on what basis.

A lot is strategic when
- a record of it declares a control code (``DECLARED``),
- an HS code on either side (operator or customs) correlates with a control-list entry of
  strength ``CONTROLLED`` (``CORRELATED``), or
- it was produced, through any number of processing steps, from a strategic lot, or carried
  on in another zone after a transfer (``INHERITED``).
An HS code that correlates only ``MAY_BE_CONTROLLED`` (controlled depending on the goods'
specifications) does not make a lot strategic; it is reported so that it raises the risk.
"""

import numpy as np
import pandas as pd

from reconciliation import codes

KEY = ["operator_id", "lot_ref"]
BASES = ("DECLARED", "CORRELATED", "INHERITED")


def correlate(goods: pd.DataFrame, controls: pd.DataFrame) -> pd.DataFrame:
    """Goods rows matched to control entries: a control code of n digits covers every
    goods code that starts with it (a 6-digit subheading covers its national lines)."""
    goods = goods.loc[_may_match(goods["hs_code"], controls["hs_code"]), [*KEY, "hs_code"]].drop_duplicates()
    lengths = controls["hs_code"].str.len()
    matches = []
    for length in sorted(lengths.unique()):
        entries = controls.loc[lengths == length, ["hs_code", "control_code", "strength"]]
        candidates = goods[goods["hs_code"].str.len() >= length]
        candidates = candidates.assign(prefix=candidates["hs_code"].str.slice(0, int(length)))
        matches.append(candidates.merge(entries.rename(columns={"hs_code": "prefix"}), on="prefix"))
    if not matches:
        return pd.DataFrame(columns=[*KEY, "hs_code", "control_code", "strength"])
    return pd.concat(matches, ignore_index=True)[[*KEY, "hs_code", "control_code", "strength"]]


def _may_match(codes: pd.Series, prefixes: pd.Series) -> np.ndarray:
    """Whether each goods code is present and starts with a control entry's code: decided once
    per distinct code, so that only the few goods rows that can match are compared further
    (dropping the others keeps every first occurrence the comparison sees)."""
    numbers, distinct = pd.factorize(codes)
    known = [p for p in pd.unique(prefixes.dropna()) if isinstance(p, str)]
    hits = [any(code.startswith(p) for p in known) for code in distinct.astype("object")]
    return np.append(np.array(hits, dtype=bool), False)[numbers]


def lineage(processing: pd.DataFrame) -> pd.DataFrame:
    """Edges from input lots to output lots: a lot consumed by a process and a lot it produced."""
    inputs = processing.loc[processing["movement_type"] == "CONSUME", ["operator_id", "process_ref", "lot_ref"]]
    outputs = processing.loc[processing["movement_type"] == "PRODUCE", ["operator_id", "process_ref", "lot_ref"]]
    edges = inputs.merge(outputs, on=["operator_id", "process_ref"], suffixes=("_in", "_out"))
    return edges[["operator_id", "lot_ref_in", "lot_ref_out"]].drop_duplicates()


def descendants(roots: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Every (lot, root) where ``lot`` was made from, or carried on, ``root`` through one or more
    steps. ``edges``: operator_id_in, lot_ref_in, operator_id_out, lot_ref_out (a transfer
    between zones ties lots of two operators); the root is ``root_operator``, ``root``."""
    reached = roots[KEY].assign(root_operator=roots["operator_id"], root=roots["lot_ref"]).drop_duplicates()
    frontier = reached
    while not frontier.empty:
        step = frontier.merge(edges, left_on=KEY, right_on=["operator_id_in", "lot_ref_in"])
        step = step[["operator_id_out", "lot_ref_out", "root_operator", "root"]].drop_duplicates()
        step = step.rename(columns={"operator_id_out": "operator_id", "lot_ref_out": "lot_ref"})
        # Only pairs not seen before go on, so a cycle in the data ends the walk.
        known = step.merge(reached, on=[*KEY, "root_operator", "root"], how="left", indicator=True)
        frontier = known.loc[known["_merge"] == "left_only", [*KEY, "root_operator", "root"]]
        reached = pd.concat([reached, frontier], ignore_index=True)
    return reached[(reached["lot_ref"] != reached["root"]) | (reached["operator_id"] != reached["root_operator"])]


def strategic_status(
    goods: pd.DataFrame, processing: pd.DataFrame, controls: pd.DataFrame, transfers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per lot: ``strategic``, ``basis`` (e.g. "DECLARED,INHERITED"), ``control_codes``,
    ``may_be_controlled`` with ``may_be_codes``, and ``inherited_from`` (the strategic input lots).

    ``goods``: one row per record of a lot, either side (operator_id, lot_ref, hs_code,
    control_code); ``processing``: operator CONSUME and PRODUCE rows (operator_id,
    process_ref, lot_ref, movement_type); ``controls``: the correlation list (hs_code,
    control_code, strength). Codes in the outputs are comma-separated, sorted.
    """
    first = codes.first_rows(goods)  # on the run's lot numbers where the goods carry them
    lots = (goods[KEY].drop_duplicates() if first is None else goods[KEY].iloc[first]).reset_index(drop=True)
    declared = goods.loc[goods["control_code"].notna() & (goods["control_code"] != ""), [*KEY, "control_code"]]
    declared = declared.assign(control_code=declared["control_code"].str.strip().str.upper(), basis="DECLARED")
    matched = correlate(goods, controls)
    correlated = matched.loc[matched["strength"] == "CONTROLLED", [*KEY, "control_code"]].assign(basis="CORRELATED")
    may_be = matched.loc[matched["strength"] == "MAY_BE_CONTROLLED", [*KEY, "control_code"]]
    own = pd.concat([declared, correlated], ignore_index=True)

    made = lineage(processing)
    edges = made.rename(columns={"operator_id": "operator_id_in"}).assign(operator_id_out=made["operator_id"])
    if transfers is not None and len(transfers):
        edges = pd.concat([edges, transfers[edges.columns]], ignore_index=True)
    reach = descendants(own[KEY].drop_duplicates(), edges)
    inherited = reach.merge(own.rename(columns={"operator_id": "root_operator", "lot_ref": "root"}),
                            on=["root_operator", "root"])  # fmt: skip
    inherited = inherited[[*KEY, "control_code", "root"]].assign(basis="INHERITED")

    found = pd.concat([own.assign(root=pd.NA), inherited], ignore_index=True)
    out = lots.merge(_joined(found, "basis", order=BASES), on=KEY, how="left")
    out = out.merge(_joined(found, "control_code"), on=KEY, how="left")
    out = out.merge(_joined(inherited.rename(columns={"root": "inherited_from"}), "inherited_from"), on=KEY, how="left")
    out = out.merge(
        _joined(may_be.rename(columns={"control_code": "may_be_codes"}), "may_be_codes"), on=KEY, how="left"
    )
    out = out.rename(columns={"control_code": "control_codes"}).fillna("")
    out["strategic"] = out["basis"] != ""
    out["may_be_controlled"] = out["may_be_codes"] != ""
    return out[[*KEY, "strategic", "basis", "control_codes", "may_be_controlled", "may_be_codes", "inherited_from"]]


def strategic_by_own_records(status: pd.DataFrame) -> pd.Series:
    """Per row of ``strategic_status``: whether the lot's own records make it strategic (a declared
    control code or a CONTROLLED subheading), whatever it inherits."""
    return status["basis"].str.contains(r"\b(?:DECLARED|CORRELATED)\b", regex=True)


def _joined(frame: pd.DataFrame, column: str, order: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Per lot, the distinct values of ``column``, sorted (or in ``order``), comma-separated."""
    values = frame[[*KEY, column]].dropna().drop_duplicates()
    if order:
        values = values.assign(_rank=values[column].map({v: i for i, v in enumerate(order)}))
        values = values.sort_values("_rank", kind="stable")
    else:
        values = values.sort_values(column, kind="stable")
    return values.groupby(KEY, as_index=False, sort=False)[column].agg(",".join)
