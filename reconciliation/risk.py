"""Risk: a 0-100 score from what a finding is, what goods it concerns and where they go.

The score adds named components, each listed with its weight in the evidence, so an
auditor sees why a finding ranks where it does. Severity follows the score, except that a
finding on strategic goods of a kind the registry floors (goods that disappeared or changed
class or destination, and every second-edition kind) is never below HIGH, and CRITICAL when
they leave for an embargoed destination or to a denied party (the removal's consignee or
counterparty, or the end user of the licence it leaves under; contract sections 4 and 9).
A concealment finding
concerns goods suspected to be strategic (a description names them, the codes do not): it
keeps ``strategic`` false, adds its own component, and takes the same floors.

Strategic goods that travelled a circuitous route add points: ``ROUTE_WEIGHT`` when they
passed through three or more zones, ``OWNER_CHANGE_WEIGHT`` when they changed owner on the way
(an operator of another name held them after a transfer, or an OWNERSHIP movement passed them on).

An authorised economic operator's (AEO, C-TPAT) findings score lower by ``AEO_WEIGHT`` (a
negative component): customs has audited its controls. The floors still apply to them.
"""

import pandas as pd

from reconciliation.kinds import KINDS, QUANTITIES, STRATEGIC_FLOOR

# What each kind says by itself (goods gone outranks paperwork): the registry's weights.
KIND_WEIGHT = {name: kind.weight for name, kind in KINDS.items()}

STRATEGIC_WEIGHT = 35
MAY_BE_CONTROLLED_WEIGHT = 10
SUSPECTED_WEIGHT = 20  # strategic goods named in a description, under codes that are not
SUSPECTED = frozenset({"CONCEALMENT_SUSPECTED"})
AEO_WEIGHT = -10
ROUTE_WEIGHT = 10  # strategic goods through three or more zones (issue 17: circuitous routes)
ROUTE_ZONES = 3
OWNER_CHANGE_WEIGHT = 10  # strategic goods that changed owner on the way between zones
TIER_WEIGHT = {"EMBARGOED": 25, "HIGH": 15, "ELEVATED": 8}
SHARE_WEIGHT = 10  # the share of the goods at stake, up to this much
SEVERITY = [(70, "CRITICAL"), (45, "HIGH"), (25, "MEDIUM"), (0, "LOW")]
SEVERITIES = tuple(name for _, name in reversed(SEVERITY))  # lowest first
TIER_ORDER = {"EMBARGOED": 3, "HIGH": 2, "ELEVATED": 1}


def destination_tiers(destinations: pd.DataFrame) -> pd.DataFrame:
    """Per country its highest tier and the reasons behind it."""
    ranked = destinations.assign(rank=destinations["tier"].map(TIER_ORDER)).sort_values("rank", ascending=False)
    return ranked.groupby("country").agg(tier=("tier", "first"), reasons=("reason", " / ".join))


def score(findings: pd.DataFrame, destinations: pd.DataFrame, operators: pd.DataFrame | None = None) -> pd.DataFrame:
    """``findings`` with ``risk_score``, ``severity`` and ``components`` [(name, weight), …];
    ``operators`` (operator_id, aeo) says which operators hold an AEO certificate."""
    tiers = destination_tiers(destinations) if len(destinations) else pd.DataFrame(columns=["tier", "reasons"])
    tier = findings["destination"].map(tiers["tier"]) if len(tiers) else pd.Series(None, index=findings.index)
    kind = findings["kind"].map(KIND_WEIGHT).fillna(10).astype(int)
    strategic = findings["strategic"].map({True: STRATEGIC_WEIGHT, False: 0}).astype(int)
    may_be = (findings["may_be_controlled"] & ~findings["strategic"]).map({True: MAY_BE_CONTROLLED_WEIGHT, False: 0})
    destination = tier.map(TIER_WEIGHT).fillna(0).astype(int)
    suspected = findings["kind"].isin(SUSPECTED) & ~findings["strategic"]
    named = suspected.map({True: SUSPECTED_WEIGHT, False: 0}).astype(int)
    aeo = findings["operator_id"].isin(_aeo_operators(operators)).map({True: AEO_WEIGHT, False: 0}).astype(int)
    share = _share(findings)
    route, owner = _route(findings)
    total = (kind + strategic + may_be.astype(int) + named + destination + share + aeo + route + owner).clip(
        lower=0, upper=100
    )
    out = findings.assign(risk_score=total, destination_tier=tier.fillna(""))
    by_score = total.map(lambda s: next(name for floor, name in SEVERITY if s >= floor))
    out["severity"] = at_least(by_score, floors(out))
    components = pd.DataFrame(
        {
            "kind": kind,
            "strategic goods": strategic,
            "may be controlled": may_be,
            "strategic goods named in a description": named,
            "destination": destination,
            "share at stake": share,
            "AEO operator": aeo,
            "route through three or more zones": route,
            "owner changed on the way": owner,
        }
    )
    # the rows as plain lists of numbers: a dict per row costs more than the rest of the scoring
    names = list(components.columns)
    out["components"] = [
        [[name, int(weight)] for name, weight in zip(names, row, strict=True) if weight]
        for row in components.to_numpy().tolist()
    ]
    return out


def _route(findings: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Points for strategic goods' circuitous route (``route_zones``, ``owner_changed`` where the
    engine added them): through three or more zones, and a change of owner on the way."""
    strategic = findings["strategic"].astype(bool)
    zones = findings.get("route_zones", pd.Series(1, index=findings.index)).fillna(1).astype(int)
    changed = findings.get("owner_changed", pd.Series(False, index=findings.index)).fillna(False).astype(bool)
    route = (strategic & (zones >= ROUTE_ZONES)).map({True: ROUTE_WEIGHT, False: 0}).astype(int)
    owner = (strategic & changed).map({True: OWNER_CHANGE_WEIGHT, False: 0}).astype(int)
    return route, owner


def floors(findings: pd.DataFrame) -> pd.Series:
    """The least severity contract sections 4 and 9 allow each finding (``destination_tier`` and,
    where the engine added it, ``to_denied`` read): HIGH for strategic goods (or goods a
    description names so) of a floored kind, CRITICAL when they leave for an EMBARGOED
    destination or to a denied party, or a denied party is named on them; else LOW."""
    suspected = findings["kind"].isin(SUSPECTED) & ~findings["strategic"]
    floored = (findings["strategic"] | suspected) & findings["kind"].isin(STRATEGIC_FLOOR)
    denied = findings.get("to_denied", pd.Series(False, index=findings.index)).fillna(False).astype(bool)
    critical = (findings["destination_tier"] == "EMBARGOED") | denied | (findings["kind"] == "DENIED_PARTY")
    out = pd.Series("LOW", index=findings.index, dtype="object")
    out[floored] = "HIGH"
    out[floored & critical] = "CRITICAL"
    return out


def at_least(severity: pd.Series, floor: pd.Series) -> pd.Series:
    """Each ``severity`` raised to its ``floor`` where below it."""
    rank = {name: n for n, name in enumerate(SEVERITIES)}
    return severity.where(severity.map(rank) >= floor.map(rank), floor)


def _aeo_operators(operators: pd.DataFrame | None) -> set:
    """The ids of the operators that hold an AEO certificate."""
    if operators is None or operators.empty or "aeo" not in operators.columns:
        return set()
    holds = operators["aeo"].notna() & (operators["aeo"].astype(str).str.strip() != "")
    return set(operators.loc[holds, "operator_id"].astype("int64"))


def _share(findings: pd.DataFrame) -> pd.Series:
    """Up to SHARE_WEIGHT for the part of the expected quantity that is missing or extra; only
    for kinds whose expected and found are quantities (never codes read as numbers)."""
    quantities = findings["kind"].isin(QUANTITIES)
    expected = pd.to_numeric(findings["expected"].where(quantities), errors="coerce")
    found = pd.to_numeric(findings["found"].where(quantities), errors="coerce")
    numeric = quantities & expected.notna() & found.notna()
    gap = (found - expected).abs()
    base = pd.concat([expected.abs(), found.abs()], axis=1).max(axis=1).where(lambda b: b > 0)
    share = (gap / base).fillna(0).clip(upper=1) * SHARE_WEIGHT
    return share.where(numeric, 0).round().astype(int)
