"""Goods that travel between zones (contract section 9).

A customs removal item under procedure ``TRANSFER`` whose ``destination_zone`` is a zone ftz
knows is a transfer; the admission items of that zone whose ``previous_ref`` names its
declaration are its arrivals. An admission (customs item or operator record) whose
``previous_ref`` names a transfer continues the lots it came from: strategic status, the
intended destination of the first admission and the history follow the goods.

- ``TRANSFER_NOT_ARRIVED``: the allowed transit time (the sending zone's ``transit_days``,
  default 10, counted from the transfer's ``lodged_at``) has passed at the run's moment and
  no arrival was lodged within it. It names the sending lot and the transfer's declaration.
- ``QUANTITY_MISMATCH``: what arrived within the transit time (partial arrivals summed, units
  converted within the dimension) differs from what left beyond the zone's tolerance; on the
  sending lot, once the transit time has passed.
- ``CLASSIFICATION_MISMATCH``: an arrival declared under an HS subheading none of the
  transfer's items had; on the receiving lot and its admission.
"""

import pandas as pd

from reconciliation import rules
from reconciliation.groups import groups, roots
from reconciliation.quantities import BASE, Tolerances, to_base

LOT = ["operator_id", "lot_ref"]
TRANSFER = "TRANSFER"
DEFAULT_TRANSIT_DAYS = 10
EDGE = ["operator_id_in", "lot_ref_in", "operator_id_out", "lot_ref_out", "declaration_ref"]


def _known(zones: pd.DataFrame) -> pd.DataFrame:
    """The zones' codes, ids and transit days (a frame without them: no zone is known)."""
    if "code" not in zones.columns:
        return pd.DataFrame({"code": pd.Series(dtype="str"), "zone_id": pd.Series(dtype="int64"),
                             "transit_days": pd.Series(dtype="float64")})  # fmt: skip
    days = zones["transit_days"] if "transit_days" in zones.columns else pd.Series(DEFAULT_TRANSIT_DAYS, zones.index)
    out = zones.assign(transit_days=pd.to_numeric(days).fillna(DEFAULT_TRANSIT_DAYS).astype("float64"))
    return out[["code", "zone_id", "transit_days"]].drop_duplicates("zone_id")


def sent(lotted: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    """Transfer items in force to a zone ftz knows, with the receiving zone's id (``to_zone``)."""
    items = lotted[(lotted["direction"] == "REMOVAL") & (lotted["procedure"] == TRANSFER)]
    known = _known(zones)
    items = items.merge(known[["code", "zone_id"]].rename(columns={"code": "destination_zone", "zone_id": "to_zone"}),
                        on="destination_zone")  # fmt: skip
    return items.merge(known[["zone_id", "transit_days"]], on="zone_id", how="left").fillna(
        {"transit_days": DEFAULT_TRANSIT_DAYS}
    )


def edges(moves: pd.DataFrame, lotted: pd.DataFrame) -> pd.DataFrame:
    """Lots carried on after a transfer: from the lot a transfer item removed to each lot an
    admission (customs item or operator record) naming that declaration as ``previous_ref`` admitted."""
    out = lotted[(lotted["direction"] == "REMOVAL") & (lotted["procedure"] == TRANSFER) & lotted["lot_ref"].notna()]
    out = out[[*LOT, "declaration_ref"]].rename(columns={"operator_id": "operator_id_in", "lot_ref": "lot_ref_in"})
    theirs = lotted[(lotted["direction"] == "ADMISSION") & lotted["previous_ref"].notna() & lotted["lot_ref"].notna()]
    own = moves[(moves["movement_type"] == "ADMISSION") & moves["previous_ref"].notna()]
    arrived = pd.concat([theirs[[*LOT, "previous_ref"]], own[[*LOT, "previous_ref"]]], ignore_index=True)
    arrived = arrived.rename(columns={"operator_id": "operator_id_out", "lot_ref": "lot_ref_out",
                                      "previous_ref": "declaration_ref"})  # fmt: skip
    linked = out.merge(arrived, on="declaration_ref").drop_duplicates()
    same = (linked["operator_id_in"] == linked["operator_id_out"]) & (linked["lot_ref_in"] == linked["lot_ref_out"])
    return linked.loc[~same, EDGE].reset_index(drop=True)


def to_known_zones(lotted: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    """(operator_id, customs_ref) of the transfers to a zone ftz knows: no removal abroad for
    DESTINATION_CHANGE (the goods' destination is judged where they finally leave)."""
    items = sent(lotted, zones)
    return (
        items[["operator_id", "declaration_ref"]].rename(columns={"declaration_ref": "customs_ref"}).drop_duplicates()
    )


def carried_destinations(intended: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """``intended`` (operator_id, lot_ref, intended_destination, admitted_by, one row per lot)
    extended along transfers: the intended destination declared at the first admission binds
    every lot the goods are carried on as, through chains of transfers, over a lot's own."""
    out = intended
    frontier = intended
    for _ in range(len(links)):  # each round one transfer further; a cycle ends with the edges
        step = frontier.merge(links, left_on=LOT, right_on=["operator_id_in", "lot_ref_in"])
        if step.empty:
            break
        step = step.assign(operator_id=step["operator_id_out"], lot_ref=step["lot_ref_out"])[intended.columns]
        step = step.drop_duplicates(LOT)
        kept = out.merge(step[LOT], on=LOT, how="left", indicator=True)
        out = pd.concat([out[(kept["_merge"] == "left_only").to_numpy()], step], ignore_index=True)
        frontier = step
    return out


def findings(
    moves: pd.DataFrame, lotted: pd.DataFrame, zones: pd.DataFrame, now: pd.Timestamp, tolerances: Tolerances
) -> list[pd.DataFrame]:
    """Transfers not arrived in time, arriving short or over, or arriving as other goods."""
    items = sent(lotted, zones)
    if items.empty:
        return []
    items = items.assign(deadline=items["lodged_at"] + pd.to_timedelta(items["transit_days"], unit="D"))
    admitted = lotted[(lotted["direction"] == "ADMISSION") & lotted["previous_ref"].notna()]
    arrivals = admitted.merge(
        items[["declaration_ref", "to_zone", "deadline"]].drop_duplicates("declaration_ref"),
        left_on=["previous_ref", "zone_id"], right_on=["declaration_ref", "to_zone"], suffixes=("", "_sent"),
    )  # fmt: skip
    in_time = arrivals[arrivals["lodged_at"] <= arrivals["deadline"]]
    return [
        _not_arrived(items, in_time, arrivals, now),
        _short(items, in_time, now, tolerances),
        _other_goods(items, arrivals),
    ]


def _not_arrived(items: pd.DataFrame, in_time: pd.DataFrame, arrivals: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Transfers whose transit time is over with no arrival lodged within it."""
    due = items[(items["deadline"] < now) & ~items["declaration_ref"].isin(in_time["previous_ref"])]
    base, dims = to_base(due["quantity"], due["unit"])
    late = arrivals.groupby("previous_ref")["lodged_at"].min().astype(str).to_dict()
    found_from = [
        f"no admission of zone {zone} names {ref} as previous_ref by {deadline}"
        + (f" (first admitted late, at {late[ref]})" if ref in late else "")
        for zone, ref, deadline in zip(due["destination_zone"], due["declaration_ref"], due["deadline"], strict=True)
    ]
    out = rules._finding(
        due,
        "TRANSFER_NOT_ARRIVED",
        customs_ref=due["declaration_ref"],
        expected=base,
        found=0,
        unit=dims.map(BASE),
        tolerance=due["transit_days"].map(lambda d: f"{d:g} days"),
        destination=due["destination_country"],
        records=rules.item_names(due),
        expected_from=rules.item_names(due) + " (transfer to zone " + due["destination_zone"] + ")",
        found_from=found_from,
        detail="goods removed under a transfer to another zone (expected) were not admitted there within the allowed"
        " transit time (found)",
        extra=None,
    )
    # the evidence an auditor acts on (templates/discrepancies/evidence/transfer_not_arrived.html)
    out["facts"] = [
        {"transfer": {"declaration_ref": ref, "item_no": int(item), "to_zone": zone, "lodged_at": str(at),
                      "transit_days": float(days), "deadline": str(deadline), "first_arrival": late.get(ref)}}
        for ref, item, zone, at, days, deadline in zip(due["declaration_ref"], due["item_no"], due["destination_zone"],
                                                       due["lodged_at"], due["transit_days"], due["deadline"],
                                                       strict=True)
    ]  # fmt: skip
    return out


def _short(items: pd.DataFrame, in_time: pd.DataFrame, now: pd.Timestamp, tolerances: Tolerances) -> pd.DataFrame:
    """Transfers over whose transit time what arrived differs from what left."""
    left_base, left_dim = to_base(items["quantity"], items["unit"])
    left = items.assign(base=left_base, dimension=left_dim)
    came_base, came_dim = to_base(in_time["quantity"], in_time["unit"])
    came = in_time.assign(base=came_base, dimension=came_dim)
    per = left.groupby(["declaration_ref", "dimension"], as_index=False).agg(
        expected=("base", "sum"), deadline=("deadline", "first")
    )
    got = came.groupby(["previous_ref", "dimension"], as_index=False).agg(
        found=("base", "sum"), arrived_as=("declaration_ref", lambda refs: ", ".join(sorted(set(refs))))
    )
    both = per.merge(got.rename(columns={"previous_ref": "declaration_ref"}), on=["declaration_ref", "dimension"])
    both = both[(both["deadline"] < now) & tolerances.exceeded(both["expected"], both["found"], both["dimension"])]
    rows = left.drop_duplicates(["declaration_ref", "dimension", "operator_id", "lot_ref"]).merge(
        both[["declaration_ref", "dimension", "expected", "found", "arrived_as"]], on=["declaration_ref", "dimension"]
    )
    return rules._finding(
        rows,
        "QUANTITY_MISMATCH",
        customs_ref=rows["declaration_ref"],
        extra="transfer",
        expected=rows["expected"],
        found=rows["found"],
        unit=rows["dimension"].map(BASE),
        tolerance=tolerances.allowance(rows["expected"], rows["found"], rows["dimension"]),
        destination=rows["destination_country"],
        records=rules.item_names(rows) + " | " + rows["arrived_as"],
        expected_from=rules.item_names(rows) + " (transfer to zone " + rows["destination_zone"] + ")",
        found_from="admissions of zone " + rows["destination_zone"] + " naming it: " + rows["arrived_as"],
        detail="what left under the transfer (expected) and what arrived in the next zone within the transit time"
        " (found) differ",
    )


def _other_goods(items: pd.DataFrame, arrivals: pd.DataFrame) -> pd.DataFrame:
    """Arrivals declared under a subheading that none of the transfer's items had."""
    left = items.assign(hs6=items["hs_code"].str.slice(0, 6))
    codes = left.groupby("declaration_ref")["hs6"].agg(lambda c: ",".join(sorted(set(c))))
    came = arrivals.assign(hs6=arrivals["hs_code"].str.slice(0, 6), left_as=arrivals["previous_ref"].map(codes))
    changed = [hs6 not in left_as.split(",") for hs6, left_as in zip(came["hs6"], came["left_as"], strict=True)]
    other = came[pd.Series(changed, index=came.index, dtype=bool)]
    return rules._finding(
        other,
        "CLASSIFICATION_MISMATCH",
        customs_ref=other["declaration_ref"],
        extra="transfer " + other["previous_ref"],
        expected=other["left_as"],
        found=other["hs6"],
        destination=None,
        records=other["previous_ref"] + " | " + rules.item_names(other),
        expected_from="customs " + other["previous_ref"] + " (the transfer it arrived under)",
        found_from=rules.item_names(other) + " (the admission in this zone)",
        detail="goods left one zone under one subheading (expected) and were admitted in the next under another"
        " (found)",
    )


def zone_groups(movements: pd.DataFrame, entries: pd.DataFrame, zones: pd.DataFrame) -> list[list[int]]:
    """The zones of the records, grouped so that zones tied by a transfer (a removal naming a
    destination zone, an admission naming a declaration of another zone) share a group: no
    finding spans two groups, so each can be reconciled alone."""
    present = {int(z) for z in pd.concat([movements["zone_id"], entries["zone_id"]]).dropna().unique()}
    if len(present) < 2:  # one zone (most data sets): nothing for a transfer to tie
        return groups(present, ())
    return groups(present, _zone_ties(movements, entries, zones))


def _zone_ties(movements: pd.DataFrame, entries: pd.DataFrame, zones: pd.DataFrame) -> set[tuple[int, int]]:
    """Pairs of zones one transfer ties."""
    ties: set[tuple[int, int]] = set()
    if "destination_zone" in entries.columns and "code" in zones.columns:
        ids = dict(zip(zones["code"], zones["zone_id"], strict=True))
        named = entries[entries["destination_zone"].notna()]
        ties |= {(int(a), int(ids[b])) for a, b in zip(named["zone_id"], named["destination_zone"], strict=True)
                 if b in ids}  # fmt: skip
    admissions = {
        name: frame[frame["previous_ref"].notna()]
        for name, frame in (("entries", entries), ("movements", movements))
        if "previous_ref" in frame.columns
    }
    # the zone of each declaration an admission names (its first item's): only those are looked up
    wanted = [ref for frame in admissions.values() for ref in frame["previous_ref"].unique()]
    declared = entries[entries["declaration_ref"].isin(wanted)]
    declared = declared.drop_duplicates("declaration_ref").set_index("declaration_ref")["zone_id"]
    for frame in admissions.values():
        origin = frame["previous_ref"].map(declared)
        ties |= {(int(a), int(b)) for a, b in zip(frame["zone_id"], origin, strict=True) if pd.notna(b)}
    return ties


def with_route(
    findings: pd.DataFrame, links: pd.DataFrame, moves: pd.DataFrame, entries: pd.DataFrame, operators: pd.DataFrame
) -> pd.DataFrame:
    """``findings`` with their goods' route: ``route_zones`` (how many zones the goods passed
    through, transfers followed both ways) and ``owner_changed`` (an operator of another name
    held them on the way, or an OWNERSHIP movement passed them on), for the risk score."""
    out = findings.assign(route_zones=1, owner_changed=False)
    if links.empty:
        return out
    pairs = zip(links["operator_id_in"], links["lot_ref_in"], links["operator_id_out"], links["lot_ref_out"],
                strict=True)  # fmt: skip
    rooted = roots(((int(a), b), (int(c), d)) for a, b, c, d in pairs)
    lots = pd.DataFrame([(o, lot, route) for (o, lot), route in rooted.items()], columns=[*LOT, "route"])
    zone_of = pd.concat([moves[["operator_id", "zone_id"]], entries[["operator_id", "zone_id"]]]).drop_duplicates(
        "operator_id"
    )
    names = operators.set_index("operator_id")["name" if "name" in operators.columns else "code"]
    lots = lots.merge(zone_of, on="operator_id", how="left").assign(
        owner=lambda f: f["operator_id"].map(names).fillna(f["operator_id"].astype(str)).str.strip().str.casefold()
    )
    passed_on = moves.loc[moves["movement_type"] == "OWNERSHIP", LOT].drop_duplicates().assign(_sold=True)
    lots = lots.merge(passed_on, on=LOT, how="left")
    per = lots.groupby("route").agg(zones=("zone_id", "nunique"), owners=("owner", "nunique"), sold=("_sold", "any"))
    per = per.assign(changed=(per["owners"] > 1) | per["sold"].fillna(False).astype(bool))
    keyed = lots[[*LOT, "route"]].merge(per[["zones", "changed"]], left_on="route", right_index=True)
    keyed = keyed.rename(columns={"zones": "route_zones", "changed": "owner_changed"})
    out = out.drop(columns=["route_zones", "owner_changed"]).merge(
        keyed[[*LOT, "route_zones", "owner_changed"]], on=LOT, how="left"
    )
    return out.assign(
        route_zones=out["route_zones"].fillna(1).astype(int),
        owner_changed=out["owner_changed"].fillna(False).astype(bool),
    )
