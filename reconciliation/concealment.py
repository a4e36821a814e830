"""CONCEALMENT_SUSPECTED (contract section 9): a description names controlled goods that the
codes declared for them do not.

A term of the ``terms`` list counts when its HS code correlates ``CONTROLLED`` in the controls
list in force (the same correlation that makes a lot strategic). A lot is suspected when the
description of any of its records in force, on either side (an operator movement, a customs
item), names such a term as whole words (``reconciliation.terms.find_terms``), while the lot is
"not strategic" on both sides: no record declares a control code and no HS code of it is named
by the controls list at all (neither CONTROLLED nor MAY_BE_CONTROLLED). A lot strategic only by
inheritance (made from strategic inputs, or transferred from a zone where it was) still counts:
what its records declare is innocent, what they describe is not. One
finding per lot, under the declaration of the earliest record that names a term; its evidence
lists every word found, the HS and control codes it points to, and the codes declared.

The finding's ``strategic`` is the lot's: false for goods strategic by nothing but the
description, which the risk score treats as suspected strategic goods (``reconciliation.risk``),
true for inherited ones.
"""

import pandas as pd

from reconciliation.risk import TIER_ORDER
from reconciliation.rules import _finding
from reconciliation.strategic import correlate, strategic_by_own_records
from reconciliation.terms import find_terms

KIND = "CONCEALMENT_SUSPECTED"
LOT = ["operator_id", "lot_ref"]
TERM_COLUMNS = ["term", "hs_code", "control_code"]


def controlled_terms(terms: pd.DataFrame, controls: pd.DataFrame) -> pd.DataFrame:
    """The terms whose HS code the controls list correlates CONTROLLED."""
    _check_terms(terms)
    if terms.empty or controls.empty:
        return terms[TERM_COLUMNS].iloc[:0]
    codes = terms[["hs_code"]].drop_duplicates().assign(operator_id=0, lot_ref="", control_code=None)
    codes = codes.assign(hs_code=codes["hs_code"].astype(str).str.replace(r"[.\s]", "", regex=True))
    matched = correlate(codes, controls)
    controlled = set(matched.loc[matched["strength"] == "CONTROLLED", "hs_code"])
    clean = terms["hs_code"].astype(str).str.replace(r"[.\s]", "", regex=True)
    return terms.loc[clean.isin(controlled), TERM_COLUMNS].assign(hs_code=clean[clean.isin(controlled)])


def _check_terms(terms: pd.DataFrame) -> None:
    """Name a column missing from the terms list up front."""
    missing = [c for c in TERM_COLUMNS if c not in terms.columns]
    if missing:
        raise ValueError(f"terms: missing column(s) {', '.join(missing)}")


def concealed(
    texts: pd.DataFrame, goods: pd.DataFrame, removals: pd.DataFrame, status: pd.DataFrame, inputs
) -> pd.DataFrame:
    """Findings for lots not strategic on either side whose descriptions name controlled goods.

    ``texts``: the records in force with a description (operator_id, zone_id, lot_ref,
    customs_ref, record, at, description); ``goods``: every record's lot and HS code;
    ``removals``: every removal's lot, destination_country and moment; ``inputs``: the engine's
    ``Inputs`` (terms, controls, destinations)."""
    described = texts[texts["description"].notna() & (texts["description"] != "")]
    if described.empty:  # no record describes its goods (many runs): no term looked for
        _check_terms(inputs.terms)
        return pd.DataFrame()
    pointed = controlled_terms(inputs.terms, inputs.controls)
    # "not strategic" is what the records declare (section 9): goods made from strategic inputs
    # or transferred as such, declared under innocent codes and described as controlled, count
    plain = status.loc[~strategic_by_own_records(status) & ~status["may_be_controlled"], LOT]
    described = described.merge(plain, on=LOT)
    if pointed.empty or described.empty:
        return pd.DataFrame()
    # each distinct text is read once, however many records repeat it
    unique = pd.Series(described["description"].unique())
    found = find_terms(unique, pointed.reset_index(drop=True))
    if found.empty:
        return pd.DataFrame()
    found = found.assign(description=unique.loc[found["index"]].to_numpy()).drop(columns="index")
    found = found.rename(columns={"hs_code": "term_hs", "control_code": "term_code"})
    hits = described.merge(found, on="description").sort_values(["at", "record"], kind="stable")
    per_lot = hits.groupby(LOT, sort=False).agg(
        zone_id=("zone_id", "first"),
        customs_ref=("customs_ref", "first"),
        first_record=("record", "first"),
        records=("record", _joined),
        words=("words", _joined),
        terms=("term", _joined),
        pointed_hs=("term_hs", _joined),
        pointed_codes=("term_code", _joined),
    )
    lots = per_lot.reset_index()
    declared = goods.merge(lots[LOT], on=LOT).groupby(LOT)["hs_code"].agg(lambda c: _joined(c.str.slice(0, 6)))
    lots = lots.merge(declared.rename("declared_hs").reset_index(), on=LOT, how="left")
    lots = lots.merge(_riskiest_destination(removals.merge(lots[LOT], on=LOT), inputs.destinations), on=LOT, how="left")
    out = _finding(
        lots,
        KIND,
        expected=lots["pointed_hs"] + " (" + lots["pointed_codes"] + ")",
        found=lots["declared_hs"],
        destination=lots["destination"],
        expected_from="description of " + lots["first_record"] + ": \u201c" + lots["words"] + "\u201d",
        found_from="HS subheadings declared on both sides",
        detail="a description names goods the controls list correlates CONTROLLED (expected: their HS and control"
        " codes) while the goods are declared under subheadings it does not name (found)",
    )
    return out.assign(facts=_facts(lots))


def _joined(values: pd.Series) -> str:
    """Distinct values in first-seen order, comma-separated."""
    return ", ".join(dict.fromkeys(str(v) for v in values if isinstance(v, str) and v))


def _riskiest_destination(removals: pd.DataFrame, destinations: pd.DataFrame) -> pd.DataFrame:
    """Per lot, the destination of its removals with the highest tier (else the latest one)."""
    removals = removals[removals["destination_country"].notna()]
    rank = removals["destination_country"].map(
        destinations.assign(rank=destinations["tier"].map(TIER_ORDER)).groupby("country")["rank"].max()
        if len(destinations)
        else {}
    )
    ordered = removals.assign(rank=rank.fillna(0)).sort_values(["rank", "at"], ascending=[False, False])
    first = ordered.drop_duplicates(LOT)[[*LOT, "destination_country"]]
    return first.rename(columns={"destination_country": "destination"})


def _facts(lots: pd.DataFrame) -> list[dict]:
    """Per finding, what the page shows: the words found, what they point to, what was declared."""
    return [
        {
            "words": row["words"],
            "terms": row["terms"],
            "points_to": {"hs_code": row["pointed_hs"], "control_code": row["pointed_codes"]},
            "declared_hs": row["declared_hs"],
            "named_in": row["records"],
        }
        for row in lots.to_dict("records")
    ]
