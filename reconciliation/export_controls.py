"""UNLICENSED_STRATEGIC_REMOVAL (contract section 9): strategic goods leaving for another country
than the zone's own without a licence that covers the removal.

A customs removal item in force (see ``reconciliation.removals``) of strategic goods (any basis:
declared, correlated CONTROLLED, inherited) to a country other than its zone's is checked
against the licence it cites. An operator removal that no customs item covers is not judged
here: it has no customs removal to carry a licence and is an UNDECLARED_REMOVAL already
(floored like this kind), not a second finding.

With no ``licence_ref`` a removal is always a finding; once the register holds any licence,
the cited licence's version in force (its highest) must also be known, VALID, within its dates
on the removal's local day, issued to the removal's operator, name the destination, cover
every control code of the goods ("*" covers any, an entry its sub-items) and not be used up by this and the earlier
removals its holder made under it (``reconciliation.licences.usage``). Every failed
condition is named in the evidence, the first of them as expected and found.
"""

import pandas as pd

from reconciliation.licences import usage
from reconciliation.removals import abroad, records
from reconciliation.rules import _finding

KIND = "UNLICENSED_STRATEGIC_REMOVAL"
LICENCE_COLUMNS = [
    "licence_ref", "version", "status", "holder_id", "issued_at", "valid_until", "control_codes",
    "destination_countries", "quantity", "unit",
]  # fmt: skip
# The reasons, in the order the evidence reports them (the first one is expected / found).
REASONS = ("no_licence", "unknown", "not_valid", "dates", "holder", "destination", "control_code", "used_up")


def in_force(licences: pd.DataFrame) -> pd.DataFrame:
    """Each licence's highest version, in the types the rule reads."""
    missing = [c for c in LICENCE_COLUMNS if c not in licences.columns]
    if missing:
        raise ValueError(f"licences: missing column(s) {', '.join(missing)}")
    latest = licences.sort_values("version").drop_duplicates("licence_ref", keep="last")
    return latest.assign(
        issued_at=pd.to_datetime(latest["issued_at"]).dt.normalize(),
        valid_until=pd.to_datetime(latest["valid_until"]).dt.normalize(),
        quantity=pd.array(latest["quantity"], dtype="Int64"),
    ).reset_index(drop=True)


def local_day(moment: pd.Series, zone_id: pd.Series, zones: pd.DataFrame) -> pd.Series:
    """The calendar day of each UTC ``moment`` in its zone's time zone (UTC where none is known)."""
    timezone = zone_id.map(zones.drop_duplicates("zone_id").set_index("zone_id").get("timezone", pd.Series()))
    timezone = timezone.where(timezone.notna() & (timezone != ""), "UTC")
    day = pd.Series(pd.NaT, index=moment.index, dtype="datetime64[ns]")
    for name in timezone.unique():  # a handful of zones: one conversion per time zone
        rows = timezone == name
        day[rows] = moment[rows].dt.tz_convert(name).dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
    return day


def unlicensed_removals(
    events: pd.DataFrame, zones: pd.DataFrame, licences: pd.DataFrame, operators: pd.DataFrame
) -> pd.DataFrame:
    """Findings for strategic removals abroad that no licence covers. ``events`` carry the
    goods' ``strategic`` status and ``control_codes`` (comma-separated)."""
    strategic = (events["source"] == "customs") & events["strategic"].astype(bool)
    if not strategic.any():  # (most runs: no strategic removal to look abroad for)
        return pd.DataFrame()
    rows = events[strategic & abroad(events, zones)].reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame()
    rows = rows.assign(record=records(rows))
    register = in_force(licences)
    cited = rows.merge(_prefixed(register), on="licence_ref", how="left")
    cited["day"] = local_day(cited["at"], cited["zone_id"], zones)
    drawn = _drawn(events, register)[["licence_ref", "declaration_ref", "item_no", "cumulative", "exhausted"]]
    cited = cited.merge(
        drawn.rename(columns={"declaration_ref": "customs_ref"}), on=["licence_ref", "customs_ref", "item_no"],
        how="left",
    )  # fmt: skip
    reasons = _reasons(cited)
    failed = reasons.any(axis=1)
    if len(register) == 0:  # an empty register: only a missing licence_ref can be judged
        failed = reasons["no_licence"]
    if not failed.any():
        return pd.DataFrame()
    hit = cited[failed].assign(
        reasons=[",".join(r for r in REASONS if flags[r]) for flags in reasons[failed].to_dict("records")]
    )
    return _findings(hit, _codes(operators))


def _prefixed(register: pd.DataFrame) -> pd.DataFrame:
    """The register's columns under names that cannot clash with a removal's."""
    return register[LICENCE_COLUMNS].rename(columns={c: f"l_{c}" for c in LICENCE_COLUMNS if c != "licence_ref"})


def _reasons(cited: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per reason (``REASONS``), one row per removal."""
    none = cited["licence_ref"].isna() | (cited["licence_ref"] == "")
    known = cited["l_version"].notna()
    out = pd.DataFrame(index=cited.index)
    out["no_licence"] = none
    out["unknown"] = ~none & ~known
    out["not_valid"] = known & (cited["l_status"] != "VALID")
    out["dates"] = known & ((cited["day"] < cited["l_issued_at"]) | (cited["day"] > cited["l_valid_until"]))
    out["holder"] = known & (cited["l_holder_id"] != cited["operator_id"])
    out["destination"] = known & ~_listed(cited, "l_destination_countries", cited["destination_country"])
    out["control_code"] = known & _uncovered_codes(cited).ne("")
    out["used_up"] = known & cited["exhausted"].fillna(False).astype(bool)
    return out.fillna(False).astype(bool)


def _split(values: pd.Series, sep: str) -> pd.Series:
    """Lists of the stripped, upper-case, non-empty parts of each value, exploded (index kept)."""
    parts = values.fillna("").astype(str).str.upper().str.split(sep).explode().str.strip()
    return parts[parts != ""]


def _listed(cited: pd.DataFrame, column: str, wanted: pd.Series) -> pd.Series:
    """Whether each row's ``wanted`` value is among its licence's ``column`` list."""
    parts = _split(cited[column], ";")
    hits = parts.eq(wanted.str.upper().reindex(parts.index))
    return hits.groupby(level=0).any().reindex(cited.index, fill_value=False)


def _uncovered_codes(cited: pd.DataFrame) -> pd.Series:
    """Per removal, the goods' control codes its licence does not cover, comma-separated."""
    goods = _split(cited["control_codes"], ",").rename("code").reset_index()
    allowed = _split(cited["l_control_codes"], ";").rename("code").reset_index()
    anything = allowed.loc[allowed["code"] == "*", "index"].unique()
    # an entry covers its sub-items: a licence for ML8 covers goods of ML8.a (not the reverse)
    within = goods.assign(entry=goods["code"].map(_entries)).explode("entry")
    pairs = within.merge(allowed.rename(columns={"code": "entry"}).assign(ok=True), on=["index", "entry"], how="left")
    covered = pairs.assign(ok=pairs["ok"].notna()).groupby(["index", "code"], as_index=False)["ok"].any()
    missing = covered[~covered["ok"] & ~covered["index"].isin(anything)]
    joined = missing.groupby("index")["code"].agg(lambda codes: ",".join(sorted(set(codes))))
    return joined.reindex(cited.index, fill_value="")


def _entries(code: str) -> list[str]:
    """A control code and the entries above it: ML8.a.1, ML8.a, ML8."""
    return [code.rsplit(".", depth)[0] for depth in range(code.count(".") + 1)]


def _drawn(events: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """``usage`` of every licence by the removals of its holder that cite it."""
    items = events[(events["source"] == "customs") & events["licence_ref"].notna()]
    items = items.drop_duplicates(["customs_ref", "item_no"])
    items = items.merge(register[["licence_ref", "holder_id"]], on="licence_ref")
    items = items[items["holder_id"] == items["operator_id"]]
    removals = items.rename(columns={"customs_ref": "declaration_ref", "at": "lodged_at"})
    out = usage(removals, register[["licence_ref", "quantity", "unit"]])
    return out.assign(item_no=out["item_no"].astype("object"))


def _codes(operators: pd.DataFrame) -> dict:
    """Operator ids to their codes, for the evidence (ids where codes are not given)."""
    if "code" not in operators.columns:
        return {}
    return dict(zip(operators["operator_id"], operators["code"], strict=True))


def _findings(hit: pd.DataFrame, codes: dict) -> pd.DataFrame:
    """The FINDING rows, the first failed reason as expected and found, every reason in detail."""
    first = hit["reasons"].str.split(",").str[0]
    texts = {reason: _texts(hit, reason, codes) for reason in REASONS}
    pick = {side: _pick(first, {r: t[i] for r, t in texts.items()}) for i, side in enumerate(("expected", "found"))}
    detail = [
        "; ".join(texts[r][2].loc[i] for r in reasons.split(","))
        for i, reasons in zip(hit.index, hit["reasons"], strict=True)
    ]
    licence = hit["licence_ref"].astype("object").fillna("")
    out = _finding(
        hit,
        KIND,
        extra=hit["record"].str.split(" ").str[-1],
        customs_ref=hit["customs_ref"],
        destination=hit["destination_country"],
        records=hit["record"].str.split(" ").str[-1],
        expected=pick["expected"],
        found=pick["found"],
        expected_from=("licence " + licence + " version " + hit["l_version"].astype("Int64").astype(str)).where(
            hit["l_version"].notna(), "export control: strategic goods leaving for another country need a licence"
        ),
        found_from=hit["record"],
        detail=pd.Series(detail, index=hit.index, dtype="object"),
    )
    return out.assign(facts=_facts(hit, codes))


def _facts(hit: pd.DataFrame, codes: dict) -> list[dict]:
    """Per finding, what the page shows an auditor: the reasons, the licence as in force, the removal."""
    out = []
    for row in hit.to_dict("records"):
        licence = None
        if pd.notna(row["l_version"]):
            licence = {
                "licence_ref": row["licence_ref"], "version": int(row["l_version"]), "status": row["l_status"],
                "holder": str(codes.get(row["l_holder_id"], row["l_holder_id"])),
                "issued_at": row["l_issued_at"].date().isoformat(),
                "valid_until": row["l_valid_until"].date().isoformat(),
                "control_codes": row["l_control_codes"], "destination_countries": row["l_destination_countries"],
                "quantity": None if pd.isna(row["l_quantity"]) else _amount(row["l_quantity"]),
                "unit": row["l_unit"] if isinstance(row["l_unit"], str) else None,
                "used_up_to_this_removal": None if pd.isna(row["cumulative"]) else _amount(row["cumulative"]),
            }  # fmt: skip
        out.append({
            "reasons": row["reasons"].split(","),
            "licence_ref": row["licence_ref"] if isinstance(row["licence_ref"], str) else None,
            "licence": licence,
            "removal": {"record": row["record"], "day": row["day"].date().isoformat(),
                        "destination": row["destination_country"], "control_codes": row["control_codes"]},
        })  # fmt: skip
    return out


def _pick(first: pd.Series, options: dict[str, pd.Series]) -> pd.Series:
    """Per row, the option named by ``first``."""
    out = pd.Series(None, index=first.index, dtype="object")
    for reason, values in options.items():
        out = out.where(first != reason, values)
    return out


def _texts(hit: pd.DataFrame, reason: str, codes: dict) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(expected, found, explanation) of one reason for every row (used where the reason holds)."""
    ref, day = hit["licence_ref"].fillna(""), hit["day"].dt.strftime("%Y-%m-%d")
    issued, until = hit["l_issued_at"].dt.strftime("%Y-%m-%d"), hit["l_valid_until"].dt.strftime("%Y-%m-%d")
    destination = hit["destination_country"].fillna("")
    if reason == "no_licence":
        return _same(hit, "a licence", "none", "no licence_ref on the customs removal (strategic goods to "
                     + destination + ")")  # fmt: skip
    if reason == "unknown":
        return _same(hit, "a licence of the register", ref, "licence " + ref + " is not in the licence register")
    if reason == "not_valid":
        status = hit["l_status"].fillna("")
        return _same(hit, "VALID", status, "licence " + ref + " is " + status)
    if reason == "dates":
        window = issued + " to " + until
        return _same(hit, window, day, "removed on " + day + ", outside the licence's dates " + window)
    if reason == "holder":
        holder = hit["l_holder_id"].map(lambda o: str(codes.get(o, o)))
        operator = hit["operator_id"].map(lambda o: str(codes.get(o, o)))
        return _same(hit, holder, operator, "licence " + ref + " is issued to " + holder + ", not " + operator)
    if reason == "destination":
        allowed = hit["l_destination_countries"].fillna("")
        return _same(hit, allowed, destination, "licence " + ref + " does not cover " + destination + " (" + allowed
                     + ")")  # fmt: skip
    if reason == "control_code":
        allowed, missing = hit["l_control_codes"].fillna(""), _uncovered_codes(hit)
        return _same(hit, allowed, missing, "licence " + ref + " does not cover control code " + missing + " ("
                     + allowed + ")")  # fmt: skip
    allowed = _amounts(hit["l_quantity"]) + " " + hit["l_unit"].fillna("")
    used = _amounts(hit["cumulative"]) + " " + hit["l_unit"].fillna("")
    return _same(hit, allowed, used, "licence " + ref + " is used up: its holder's removals under it up to this one"
                 " come to " + used + ", beyond the " + allowed + " it allows")  # fmt: skip


def _same(hit: pd.DataFrame, *values) -> tuple[pd.Series, ...]:
    """Each value as a Series over ``hit``'s rows."""
    return tuple(v if isinstance(v, pd.Series) else pd.Series(v, index=hit.index, dtype="object") for v in values)


def _amounts(millionths: pd.Series) -> pd.Series:
    """Quantities in millionths as texts ("" where none)."""
    values = millionths.astype("object")
    return values.where(values.isna(), values.map(_amount, na_action="ignore")).fillna("").astype("object")


def _amount(millionths: int) -> str:
    """A quantity in millionths, as a person writes it."""
    whole, part = divmod(int(millionths), 1_000_000)
    return f"{whole}" if not part else f"{whole}.{part:06d}".rstrip("0")
